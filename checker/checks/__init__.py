"""Rule modules, one family each; importing this package registers every rule."""

from checker.checks import (  # noqa: F401  (import registers the rules)
    accuracy,
    compliance,
    compliance_verdicts,
    division,
    endpoints_client,
    hygiene,
    measurements,
    metrics,
    performance,
    performance_limits,
    performance_provenance,
    power,
    structure,
    structure_files,
    system,
)
