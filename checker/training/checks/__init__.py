"""Training rule families; importing this package registers every training rule (suite ``training``)."""

from checker.training.checks import convergence, energy, log, package, sanity, scores, system  # noqa: F401
