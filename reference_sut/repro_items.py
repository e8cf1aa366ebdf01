"""The claimed-vs-measured rows of a reproduce report, named and scaled as the results table shows them."""

from __future__ import annotations

from typing import Any

from .judge import num, shortfall

PERCENTILES = ("50.00", "90.00", "99.00")


def row(
    name: str,
    key: str,
    unit: str,
    claimed: float | None,
    measured: float | None,
    better: str,
    tolerance: float,
    verdict: str | None = None,
    informational: bool = False,
) -> dict[str, Any]:
    """One row; ``verdict`` is ok, miss or inconclusive (computed from the tolerance when not given)."""
    if verdict is None and claimed is not None and measured is not None:
        verdict = "ok" if shortfall(claimed, measured, better) <= tolerance else "miss"
    ratio = measured / claimed if claimed and measured is not None else None
    return {
        "name": name,
        "key": key,
        "unit": unit,
        "claimed": claimed,
        "measured": measured,
        "ratio": ratio,
        "better": better,
        "tolerance": tolerance,
        "verdict": verdict,
        "within_tolerance": None if verdict in (None, "inconclusive") else verdict == "ok",
        "informational": informational,
    }


def primary_item(
    units: str,
    key: str,
    claimed: float | None,
    scale: float,
    stats: dict[str, Any],
    better: str,
    tolerance: float,
    informational: bool,
) -> dict[str, Any]:
    """The results table's metric (e.g. ``Samples/s``, ``Latency (ms)``), judged on the best run."""
    item = row(
        units,
        key,
        units,
        claimed * scale if claimed is not None else None,
        stats.get("best"),
        better,
        tolerance,
        verdict=stats.get("verdict"),
        informational=informational,
    )
    return {**item, "primary": True, "stats": stats}


def validity_item(claimed: Any, runs: list[dict[str, Any]], judged: bool, busy: bool) -> dict[str, Any]:
    """How many re-runs LoadGen called VALID; for Server that means the latency bound held at the rate.

    No VALID run on a busy machine is inconclusive: the latency bound was missed for want of CPU.
    """
    valid = sum(1 for r in runs if r.get("result_validity") == "VALID")
    item = row("LoadGen validity", "result_validity", "runs", None, None, "higher", 0.0, informational=not judged)
    verdict = "ok" if valid or claimed != "VALID" else ("inconclusive" if busy else "miss")
    return {**item, "claimed": claimed, "measured": f"{valid}/{len(runs)} VALID", "verdict": verdict}


def latency_items(log: dict[str, Any], best: dict[str, Any], tolerance: float) -> list[dict[str, Any]]:
    """Per-sample latency percentiles in ms, for information (the primary metric already judges speed)."""
    out = []
    for pct in PERCENTILES:
        key = f"result_{pct}_percentile_latency_ns"
        claimed, measured = num(log.get(key)), num(best.get(key))
        out.append(
            row(
                f"p{pct.split('.')[0]} latency (ms)",
                key,
                "ms",
                claimed / 1e6 if claimed is not None else None,
                measured / 1e6 if measured is not None else None,
                "lower",
                tolerance,
                informational=True,
            )
        )
    return out


def accuracy_item(claimed: float, measured: float, tolerance: float, metric: str = "accuracy") -> dict[str, Any]:
    """accuracy.txt's number; it must reproduce on any hardware (``accuracy`` in %, or e.g. ``dice``)."""
    unit = "%" if metric == "accuracy" else ""
    label = f"{metric} (%)" if unit else metric
    return row(label, f"accuracy.txt {metric}=", unit, claimed, measured, "higher", tolerance)
