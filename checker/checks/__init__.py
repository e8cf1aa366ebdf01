"""Rule modules, one family each; importing this package registers every rule."""

from checker import incremental, waivers  # noqa: F401  (registers the CI and WV codes for `subcheck explain`)
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
