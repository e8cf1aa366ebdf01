"""PO: power results: the power files, the power metric from ``spl.txt``, and errors in the PTD log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from checker.context import ResultContext, as_float
from checker.findings import Problem, Severity
from checker.metrics import _parse_time
from checker.parsers.text import limit_for, read_text
from checker.registry import rule

_PTD_LINE = re.compile(r"^(\d\d-\d\d-\d{4} \d\d:\d\d:\d\d\.\d+):\s*(.*)$")


def _performance(ctx: ResultContext) -> Path:
    return ctx.unit.result_dir / "performance"


@rule(
    "PO001",
    "power-files-missing",
    fix=(
        "Copy the whole power run: performance/ranging/ (summary, detail, spl.txt) and performance/power/ "
        "(client.json, client.log, ptd_logs.txt, server.json, server.log)."
    ),
)
def power_files_missing(ctx: ResultContext) -> Iterator[Problem]:
    """A power result lacks a ranging-run or PTD file (run_1's spl.txt is ST010's).

    Fails: ``performance/power/`` without the ranging run. Passes: every power and ranging file.
    """
    if not ctx.has_power:
        return
    files = ctx.rules["files"]
    for folder, names in (
        ("ranging", files.get("power_ranging_required", [])),
        ("power", files.get("power_dir_required", [])),
    ):
        for name in names:
            path = _performance(ctx) / folder / name
            if not path.is_file():
                yield Problem(ctx.rel(path), f"power file {folder}/{name} is missing", expected=name, found="missing")


@rule(
    "PO002",
    "power-metric-not-computable",
    fix="Keep the PTD samples (spl.txt) of the measured run; power_begin/power_end must bracket at least one sample.",
)
def power_metric_not_computable(ctx: ResultContext) -> Iterator[Problem]:
    """No positive ``spl.txt`` sample lies inside the run's ``power_begin``..``power_end`` window.

    The power row of the results table (average watts, or millijoules per query for
    SingleStream/MultiStream) is computed from exactly those samples, so without them there is none.

    Fails: ``spl.txt`` samples only before and after the run. Passes: a positive sample inside the window.
    """
    if not ctx.has_power or not ctx.perf_log.usable:
        return
    log = ctx.perf_log
    begin, end = _parse_time(str(log.get("power_begin", ""))), _parse_time(str(log.get("power_end", "")))
    samples = _samples(ctx.perf_dir / "spl.txt")
    if samples is None:
        return
    if begin is None or end is None or not _sample_inside(samples, begin, end):
        yield Problem(
            ctx.rel(ctx.perf_dir / "spl.txt"),
            "no power sample inside the run window; the power metric cannot be computed",
            expected=f"samples between {log.get('power_begin')} and {log.get('power_end')}",
            found="none",
        )


def _samples(spl: Path) -> list[str] | None:
    """The ``Time,...`` lines of ``spl.txt`` (chronological, as PTD writes them); None when it is missing."""
    text = read_text(spl)
    return [line for line in text.text.splitlines() if line.startswith("Time,")] if text.ok else None


def _stamp(line: str) -> datetime | None:
    parts = line.split(",")
    return _parse_time(parts[1]) if len(parts) > 3 else None


def _sample_inside(samples: list[str], begin: datetime, end: datetime) -> bool:
    """Whether a positive sample lies strictly inside (begin, end): bisect to the window, then scan it.

    Parses a handful of timestamps instead of every line; the table's power row
    (``metrics.power_metric``) averages exactly these samples.
    """
    low, high = 0, len(samples)
    while low < high:
        middle = (low + high) // 2
        stamp = _stamp(samples[middle])
        if stamp is not None and stamp <= begin:
            low = middle + 1
        else:
            high = middle
    for line in samples[low:]:
        stamp = _stamp(line)
        if stamp is None:
            continue
        if stamp >= end:
            return False
        watts = as_float(line.split(",")[3])
        if stamp > begin and watts is not None and watts > 0:
            return True
    return False


def _ranging_window(lines: list[str], suffix: str) -> tuple[int, int] | None:
    """Line span from the ranging ``Go with mark '..._ranging'`` to the ``Completed test`` after it."""
    start = None
    for number, line in enumerate(lines):
        if start is None and "Go with mark" in line and f"{suffix}'" in line:
            start = number
        elif start is not None and "Completed test" in line:
            return start, number
    return (start, len(lines)) if start is not None else None


@rule(
    "PO003",
    "ptd-log-error",
    fix="Repeat the power measurement: the analyzer reported an error while the benchmark was measured.",
)
def ptd_log_error(ctx: ResultContext) -> Iterator[Problem]:
    """``ptd_logs.txt`` reports an ERROR outside the ranging run.

    As the official power checker: errors inside the ranging window are expected when they are
    ranging errors (``power_ptd.ranging_error_prefixes``), other ones there are warnings; errors
    listed in ``power_ptd.warning_only_errors`` (``USB.``) are warnings anywhere.

    Fails: ``ERROR: Lost connection`` while measuring. Passes: a ranging error during the ranging run.
    """
    if not ctx.has_power:
        return
    path = _performance(ctx) / "power" / "ptd_logs.txt"
    text = read_text(path, limit_for(ctx.rules, "power_log"))
    if not text.ok:
        return
    if ": ERROR" not in text.text:
        return
    settings = ctx.rules.get("power_ptd", {})
    lines = text.text.splitlines()
    window = _ranging_window(lines, settings.get("ranging_mark_suffix", "_ranging"))
    prefixes = tuple(settings.get("ranging_error_prefixes", []))
    mild = set(settings.get("warning_only_errors", []))
    reported: set[tuple[str, bool]] = set()
    messages: dict[str, str] = {}  # a PTD log repeats a few errors thousands of times
    for number, line in [(number, line) for number, line in enumerate(lines) if ": ERROR" in line]:
        tail = line[line.find(": ERROR") + len(": ERROR") :]
        message = messages.get(tail)
        if message is None:
            message = messages[tail] = tail.lstrip(": ").strip()
        ranging = window is not None and window[0] <= number <= window[1]
        if ranging and message.startswith(prefixes):
            continue
        if (message, ranging) in reported:  # one finding per distinct message and phase
            continue
        if not _PTD_LINE.match(line):
            continue
        severity = Severity.WARNING if ranging or message in mild else None
        reported.add((message, ranging))
        phase = "during ranging" if ranging else "outside ranging"
        yield Problem(
            ctx.rel(path),
            f"PTD error {phase}: {message}",
            line=number + 1,
            expected="no analyzer errors while measuring",
            found=message,
            severity=severity,
        )


@rule(
    "PO004",
    "power-window-outside-ptd",
    severity=Severity.WARNING,
    fix="Make sure the PTD clock and the LoadGen clock agree (NTP) and that the measured run is inside the PTD run.",
)
def power_window_outside_samples(ctx: ResultContext) -> Iterator[Problem]:
    """The run's ``power_begin``/``power_end`` are not both covered by ``spl.txt`` timestamps (clock skew?).

    Fails: PTD samples that start after ``power_begin`` (a warning). Passes: samples covering the whole run.
    """
    if not ctx.has_power or not ctx.perf_log.usable:
        return
    begin = _parse_time(str(ctx.perf_log.get("power_begin", "")))
    end = _parse_time(str(ctx.perf_log.get("power_end", "")))
    text = read_text(ctx.perf_dir / "spl.txt", limit_for(ctx.rules, "power_log"))
    if begin is None or end is None or not text.ok:
        return
    samples = [line for line in text.text.splitlines() if line.startswith("Time,")]
    first, last = (_stamp(samples[0]), _stamp(samples[-1])) if samples else (None, None)
    if first is not None and last is not None and (first > begin or last < end):
        yield Problem(
            ctx.rel(ctx.perf_dir / "spl.txt"),
            "PTD samples do not cover the whole measured run",
            expected=f"{begin} .. {end}",
            found=f"{first} .. {last}",
        )
