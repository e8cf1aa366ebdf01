"""PO: power results: the power files, the power metric from ``spl.txt``, and errors in the PTD log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from checker.context import ResultContext, as_float
from checker.findings import Problem, Severity
from checker.metrics import _parse_time, spl_lines
from checker.parsers.memo import per_run
from checker.parsers.text import DEFAULT_LIMIT, limit_for, read_text
from checker.registry import rule

_PTD_LINE = r"^(\d\d-\d\d-\d{4} \d\d:\d\d:\d\d\.\d+):\s*(.*)$"  # patterns: compiled (once) where used
_ERROR_TAIL = r": ERROR([^\r\n]*)"  # what follows a line's first ": ERROR", up to its line end
_ODD_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e")  # ASCII line breaks of str.splitlines() besides \n, \r
_LONE_CR = r"\r(?!\n)"
_PtdError = tuple[int, str, bool]  # line index, message, inside the ranging window


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
    samples = _samples(ctx.perf_dir / "spl.txt", DEFAULT_LIMIT)
    if samples is None:
        return
    if begin is None or end is None or not _sample_inside(samples, begin, end):
        yield Problem(
            ctx.rel(ctx.perf_dir / "spl.txt"),
            "no power sample inside the run window; the power metric cannot be computed",
            expected=f"samples between {log.get('power_begin')} and {log.get('power_end')}",
            found="none",
        )


@per_run(maxsize=4)
def _samples(spl: Path, limit: int) -> list[str] | None:
    """The ``Time,...`` lines of ``spl.txt`` (chronological, as PTD writes them); None when it cannot be read."""
    lines = spl_lines(spl, limit)
    return None if lines is None else [line for line in lines if line.startswith("Time,")]


def _samples_within(spl: Path, limit: int) -> list[str] | None:
    """:func:`_samples` read within ``limit``: a file read whole within a smaller cap is the same file."""
    if limit >= DEFAULT_LIMIT:
        samples = _samples(spl, DEFAULT_LIMIT)
        if samples is not None:
            return samples
    return _samples(spl, limit)


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
    suffix = settings.get("ranging_mark_suffix", "_ranging")
    prefixes = tuple(settings.get("ranging_error_prefixes", []))
    errors = _ptd_errors_fast(_joined_lines(text.text), suffix, prefixes)
    if errors is None:  # a log the fast scan is unsure of: the exact line-by-line walk decides
        lines = text.text.splitlines()
        errors = _ptd_errors(lines, _ranging_window(lines, suffix), prefixes)
    mild = set(settings.get("warning_only_errors", []))
    for number, message, ranging in errors:
        phase = "during ranging" if ranging else "outside ranging"
        yield Problem(
            ctx.rel(path),
            f"PTD error {phase}: {message}",
            line=number + 1,
            expected="no analyzer errors while measuring",
            found=message,
            severity=Severity.WARNING if ranging or message in mild else None,
        )


def _ptd_errors(lines: list[str], window: tuple[int, int] | None, prefixes: tuple[str, ...]) -> list[_PtdError]:
    """The errors PO003 reports, line by line (the reference for :func:`_ptd_errors_fast`): the first line of
    each distinct message and phase, skipping expected ranging errors and lines without a PTD time stamp.
    """
    reported: set[tuple[str, bool]] = set()
    found: list[_PtdError] = []
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
        if not re.match(_PTD_LINE, line):
            continue
        reported.add((message, ranging))
        found.append((number, message, ranging))
    return found


def _joined_lines(text: str) -> str:
    """The text with each line (``str.splitlines``) ended by LF or CR LF: the text itself where it is ASCII with
    only those line ends (as PTD writes it), else the lines joined again with LF.
    """
    if (
        text.isascii()
        and not any(odd in text for odd in _ODD_BREAKS)
        and ("\r" not in text or not re.search(_LONE_CR, text))
    ):
        return text if text.endswith("\n") else text + "\n"
    return "\n".join(text.splitlines()) + "\n"


def _ptd_errors_fast(joined: str, suffix: str, prefixes: tuple[str, ...]) -> list[_PtdError] | None:
    """:func:`_ptd_errors` by searches in C over the text of :func:`_joined_lines`, or None when unsure.

    A PTD log repeats a few messages thousands of times: the distinct tails of each phase (before, inside,
    after the ranging window) are collected with one ``findall``, and only the first line of each is looked
    at. None (the exact walk decides) when that first line is not a time-stamped PTD line, or when an earlier
    line merely ends with the same text.
    """
    window = _ranging_offsets(joined, suffix)
    if window is None:
        phases = [(0, len(joined), False)]
    else:
        first, last = window
        phases = [(0, first, False), (first, last, True), (last, len(joined), False)]
    reported: set[tuple[str, bool]] = set()
    found: list[_PtdError] = []
    for begin, end, ranging in phases:
        for tail in dict.fromkeys(re.compile(_ERROR_TAIL).findall(joined, begin, end)):
            message = tail.lstrip(": ").strip()
            if (ranging and message.startswith(prefixes)) or (message, ranging) in reported:
                continue
            at = _first(joined.find(f": ERROR{tail}\n", begin, end), joined.find(f": ERROR{tail}\r\n", begin, end))
            start = joined.rfind("\n", 0, at) + 1
            if joined.find(": ERROR", start) != at or not re.match(_PTD_LINE, joined[start : at + 7 + len(tail)]):
                return None
            reported.add((message, ranging))
            found.append((joined.count("\n", 0, start), message, ranging))
    return found


def _first(one: int, other: int) -> int:
    """The smaller of two ``find`` results that are not -1 (at least one is not)."""
    return one if other < 0 or 0 <= one < other else other


def _ranging_offsets(joined: str, suffix: str) -> tuple[int, int] | None:
    """:func:`_ranging_window` as offsets in the joined lines: where the mark's line starts and where the line
    after the ``Completed test`` line starts (the end of the text when there is none).
    """
    mark = f"{suffix}'"
    at = joined.find("Go with mark")
    while at >= 0:
        start = joined.rfind("\n", 0, at) + 1
        stop = joined.find("\n", at)  # the joined text ends with a line break: always found
        if joined.find(mark, start, stop) >= 0:
            done = joined.find("Completed test", stop)
            return start, (len(joined) if done < 0 else joined.find("\n", done) + 1)
        at = joined.find("Go with mark", stop)
    return None


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
    if begin is None or end is None:
        return
    samples = _samples_within(ctx.perf_dir / "spl.txt", limit_for(ctx.rules, "power_log"))
    if samples is None:
        return
    first, last = (_stamp(samples[0]), _stamp(samples[-1])) if samples else (None, None)
    if first is not None and last is not None and (first > begin or last < end):
        yield Problem(
            ctx.rel(ctx.perf_dir / "spl.txt"),
            "PTD samples do not cover the whole measured run",
            expected=f"{begin} .. {end}",
            found=f"{first} .. {last}",
        )
