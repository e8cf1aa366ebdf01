"""The primary metric of a result, as the round's rules define it, and the power metric beside it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from checker.context import ResultContext
from checker.numbers import as_float  # finite or None: an overflowing or NaN log value yields no metric
from checker.parsers.memo import per_run
from checker.parsers.text import DEFAULT_LIMIT, read_text

_LATENCY_SCENARIOS = ("SingleStream", "MultiStream")
_POWER_TIME = "%m-%d-%Y %H:%M:%S.%f"


@dataclass(frozen=True)
class Metric:
    value: float
    units: str
    inferred: bool = False


def primary_metric(ctx: ResultContext) -> Metric | None:
    """Value and units of the result's headline number; None when the log lacks it."""
    log = ctx.perf_log
    ran, folder, model = ctx.log_scenario, ctx.scenario, ctx.benchmark
    if not log.usable or ran is None or folder is None or model is None:
        return None
    units = ctx.rules.units(model, folder)
    if folder == ran or (folder == "Interactive" and ran == "Server"):
        key = ctx.rules.result_key(model, ran)
        value = as_float(log.get(key)) if key else None
        if value is None:
            return None
        return Metric(value / 1e6 if ran in _LATENCY_SCENARIOS else value, units)
    value = _inferred(ctx, folder, ran)
    return Metric(value, units, inferred=True) if value is not None else None


def _inferred(ctx: ResultContext, folder: str, ran: str) -> float | None:
    """Edge systems may derive one scenario's metric from another's run (see the round's rules)."""
    log = ctx.perf_log
    if folder == "Offline" and ran == "SingleStream":
        return as_float(log.get("result_qps_without_loadgen_overhead"))
    if folder == "Offline" and ran == "MultiStream":
        spq, mean = (
            as_float(log.get("effective_samples_per_query")),
            as_float(log.get("result_mean_query_latency_ns")),
        )
        seconds = mean / 1e9 if mean else 0.0
        return spq / seconds if spq and seconds > 0 else None
    if folder == "MultiStream" and ran == "SingleStream":
        latency = as_float(log.get("early_stopping_latency_ms"))
        factor = ctx.rules["inferred_results"].get("multistream_samples_per_query", 8)
        return latency * factor / 1e6 if latency else None
    return None


def _parse_time(text: str) -> datetime | None:
    """``MM-DD-YYYY HH:MM:SS.fff`` (LoadGen and PTD); hand-parsed because strptime dominates power parsing."""
    text = text.strip()
    if len(text) == 23 and text[2] == "-" and text[5] == "-" and text[10] == " " and text[19] == ".":
        try:  # the usual stamp, parsed in C; where this refuses, the general parse decides
            return datetime.fromisoformat(f"{text[6:10]}-{text[0:2]}-{text[3:5]}T{text[11:]}")
        except ValueError:
            pass
    return _parse_time_general(text)


def _parse_time_general(text: str) -> datetime | None:
    """:func:`_parse_time` of a stripped stamp in any form it accepts (the reference for its fast path)."""
    try:
        if len(text) >= 19 and text[2] == "-" and text[5] == "-" and text[10] == " ":
            micro = int((text[20:] + "000000")[:6]) if len(text) > 20 else 0
            return datetime(
                int(text[6:10]),
                int(text[0:2]),
                int(text[3:5]),
                int(text[11:13]),
                int(text[14:16]),
                int(text[17:19]),
                micro,
            )
        return datetime.strptime(text, _POWER_TIME)
    except (ValueError, AttributeError):
        return None


@per_run(maxsize=4)  # PO002, PO004 and the table's power row read the same file in turn
def spl_lines(spl: Path, limit: int) -> list[str] | None:
    """The lines of a ``spl.txt`` read within ``limit``, or None when it cannot be read; shared, do not modify."""
    text = read_text(spl, limit)
    return text.text.splitlines() if text.ok else None


def power_samples(spl: Path, begin: datetime, end: datetime) -> list[float]:
    """Watts of the ``spl.txt`` samples strictly inside the run window."""
    watts = []
    for line in spl_lines(spl, DEFAULT_LIMIT) or ():
        if not line.startswith("Time"):
            continue
        parts = line.split(",", 4)  # the fields read are the first four (a line holds two dozen)
        if len(parts) < 4:
            continue
        stamp = _parse_time(parts[1])
        if stamp is None or not begin < stamp < end:
            continue
        try:
            value = float(parts[3])  # thousands of samples per run: plain float, then the finite check
        except ValueError:
            continue
        if math.isfinite(value) and value > 0:
            watts.append(value)
    return watts


def power_metric(ctx: ResultContext) -> Metric | None:
    """Average power (Offline, Server) or energy per query in millijoules (SingleStream, MultiStream)."""
    if not ctx.has_power or ctx.scenario is None:
        return None
    log = ctx.perf_log
    begin, end = _parse_time(str(log.get("power_begin", ""))), _parse_time(str(log.get("power_end", "")))
    if begin is None or end is None:
        return None
    watts = power_samples(ctx.perf_dir / "spl.txt", begin, end)
    if not watts:
        return None
    average = sum(watts) / len(watts)
    units = ctx.rules.get("power_units", {}).get(ctx.scenario, "")
    if ctx.scenario in _LATENCY_SCENARIOS:
        queries = as_float(log.get("result_query_count"))
        if not queries:
            return None
        energy = average * (end - begin).total_seconds() * 1000 / queries
        return Metric(energy, units)
    return Metric(average, units)
