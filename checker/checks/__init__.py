"""Rule modules, one family each; importing this package registers every rule."""

from checker.checks import measurements, performance, structure, system  # noqa: F401
