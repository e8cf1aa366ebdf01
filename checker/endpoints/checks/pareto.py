"""EP2: the Pareto curve as a whole: how many points, where they sit, and its Offline point (§5, §7, §9).

Regions come from §5.5's algorithm (:mod:`checker.endpoints.regions`) on C_max, the system's declared maximum
supported concurrency, and C_min, the lowest point (at most the top of Ultra Low).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from checker.endpoints.context import CurveContext
from checker.findings import Problem, Severity
from checker.registry import rule

_LABEL = {"ultra_low": "Ultra Low", "low": "Low", "medium": "Medium", "high": "High"}


@rule(
    "EP201",
    "point-count",
    suite="endpoints",
    fix="Submit 7 to 32 measurement points per curve, 8 when one is a dedicated Offline run (§5.3).",
)
def point_count(ctx: CurveContext) -> Iterator[Problem]:
    """A curve has fewer points than §5.3 asks (7, or 8 with a dedicated Offline run) or more than the cap (32).

    Fails: six ``r<N>`` folders. Passes: eight.
    """
    cfg = ctx.rules["points"]
    dedicated = not ctx.agentic and any(p.offline == "dedicated" for p in ctx.points)
    least = cfg["min_with_dedicated_offline"] if dedicated else cfg["min"]
    n = len(ctx.points)
    if not n:
        return  # EP006
    if n < least:
        yield Problem(ctx.rel(ctx.curve.path), f"{n} measurement points; at least {least}", expected=least, found=n)
    if n > cfg["max"]:
        yield Problem(
            ctx.rel(ctx.curve.path), f"{n} measurement points; at most {cfg['max']}", expected=cfg["max"], found=n
        )


@rule(
    "EP202",
    "region-not-covered",
    suite="endpoints",
    fix="Measure at least one point in each of the Ultra Low, Low, Medium and High concurrency regions (§§3-6).",
)
def region_not_covered(ctx: CurveContext) -> Iterator[Problem]:
    """A mandatory concurrency region holds no point (§5.4, §§3-6); a margin point above C_max does not count
    for High.

    Fails: C_max 1000, C_min 16 and no point in 27..115 (Medium). Passes: r38 and r88 there.
    """
    regions = ctx.regions
    if regions is None:
        return  # EP205
    bands = regions.bands(ctx.concurrencies, ctx.rules["regions"]["margin_counts_as_high"])
    spans = {
        "ultra_low": (1, regions.ultra_low_max),
        "low": (regions.c_min + 1, regions.low_end),
        "medium": (regions.low_end + 1, regions.medium_end),
        "high": (regions.medium_end + 1, regions.c_max),
    }
    for name, found in bands.items():
        if not found:
            lo, hi = spans[name]
            yield Problem(
                ctx.rel(ctx.curve.path),
                f"no point in the {_LABEL[name]} Concurrency region {lo}..{hi} (C_max {regions.c_max}, "
                f"C_min {regions.c_min})",
                expected=f"a point in {lo}..{hi}",
                found=sorted(ctx.concurrencies),
            )


@rule(
    "EP203",
    "concurrency-out-of-range",
    suite="endpoints",
    fix="Keep every point at or below C_max plus the 10% margin (§5.4, §9).",
)
def concurrency_out_of_range(ctx: CurveContext) -> Iterator[Problem]:
    """A point lies above C_max plus the margin (§9); a dedicated Offline run is exempt (§5.7.1).

    Fails: C_max 1000 and a point r1200 (the margin ends at 1100). Passes: r1000.
    """
    regions = ctx.regions
    if regions is None:
        return
    for point in ctx.points:
        if point.offline != "dedicated" and point.concurrency > regions.margin_end:
            yield Problem(
                ctx.rel(point.path),
                f"concurrency {point.concurrency} is above C_max {regions.c_max} plus the margin "
                f"({regions.margin_end})",
                expected=f"<= {regions.margin_end}",
                found=point.concurrency,
            )


@rule(
    "EP204",
    "offline-point",
    suite="endpoints",
    fix="Declare exactly one Offline point (offline: dedicated, or elected at C_max) in point.yaml; an agentic "
    "benchmark declares none (§5.7).",
)
def offline_point(ctx: CurveContext) -> Iterator[Problem]:
    """A non-agentic curve does not have exactly one Offline point, an elected one is not at C_max, or an agentic
    curve has one (§5.7, §5.7.2).

    Fails: no point says ``offline: elected`` or ``dedicated``. Passes: r1000 (= C_max) says ``offline: elected``.
    """
    if not ctx.points:
        return
    declared = ctx.offline_points
    where = ctx.rel(ctx.curve.path)
    listed = [f"r{p.concurrency}" for p in declared]
    if ctx.agentic:
        if declared:
            yield Problem(
                where, f"an agentic curve declares Offline points: {', '.join(listed)}", expected=0, found=listed
            )
        return
    if len(declared) != 1:
        found = ", ".join(listed) or "none"
        yield Problem(
            where,
            f"{len(declared)} points declare offline ({found}); exactly one must",
            expected=1,
            found=len(declared),
        )
        return
    point = declared[0]
    if point.offline == "elected" and ctx.c_max is not None and point.concurrency != ctx.c_max:
        yield Problem(
            ctx.rel(point.path / "point.yaml"),
            f"the elected Offline point r{point.concurrency} is not at C_max {ctx.c_max}",
            expected=ctx.c_max,
            found=point.concurrency,
            key="offline",
        )


@rule(
    "EP205",
    "max-concurrency-invalid",
    suite="endpoints",
    fix="Declare max_supported_concurrency (C_max, above 32) in system_desc.json (§7).",
)
def max_concurrency_invalid(ctx: CurveContext) -> Iterator[Problem]:
    """C_max is not declared, or is not above the Ultra Low range, so the curve's regions cannot be computed (§5.5,
    §7).

    Fails: no ``max_supported_concurrency``; ``max_supported_concurrency: 16``. Passes: 1000.
    """
    if not ctx.points:
        return
    top = ctx.rules["regions"]["ultra_low_max"]
    if ctx.c_max is None or ctx.c_max <= top:
        yield Problem(
            ctx.rel(ctx.curve.path),
            "max_supported_concurrency is missing" if ctx.c_max is None else f"C_max {ctx.c_max} is not above {top}",
            expected=f"> {top}",
            found=ctx.c_max,
            key="max_supported_concurrency",
        )


@rule(
    "EP206",
    "offline-ordering",
    suite="endpoints",
    severity=Severity.WARNING,
    fix="Run the dedicated Offline point at or above C_max, at no less than 98% of the C_max point's TPS (§5.7.2).",
)
def offline_ordering(ctx: CurveContext) -> Iterator[Problem]:
    """A dedicated Offline run sits below C_max or is slower than 0.98 x the C_max point (§5.7.2; flagged, not
    rejected, as §9.1 says).

    Fails: Offline at 900 TPS when r1000 makes 1,000. Passes: 990.
    """
    dedicated = [p for p in ctx.points if p.offline == "dedicated"]
    if not dedicated or ctx.c_max is None:
        return
    offline = dedicated[0]
    where = ctx.rel(offline.path)
    if offline.concurrency < ctx.c_max:
        yield Problem(where, f"Offline concurrency {offline.concurrency} < C_max {ctx.c_max}", expected=ctx.c_max)
    at_max = next((p for p in ctx.points if p.concurrency == ctx.c_max), None)
    if offline.summary is None or at_max is None or at_max.summary is None:
        return
    fast, base = offline.summary.derived_system_tps, at_max.summary.derived_system_tps
    floor = ctx.rules["offline"]["tps_margin"] * (base or 0)
    if fast is not None and base is not None and fast < floor:
        yield Problem(
            where, f"Offline {fast:.3f} TPS < {floor:.3f} (0.98 x C_max's {base:.3f})", expected=floor, found=fast
        )


@rule(
    "EP207",
    "point-duration",
    suite="endpoints",
    severity=Severity.WARNING,
    fix="Measure each point at least 600 s (concurrency <= 32) or 1,200 s above (2,400 s agentic) (§6.2).",
)
def point_duration(ctx: CurveContext) -> Iterator[Problem]:
    """A point ran shorter than §6.2's minimum for its concurrency, measured on the steady-state window's
    issue-time span where point.yaml reports one (§4.4), else on the whole run (warned, as the official checker
    does).

    Fails: r256 with a 1,000 s window. Passes: 1,230 s.
    """
    cfg = ctx.rules["min_duration_ms"]
    top = ctx.rules["regions"]["ultra_low_max"]
    for point in ctx.points:
        if point.summary is None or point.summary.duration_ns is None:
            continue
        state = point.point.get("steady_state")
        window = state.get("window") if isinstance(state, dict) else None
        seconds = window.get("duration_s") if isinstance(window, dict) else None
        basis = "steady-state window"
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            seconds, basis = point.summary.duration_ns / 1e9, "whole run"
        elif not math.isfinite(seconds):
            seconds = 0.0  # .nan or .inf in point.yaml measures nothing: compared as no time at all
        need = cfg["ultra_low"] if point.concurrency <= top else cfg["above_agentic" if point.agentic else "above"]
        if seconds * 1000 < need:
            yield Problem(
                ctx.rel(point.path / "result_summary.json"),
                f"r{point.concurrency}: {basis} of {seconds:g} s; at least {need / 1000:g} s",
                expected=need,
                found=seconds * 1000,
            )
