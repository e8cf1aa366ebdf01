"""Rule modules, one family each; importing this package registers every rule."""

from checker.checks import (  # noqa: F401  (import registers the rules)
    accuracy,
    compliance,
    division,
    hygiene,
    measurements,
    performance,
    power,
    structure,
    system,
)
