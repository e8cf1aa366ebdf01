"""Judging a re-run against a claim: repeated runs, the primary metric, and the claim's own consistency.

A claim is what the system can do, so the best of N runs is compared with it; when the runs
themselves vary more than the tolerance and the miss lies within that variation, the answer is
"inconclusive" rather than a verdict that follows the machine's load.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from .pace import Pace

LATENCY_SCENARIOS = ("SingleStream", "MultiStream")
#: how far LoadGen's scheduled Server rate may sit from target_qps: 5 standard deviations of a
#: Poisson count of n queries (1/sqrt(n)), and never tighter than 2 %
SCHEDULE_SIGMAS = 5.0
SCHEDULE_FLOOR = 0.02
#: the re-run issues the claimed schedule (same seed, rate and count), so its rate must match
SCHEDULE_MATCH = 0.01
#: rounding slack for the orderings LoadGen guarantees (completed <= scheduled, percentile <= max)
ORDER_SLACK = 0.001


def num(value: Any) -> float | None:
    """A finite float, or None."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def shortfall(claimed: float, measured: float, better: str) -> float:
    """How much worse than the claim the measurement is, relative (<= 0 means as good or better)."""
    if better == "higher":
        return 1 - measured / claimed if claimed else math.inf
    return measured / claimed - 1 if claimed else math.inf


def primary_stats(
    claimed: float | None, values: list[float], better: str, tolerance: float, busy: bool = False
) -> dict[str, Any]:
    """min/median/max/spread of the runs and the verdict of the best one: ok, miss or inconclusive.

    ``spread`` is max/min - 1, the same for throughput and latency; ``excess`` is how much better
    than the best run the claim is, on the same scale, so the two can be compared directly. A miss
    is inconclusive when the miss lies within a spread wider than the tolerance, or when other work
    already filled the machine's CPUs (``busy``): neither says anything about the claim.
    """
    if not values or claimed is None:
        return {"runs": values, "verdict": None}
    best = max(values) if better == "higher" else min(values)
    low, high = min(values), max(values)
    spread = high / low - 1 if low > 0 else math.inf
    excess = (claimed / best if better == "higher" else best / claimed) - 1 if best > 0 and claimed > 0 else math.inf
    short = shortfall(claimed, best, better)
    why = None
    if short <= tolerance:
        verdict = "ok"
    elif spread > tolerance and excess <= spread:
        verdict, why = "inconclusive", "spread"
    elif busy:
        verdict, why = "inconclusive", "busy"
    else:
        verdict = "miss"
    return {
        "runs": values,
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
        "spread": spread,
        "best": best,
        "shortfall": short,
        "excess": excess,
        "verdict": verdict,
        "inconclusive_because": why,
    }


def _check(name: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"check": name, "ok": ok, "detail": detail}


def consistency(log: dict[str, Any]) -> list[dict[str, Any]]:
    """Relations LoadGen's own numbers always satisfy; a claim that breaks one was edited after the run."""
    scenario = log.get("effective_scenario")
    if scenario == "Server":
        return _server(log)
    if scenario == "SingleStream":
        pct = num(log.get("effective_target_latency_percentile"))
        key = f"result_{pct * 100:.2f}_percentile_latency_ns" if pct else ""
        return _ordered(log, "early_stopping_latency_ss", key, "result_max_latency_ns")
    if scenario == "MultiStream":
        return _ordered(
            log,
            "early_stopping_latency_ms",
            "result_99.00_percentile_per_query_latency_ns",
            "result_max_query_latency_ns",
        )
    return []


def _pace_bound(log: dict[str, Any], pace: Pace | None, chunk: int) -> tuple[str, float, float, float] | None:
    """(table key, claimed value, the bound the pace sets on it, samples per query); None where the pace sets
    none (Server's metric is its schedule, an unpaced SUT) or the value is missing.
    """
    scenario = log.get("effective_scenario")
    if pace is None or scenario not in ("Offline", *LATENCY_SCENARIOS):
        return None
    samples = num(log.get("effective_samples_per_query")) or 1
    if scenario == "Offline":
        key = "result_samples_per_second"
        batches = math.ceil(samples / chunk)
        bound = samples / ((batches * pace.base_us + samples * pace.per_sample_us) * 1e-6)
    else:
        key = "early_stopping_latency_ss" if scenario == "SingleStream" else "early_stopping_latency_ms"
        bound = (pace.base_us + samples * pace.per_sample_us) * 1e3
    value = num(log.get(key))
    return None if value is None or value <= 0 else (key, value, bound, samples)


def within_pace(log: dict[str, Any], pace: Pace | None, chunk: int) -> list[dict[str, Any]]:
    """A paced SUT answers no faster than the service time its ``sut_name`` names (reference_sut/pace.py):
    a latency below that floor, or an Offline rate above that ceiling, was edited after the run.
    """
    found = _pace_bound(log, pace, chunk)
    if found is None or pace is None:
        return []
    key, value, bound, samples = found
    if key == "result_samples_per_second":
        detail = f"{key} {value:g}; at {pace.label} {samples:g} samples take no less than {bound:g}/s"
        return [_check("claim within its SUT's pace", value <= bound * (1 + ORDER_SLACK), detail)]
    detail = f"{key} {value:g} ns; at {pace.label} a query of {samples:g} samples takes no less than {bound:g} ns"
    return [_check("claim within its SUT's pace", value >= bound * (1 - ORDER_SLACK), detail)]


def pace_slowdown(log: dict[str, Any], pace: Pace | None, chunk: int) -> float | None:
    """How many times slower than its own pace a paced run's table metric is (1.0: the pace exactly); a run
    far above 1 was slowed by other work on the machine. None where the pace sets no bound.
    """
    found = _pace_bound(log, pace, chunk)
    if found is None:
        return None
    key, value, bound, _ = found
    return bound / value if key == "result_samples_per_second" else value / bound


def _server(log: dict[str, Any]) -> list[dict[str, Any]]:
    target = num(log.get("effective_target_qps"))
    scheduled = num(log.get("result_scheduled_samples_per_sec"))
    completed = num(log.get("result_completed_samples_per_sec"))
    queries = num(log.get("result_query_count"))
    out = []
    if target and scheduled is not None and queries:
        bound = max(SCHEDULE_FLOOR, SCHEDULE_SIGMAS / math.sqrt(queries))
        off = scheduled / target - 1
        out.append(
            _check(
                "scheduled rate follows target_qps",
                abs(off) <= bound,
                f"result_scheduled_samples_per_sec {scheduled:g} is {off:+.1%} from effective_target_qps {target:g}"
                f" (LoadGen's Poisson schedule of {queries:.0f} queries stays within {bound:.1%})",
            )
        )
    if scheduled and completed is not None:
        out.append(
            _check(
                "completed rate <= scheduled rate",
                completed <= scheduled * (1 + ORDER_SLACK) + 0.01,
                f"result_completed_samples_per_sec {completed:g} vs result_scheduled_samples_per_sec {scheduled:g}"
                " (samples cannot complete faster than LoadGen issues them)",
            )
        )
    return out


def _ordered(log: dict[str, Any], claim: str, low: str, high: str) -> list[dict[str, Any]]:
    """The early-stopping estimate lies between the target percentile and the maximum latency."""
    value, lo, hi = num(log.get(claim)), num(log.get(low)), num(log.get(high))
    out = []
    if value is not None and lo is not None:
        out.append(
            _check(
                f"{claim} >= {low}",
                value >= lo * (1 - ORDER_SLACK),
                f"{claim} {value:g} ns vs {low} {lo:g} ns (early stopping only ever raises the percentile)",
            )
        )
    if value is not None and hi is not None:
        out.append(
            _check(
                f"{claim} <= {high}",
                value <= hi * (1 + ORDER_SLACK),
                f"{claim} {value:g} ns vs {high} {hi:g} ns (no percentile exceeds the maximum)",
            )
        )
    return out


def schedule_match(claimed: float | None, measured: list[float]) -> dict[str, Any] | None:
    """The re-run issued the claimed Server schedule; its scheduled rate must equal the claimed one."""
    if claimed is None or not measured:
        return None
    rate = statistics.median(measured)
    return _check(
        "scheduled rate matches the re-run",
        abs(rate / claimed - 1) <= SCHEDULE_MATCH if claimed else False,
        f"claimed result_scheduled_samples_per_sec {claimed:g}, the same seed, target_qps and query count"
        f" scheduled {rate:g} here",
    )
