"""The built-in metrics and validators; importing this package registers them (:mod:`checker.plugins`)."""

from checker.metrics_plugins import labels, validators  # noqa: F401  (import registers them)
