"""EP1: each point's numbers agree with each other (§9.1, §12, §14).

The client stores rates next to the counts they come from; a stored rate the counts do not give is a copy or a
hand edit, so the check recomputes it: system TPS = output tokens / run seconds, TPS per user = 1000 / TPOT p90
(ms). Tolerances are the round's ``tolerance``.
"""

from __future__ import annotations

from collections.abc import Iterator

from checker.endpoints.context import CurveContext, Point
from checker.findings import Problem
from checker.parsers.endpoints import Summary
from checker.registry import rule

_SUMMARY = "result_summary.json"


def _summaries(ctx: CurveContext) -> Iterator[tuple[Point, Summary, str]]:
    for point in ctx.points:
        if point.summary is not None:
            yield point, point.summary, ctx.rel(point.path / _SUMMARY)


def _off(stored: float, derived: float) -> float:
    return abs(stored - derived) / max(abs(derived), 1e-9)


@rule(
    "EP101",
    "sample-accounting",
    suite="endpoints",
    fix="Report n_samples_completed + n_samples_failed = n_samples_issued, as the client counted them (§14).",
)
def sample_accounting(ctx: CurveContext) -> Iterator[Problem]:
    """Completed plus failed queries differ from the queries issued (§14), or no query completed: a point without
    a completed query measured nothing.

    Fails: 1000 issued, 990 completed, 0 failed; 0 issued and 0 completed. Passes: 1000 = 1000 + 0.
    """
    for _point, s, path in _summaries(ctx):
        if None in (s.issued, s.completed, s.failed):
            continue  # EP004 reports a missing or negative count
        if not s.completed:
            yield Problem(path, "no query completed", expected="> 0", found=s.completed, key="n_samples_completed")
            continue
        if s.completed + s.failed != s.issued:  # type: ignore[operator]
            yield Problem(
                path,
                f"{s.completed} completed + {s.failed} failed != {s.issued} issued",
                expected=s.issued,
                found=s.completed + s.failed,  # type: ignore[operator]
                key="n_samples_issued",
            )


@rule(
    "EP102",
    "duration-not-positive",
    suite="endpoints",
    fix="Report the run's duration_ns as a positive number of nanoseconds (§14).",
)
def duration_not_positive(ctx: CurveContext) -> Iterator[Problem]:
    """A point's ``duration_ns`` is zero or negative, so no rate can come from it (§14).

    Fails: ``duration_ns: 0``. Passes: ``1260000000000``.
    """
    for _point, s, path in _summaries(ctx):
        if s.duration_ns is not None and s.duration_ns <= 0:
            yield Problem(
                path, f"duration_ns is {s.duration_ns:g}", expected="> 0", found=s.duration_ns, key="duration_ns"
            )


@rule(
    "EP103",
    "system-tps-inconsistent",
    suite="endpoints",
    fix="Report system_tps as output_sequence_lengths.total / (duration_ns / 1e9) (§9.1).",
)
def system_tps_inconsistent(ctx: CurveContext) -> Iterator[Problem]:
    """The stored ``system_tps`` is not the output tokens per second of the run (§9.1), beyond the tolerance.

    Fails: 1,000,000 tokens in 1,000 s stored as 1,100 TPS. Passes: stored 1,000 TPS.
    """
    tolerance = ctx.rules["tolerance"]["system_tps"]
    for _point, s, path in _summaries(ctx):
        derived = s.derived_system_tps
        if s.stored_system_tps is None or derived is None or s.duration_ns is None or s.duration_ns <= 0:
            continue
        if _off(s.stored_system_tps, derived) > tolerance:
            yield Problem(
                path,
                f"system_tps {s.stored_system_tps:.4f} != {s.output_tokens:g} tokens / "
                f"{s.duration_ns / 1e9:g} s = {derived:.4f} (off by {_off(s.stored_system_tps, derived):.1%})",
                expected=round(derived, 4),
                found=s.stored_system_tps,
                key="system_tps",
            )


@rule(
    "EP104",
    "tpot-p90-missing",
    suite="endpoints",
    fix='Report the 90th percentile of tpot.percentiles (key "90") as a positive number of nanoseconds (§9.1).',
)
def tpot_p90_missing(ctx: CurveContext) -> Iterator[Problem]:
    """A point has no positive TPOT p90; a dedicated Offline run, which reports throughput only, is exempt (§5.7.1).

    Fails: ``tpot.percentiles`` without ``"90"``. Passes: ``"90": 5000000.0``.
    """
    for point, s, path in _summaries(ctx):
        if point.offline == "dedicated":
            continue
        p90 = s.tpot_ms(90.0)
        if p90 is None or p90 <= 0:
            yield Problem(path, "TPOT p90 is missing or not positive", expected="> 0 ms", found=p90, key="tpot")


@rule(
    "EP105",
    "tps-per-user-inconsistent",
    suite="endpoints",
    fix="Report tps_per_user as 1000 / TPOT p90 in milliseconds (§9.1).",
)
def tps_per_user_inconsistent(ctx: CurveContext) -> Iterator[Problem]:
    """The stored ``tps_per_user`` is not 1000 / TPOT p90 (ms) (§9.1), beyond the tolerance.

    Fails: TPOT p90 5 ms stored as 250 TPS per user. Passes: 200.
    """
    tolerance = ctx.rules["tolerance"]["tps_per_user"]
    for point, s, path in _summaries(ctx):
        p90 = s.tpot_ms(90.0)
        if point.offline == "dedicated" or s.stored_tps_per_user is None or p90 is None or p90 <= 0:
            continue
        derived = 1000.0 / p90
        if _off(s.stored_tps_per_user, derived) > tolerance:
            yield Problem(
                path,
                f"tps_per_user {s.stored_tps_per_user:.4f} != 1000 / TPOT p90 {p90:.4f} ms = {derived:.4f}",
                expected=round(derived, 4),
                found=s.stored_tps_per_user,
                key="tps_per_user",
            )


@rule(
    "EP106",
    "min-query-count",
    suite="endpoints",
    fix="Run every sample of the dataset at each point (§6.4, §12).",
)
def min_query_count(ctx: CurveContext) -> Iterator[Problem]:
    """A point completed fewer queries than its dataset's minimum (§12); datasets the round lists only.

    Fails: ``dataset: cnn_dailymail`` with 13,000 completed (13,368 needed). Passes: 13,368.
    """
    minimums = ctx.rules["min_query_count"]
    for point, s, path in _summaries(ctx):
        dataset = point.point.get("dataset")
        need = minimums.get(dataset) if isinstance(dataset, str) else None
        if need is not None and s.completed is not None and s.completed < need:
            yield Problem(
                path,
                f"{s.completed} queries completed on {dataset}; {need} required",
                expected=need,
                found=s.completed,
                key="n_samples_completed",
            )
