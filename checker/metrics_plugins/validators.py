"""Built-in validators a rule file can name for a metric (``models.<m>.metrics.<metric>.validators``).

Each is a small function of the judged :class:`~checker.plugins.api.Outcome` and its YAML parameters; the
parameter schemas here are the ones ``schemas/ruleset.inference.schema.json`` states for the same names.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from checker.plugins.api import Outcome, Violation, validator

_NUMBER = {"type": "number"}


def _unjudged(outcome: Outcome, needs: str) -> Violation:
    """Fail closed: a validator whose evidence is missing does not pass."""
    why = outcome.why_not_computed or "it was not computed"
    return Violation(f"{outcome.metric} cannot be judged ({needs}): {why}", expected=needs, found="not computed")


@validator(
    "min_fraction",
    {"type": "object", "required": ["reference", "fraction"], "additionalProperties": False,
     "properties": {"reference": _NUMBER, "fraction": {"type": "number", "exclusiveMinimum": 0}}},
)  # fmt: skip
def min_fraction(outcome: Outcome, params: Mapping[str, Any]) -> Iterator[Violation]:
    """The metric reaches a fraction of the reference (99 % of FP32, as MLPerf's closed targets)."""
    bound = float(params["reference"]) * float(params["fraction"])
    if outcome.value is None:
        yield _unjudged(outcome, f">= {bound:g}")
    elif outcome.value < bound:
        what = f"{params['fraction']} x reference {params['reference']}"
        yield Violation(f"{outcome.metric} {outcome.value:g} is below {what}", f">= {bound:g}", outcome.value)


@validator(
    "min", {"type": "object", "required": ["min"], "additionalProperties": False, "properties": {"min": _NUMBER}}
)
def at_least(outcome: Outcome, params: Mapping[str, Any]) -> Iterator[Violation]:
    """The metric is at least an absolute bound."""
    bound = float(params["min"])
    if outcome.value is None:
        yield _unjudged(outcome, f">= {bound:g}")
    elif outcome.value < bound:
        yield Violation(f"{outcome.metric} {outcome.value:g} is below {bound:g}", f">= {bound:g}", outcome.value)


@validator(
    "max", {"type": "object", "required": ["max"], "additionalProperties": False, "properties": {"max": _NUMBER}}
)
def at_most(outcome: Outcome, params: Mapping[str, Any]) -> Iterator[Violation]:
    """The metric stays within an upper limit (tokens per sample, an error to minimise)."""
    bound = float(params["max"])
    if outcome.value is None:
        yield _unjudged(outcome, f"<= {bound:g}")
    elif outcome.value > bound:
        yield Violation(f"{outcome.metric} {outcome.value:g} is above {bound:g}", f"<= {bound:g}", outcome.value)


@validator(
    "per_class_min",
    {"type": "object", "required": ["min"], "additionalProperties": False,
     "properties": {"min": _NUMBER, "classes": {"type": "array", "items": {"type": "string"}, "minItems": 1}}},
)  # fmt: skip
def per_class_min(outcome: Outcome, params: Mapping[str, Any]) -> Iterator[Violation]:
    """Every class (or the listed ones) reaches the minimum: a good mean must not hide one class that fails."""
    bound = float(params["min"])
    if outcome.computed is None:
        yield _unjudged(outcome, f"every class >= {bound:g}")
        return
    per_class = dict(outcome.computed.per_class)
    wanted = [str(c) for c in params.get("classes", sorted(per_class))]
    missing = [c for c in wanted if c not in per_class]
    if missing or not wanted:
        yield Violation(
            f"{outcome.metric} has no per-class value for {missing or 'any class'}", wanted, sorted(per_class)
        )
    low = {c: per_class[c] for c in wanted if c in per_class and not per_class[c] >= bound}
    for name, value in low.items():
        yield Violation(f"{outcome.metric} of class {name} is {value:g}, below {bound:g}", f">= {bound:g}", value)


@validator(
    "max_test01_spread",
    {"type": "object", "required": ["max"], "additionalProperties": False,
     "properties": {"max": {"type": "number", "minimum": 0}}},
)  # fmt: skip
def max_test01_spread(outcome: Outcome, params: Mapping[str, Any]) -> Iterator[Violation]:
    """The metric on TEST01's audited responses is within ``max`` of the accuracy run's on the same samples."""
    bound = float(params["max"])
    if outcome.audit is None or outcome.accuracy_on_audit is None:
        yield _unjudged(outcome, f"TEST01 spread <= {bound:g}")
        return
    spread = abs(outcome.audit.value - outcome.accuracy_on_audit.value)
    if not math.isfinite(spread) or spread > bound:
        yield Violation(
            f"{outcome.metric} on TEST01's {outcome.audit.samples} audited responses is {outcome.audit.value:g}, "
            f"{outcome.accuracy_on_audit.value:g} in the accuracy run on the same samples",
            f"spread <= {bound:g}",
            round(spread, 6),
        )
