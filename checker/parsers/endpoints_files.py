"""Parsers for the Endpoints client's text report and metrics snapshot (``report.txt``,
``metrics/final_snapshot.json``), the files an inference v6.1 Endpoints result carries beside its summary.

``report.txt`` is the client's human summary; its header restates the run's totals (samples, duration, QPS,
TPS), which a rule can compare with ``result_summary.json``. The snapshot is the metrics aggregator's last state:
counters (samples issued, completed, failed; durations) and series (latency, TTFT, TPOT, OSL percentiles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from checker.parsers.endpoints import number, percentiles

_HEADER = {
    "Total samples issued": "issued",
    "Total samples completed": "completed",
    "Total samples failed": "failed",
    "Duration": "duration_s",
    "QPS": "qps",
    "TPS": "tps",
}
_LINE = re.compile(r"^([A-Za-z ]+):\s*([-+0-9.eE]+)(?:\s+seconds)?\s*$")


def report_totals(text: str) -> dict[str, float]:
    """The totals in ``report.txt``'s summary block (``Total samples issued: 600000`` ... ``TPS: 1175890.22``)."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("-") and "Latency" in line:
            break  # the summary block ends where the latency breakdowns begin
        match = _LINE.match(line.strip())
        if match and match.group(1) in _HEADER:
            try:
                found[_HEADER[match.group(1)]] = float(match.group(2))
            except ValueError:
                continue
    return found


@dataclass(frozen=True)
class Snapshot:
    """``metrics/final_snapshot.json``: the run state, counters by name and series percentiles by name."""

    state: str | None
    counters: dict[str, float]
    series: dict[str, dict[float, float]]


def snapshot(data: dict[str, Any]) -> Snapshot:
    counters: dict[str, float] = {}
    series: dict[str, dict[float, float]] = {}
    items = data.get("metrics")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        if item.get("type") == "counter" and number(item.get("value")) is not None:
            counters[item["name"]] = float(item["value"])
        elif item.get("type") == "series":
            series[item["name"]] = percentiles(item)
    state = data.get("state")
    return Snapshot(state if isinstance(state, str) else None, counters, series)
