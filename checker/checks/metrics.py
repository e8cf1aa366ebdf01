"""AC011/AC012: the metric is computed from the outputs, not read; the rule file's validators judge it.

The rule file declares, per model, ``metrics.<name>: {compute, params, tolerance, validators}``. ``compute``
names a metric plugin (:mod:`checker.plugins`); a metric no plugin provides is EN005, once for the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.checks.accuracy import enforced
from checker.context import ResultContext
from checker.findings import Problem
from checker.plugins.api import METRICS, VALIDATORS, MetricError, MetricResult
from checker.plugins.discovery import load_plugins
from checker.plugins.outcome import compute, metric_specs, outcome
from checker.registry import rule


def _specs(ctx: ResultContext) -> dict[str, dict[str, Any]]:
    """The model's computed metrics whose plugin is loaded (this worker loads the run's plugins first)."""
    if ctx.accuracy_file.read_error is not None or ctx.benchmark is None:
        return {}
    load_plugins(ctx.options.plugins)
    return {name: spec for name, spec in metric_specs(ctx.model).items() if spec.get("compute") in METRICS}


@rule(
    "AC011",
    "accuracy-claim-not-computed",
    fix=(
        "Write accuracy.txt with the benchmark's accuracy script run on this very mlperf_log_accuracy.json; never "
        "edit the number. If the log is the wrong one, copy the accuracy run's own log."
    ),
)
def accuracy_claim_not_computed(ctx: ResultContext) -> Iterator[Problem]:
    """accuracy.txt claims a metric value that the accuracy log's own outputs do not give.

    The metric plugin the rule file names (``metrics.<m>.compute``) decodes every response of a complete
    ``accuracy/mlperf_log_accuracy.json`` and computes the metric against the ground truth; each claimed value
    must lie within ``tolerance`` of it. A truncated log is not enough to compute from and is not judged here.
    A plugin that cannot compute (no ground truth, a response of the wrong size) fails closed. Every division.

    Fails: ``accuracy=99.000%`` when the log's labels give 98.000 %. Passes: the value the log gives.
    """
    for name, spec in _specs(ctx).items():
        computed = compute(ctx, ctx.accuracy_dir / "mlperf_log_accuracy.json", spec)
        where = ctx.rel(ctx.accuracy_dir / "mlperf_log_accuracy.json")
        if isinstance(computed, MetricError):
            yield Problem(where, f"{name} cannot be computed from the outputs: {computed}", key=name,
                          expected=f"{name} computed by {spec.get('compute')}", found=str(computed))  # fmt: skip
            continue
        if not isinstance(computed, MetricResult):
            continue  # truncated: documented above
        tolerance = float(spec.get("tolerance", 0))
        for line, value in ctx.accuracy_file.values.get(name, []):
            if abs(value - computed.value) > tolerance:
                yield Problem(
                    ctx.rel(ctx.accuracy_file.path),
                    f"accuracy.txt claims {name} {value:g}; the {computed.samples} outputs of its accuracy log give "
                    f"{computed.value:.6g}",
                    line=line,
                    key=name,
                    expected=f"{computed.value:.6g} (± {tolerance:g})",
                    found=value,
                )


@rule(
    "AC012",
    "accuracy-metric-validator",
    fix="Improve the model until the metric passes the validator the rule file names, or submit to open.",
)
def accuracy_metric_validator(ctx: ResultContext) -> Iterator[Problem]:
    """Closed and network: a computed metric fails a validator its rule file declares for it.

    Validators are named in YAML (``metrics.<m>.validators: [{validator: per_class_min, min: 0.8}]``) and are
    small registered functions: ``min_fraction`` (of a reference), ``min``, ``max``, ``per_class_min`` and
    ``max_test01_spread`` (the metric on TEST01's audited responses against the accuracy run on the same
    samples), plus any a plugin adds. They judge the computed value; without a complete log, the claimed one,
    and a validator that needs the outputs (per class, TEST01) fails closed.

    Fails: Dice of class 2 is 0.74 against ``per_class_min: 0.8``. Passes: every class at or above 0.8.
    """
    if not enforced(ctx):
        return
    for name, spec in _specs(ctx).items():
        try:
            judged = outcome(ctx, name, spec)
        except MetricError:
            continue  # AC011 reports a metric that cannot be computed
        for i, item in enumerate(spec.get("validators") or []):
            found = VALIDATORS.get(str(item.get("validator")))
            if found is None:
                continue  # EN005, once for the run
            params = {k: v for k, v in item.items() if k != "validator"}
            key = f"metrics.{name}.validators[{i}]"
            try:
                violations = list(found.func(judged, params))
            except Exception as exc:  # noqa: BLE001 - a crashing plugin validator fails closed and is named
                violations = [_crashed(found.name, found.origin, exc)]
            for bad in violations:
                yield Problem(ctx.rel(ctx.accuracy_file.path), f"{bad.message} (validator {found.name})", key=key,
                              expected=bad.expected, found=bad.found)  # fmt: skip


def _crashed(name: str, origin: str, exc: Exception) -> Any:
    from checker.plugins.api import Violation

    return Violation(f"validator {name} ({origin}) raised {type(exc).__name__}: {str(exc)[:200]}", "a verdict", "crash")
