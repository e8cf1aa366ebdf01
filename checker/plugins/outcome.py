"""Compute a rule file's metric for one result from its accuracy logs (parsing, kept apart from judging).

The responses come from ``accuracy/mlperf_log_accuracy.json`` when that log is complete (a log under 4096 bytes
is never truncated; a submitter checks before truncating; ``reproduce`` checks its own re-run). A truncated
log holds only a few hundred visible records, so the metric is then not computed and the claim is not compared.
TEST01's audit log (kept whole under ``TEST01/performance/run_1``) gives the metric on the audited responses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from checker.parsers.accuracy_log import ACCURACY_JSON_LIMIT, AccuracyLog, read_accuracy_log
from checker.parsers.memo import per_run
from checker.parsers.text import limit_for
from checker.plugins.api import METRICS, MetricError, MetricResult, Outcome


def metric_specs(model: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The metrics a model's rule-file block declares (``metrics:``), name -> spec."""
    return dict(model.get("metrics") or {})


def responses(log: AccuracyLog) -> dict[int, bytes]:
    """qsl_idx -> the response bytes (first occurrence), decoded from the log's hex (an odd digit count is an
    error that names the sample, never a crash).
    """
    out: dict[int, bytes] = {}
    for idx, data in log.entries.items():
        if len(data) % 2:
            raise MetricError(f"the response of qsl_idx {idx} has an odd number of hex digits ({len(data)})")
        out[idx] = bytes.fromhex(data)
    return out


@per_run(maxsize=64)
def _computed(path: Path, name: str, params_json: str, limit: int, only: frozenset[int] | None) -> Any:
    """The metric on one log (or on the samples ``only``), or the reason it could not be computed (a str)."""
    log = read_accuracy_log(path, limit)
    if not log.exists:
        return f"{path.name} is missing"
    if log.error is not None:
        return f"{path.name} cannot be read: {log.error}"
    if not log.complete:
        return f"{path.name} is truncated; the metric is computed from a complete log"
    found = METRICS.get(name)
    if found is None:
        return f"no plugin provides the metric {name}"
    try:
        chosen = responses(log)
    except MetricError as exc:
        return exc
    if only is not None:
        chosen = {idx: data for idx, data in chosen.items() if idx in only}
    try:
        result = found.func(chosen, json.loads(params_json))
    except MetricError as exc:
        return MetricError(f"metric {name} ({found.origin}): {exc}")
    except Exception as exc:  # noqa: BLE001 - a crashing plugin is reported with its name, never a pass
        return MetricError(f"metric {name} ({found.origin}) raised {type(exc).__name__}: {str(exc)[:200]}")
    if not isinstance(result, MetricResult):
        return MetricError(f"metric {name} ({found.origin}) returned {type(result).__name__}, not MetricResult")
    for what, value in [("value", result.value), *((f"class {c}", v) for c, v in dict(result.per_class).items())]:
        if not _finite(value):  # NaN compares False with every bound: it would pass them all
            return MetricError(f"metric {name} ({found.origin}) returned {what} {value!r}, not a finite number")
    return result


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def compute(ctx: Any, path: Path, spec: Mapping[str, Any], only: frozenset[int] | None = None) -> Any:
    """The metric of ``spec`` on the log at ``path``: a MetricResult, a MetricError, or why not computed (str)."""
    params = json.dumps(dict(spec.get("params") or {}), sort_keys=True, default=str)
    limit = limit_for(ctx.rules, "accuracy_json", ACCURACY_JSON_LIMIT)
    return _computed(path, str(spec.get("compute")), params, limit, only)


def audit_log(ctx: Any) -> Path:
    return ctx.unit.compliance_dir / "TEST01" / "performance" / "run_1" / "mlperf_log_accuracy.json"


def outcome(ctx: Any, name: str, spec: Mapping[str, Any]) -> Outcome:
    """Everything validators judge for metric ``name`` of one result (a MetricError is raised, not judged)."""
    computed = compute(ctx, ctx.accuracy_dir / "mlperf_log_accuracy.json", spec)
    if isinstance(computed, MetricError):
        raise computed
    claimed = ctx.accuracy_file.first(name) if ctx.accuracy_file.read_error is None else None
    audit = accuracy_on_audit = None
    audit_path = audit_log(ctx)
    if isinstance(computed, MetricResult) and audit_path.is_file():
        log = read_accuracy_log(audit_path, limit_for(ctx.rules, "accuracy_json", ACCURACY_JSON_LIMIT))
        if log.complete and log.entries:
            audited = compute(ctx, audit_path, spec)
            same = compute(ctx, ctx.accuracy_dir / "mlperf_log_accuracy.json", spec, frozenset(log.entries))
            if isinstance(audited, MetricResult) and isinstance(same, MetricResult):
                audit, accuracy_on_audit = audited, same
    if isinstance(computed, MetricResult):
        return Outcome(name, computed.value, claimed, computed, audit, accuracy_on_audit)
    return Outcome(name, claimed, claimed, None, why_not_computed=str(computed))
