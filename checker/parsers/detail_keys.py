"""Reader for the few records of a LoadGen detail log that the accuracy rules need, without decoding it all.

An accuracy-mode ``mlperf_log_detail.txt`` is mostly one bulky ``loaded_qsl_set`` line (megabytes
of sample indexes). The header lines are walked with ``find``; the rest is judged with counts and
searches in C; only the wanted records and the lines holding an error flag are JSON-decoded.
"""

from __future__ import annotations

import bisect
import json
import mmap
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from checker.parsers.memo import per_run
from checker.parsers.mllog import MARKER, key_of
from checker.parsers.text import READ_FLAGS, RawFile, ReadFailure, looks_like_text, stat_regular

DETAIL_LOG_LIMIT = 1 << 30
MAP_ABOVE = 64 << 20  # files above this are memory-mapped (below, one read is cheaper than paging a map)


@dataclass
class DetailKeys:
    """A few records of a detail log, and its error records, read without decoding every line."""

    path: Path
    values: dict[str, object] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[int, str, object]] = field(default_factory=list)
    read_error: str | None = None
    read_kind: ReadFailure | None = None
    malformed: tuple[int, str] | None = None  # the first line that is not a complete LoadGen record, and why

    @property
    def usable(self) -> bool:
        return self.read_error is None and bool(self.values)


_ERROR_FLAG = b'"is_error": true'
HEADER_LINES = 400  # the settings LoadGen logs (effective_*, qsl_reported_*) all come before the run's events


def map_bounded(path: Path, limit: int) -> bytes | mmap.mmap | RawFile:
    """A regular file's bytes within ``limit``; large files are memory-mapped so searching them copies nothing.

    Only regular files are opened (non-blocking, checked again after opening); anything else, and
    any error, comes back as a :class:`RawFile` failure with its kind.
    """
    checked = stat_regular(path, limit)
    if isinstance(checked, RawFile):
        return checked
    try:
        fd = os.open(path, READ_FLAGS)
    except OSError as exc:
        return RawFile(path, error=f"cannot be read: {exc.strerror or exc}", kind=ReadFailure.unreadable)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return RawFile(path, error="is not a regular file", kind=ReadFailure.not_regular)
        if info.st_size > limit:
            return RawFile(
                path, error=f"file is {info.st_size} bytes, above the {limit}-byte cap", kind=ReadFailure.too_large
            )
        if info.st_size == 0:
            return b""
        if info.st_size < MAP_ABOVE:
            return os.read(fd, info.st_size)
        return mmap.mmap(fd, info.st_size, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        return RawFile(
            path, error=f"cannot be read: {getattr(exc, 'strerror', None) or exc}", kind=ReadFailure.unreadable
        )
    finally:
        os.close(fd)


@per_run(maxsize=64)
def read_detail_keys(path: Path, keys: frozenset[str], limit: int = DETAIL_LOG_LIMIT) -> DetailKeys:
    """The wanted header records and the error records of a detail log, once per run.

    First value of each wanted key among the header lines, plus every ``is_error`` record of the whole log.

    Huge lines (a ``loaded_qsl_set`` of megabytes) are located with ``memchr`` and judged by their
    ends; the text between them is judged by one regular-expression pass in C that stops only at
    line breaks. When every line is a whole record, as LoadGen writes them, that pass also finds
    the wanted keys; otherwise the header lines are walked and the first damaged line is located
    exactly. Only the wanted records and the lines holding an error flag are JSON-decoded, so a
    large log costs one read and two passes.
    """
    found = DetailKeys(path)
    raw = map_bounded(path, limit)
    if isinstance(raw, RawFile):
        found.read_error, found.read_kind = raw.error, raw.kind
        return found
    why = looks_like_text(raw[:8192]) if raw else "file is empty"
    if why is not None:
        found.read_error = why
        found.read_kind = ReadFailure.empty if not raw else ReadFailure.not_text
        return found
    spans = _spans(raw, HUGE_LINE)
    taken = _scan_records(raw, keys, spans) if _plain_keys(keys) else None
    if taken is not None:
        for number, key, value in taken:
            found.values[key] = value
            found.lines[key] = number
    else:
        _walk_header(raw, keys, found)
        found.malformed = _first_malformed(raw)
    found.errors = _error_records(raw, spans)
    return found


LONG_LINE = 4096  # the window :func:`_spans` looks through by default
HUGE_LINE = 1 << 16  # lines at least this long are judged by their ends, and searched for error flags quote by quote
_LOOK = 1024  # bytes past a line break a scan may read: the next record's marker, "key" and a wanted key


def _spans(raw: bytes | mmap.mmap, window: int = LONG_LINE) -> list[tuple[int, int, bool]]:
    """The text cut at its long lines: ``(start, stop, long)`` in order, a long line's ``stop`` its line break.

    Each window of the text is searched backwards for a line break (``memrchr``); a window without
    one lies inside a long line, whose end is then found with ``memchr``. Every line longer than
    ``window`` is found (it starts at a line break found this way); a span never splits a line.
    """
    size, pos, spans, short_from = len(raw), 0, [], 0
    while pos + window < size:
        last = raw.rfind(b"\n", pos, pos + window)
        if last >= 0:
            pos = last + 1
            continue
        stop = raw.find(b"\n", pos + window)
        stop = size if stop < 0 else stop
        spans += [(short_from, pos, False), (pos, stop, True)]
        pos = short_from = stop + 1
    spans.append((min(short_from, size), size, False))
    return spans


def _plain_keys(keys: frozenset[str]) -> bool:
    """Keys that a byte search finds exactly where :func:`key_of` does (no quote, line break or replaced byte)."""
    return not any(char in key for key in keys for char in '"\n\ufffd')


_BAD_BREAK = re.compile(rb"\n(?:(?<!\}\n)|(?!:::MLLOG \{))")  # a line break not between a record's } and a marker


@lru_cache(maxsize=16)
def _scanner(keys: frozenset[str]) -> re.Pattern[bytes]:
    """:data:`_BAD_BREAK`, or a line break before a record of a wanted key (group 1: the key's bytes).

    Every alternative starts with the line break, so the engine skips to each one in C and does a
    few comparisons there: the pass costs little more than finding the line breaks.
    """
    if not keys:
        return _BAD_BREAK
    names = b"|".join(re.escape(key.encode()) for key in sorted(keys))
    return re.compile(rb'\n(?:(?<!\}\n)|(?!:::MLLOG \{)|(?=:::MLLOG \{"key": "(' + names + rb')"))')


def _scan_records(
    raw: bytes | mmap.mmap, keys: frozenset[str], spans: list[tuple[int, int, bool]]
) -> list[tuple[int, str, object]] | None:
    """The wanted header records as :func:`_walk_header` reads them, ``(line, key, value)`` in line order, or None
    unless every line is a complete record (as :func:`_first_malformed` judges it: the exact paths then decide).

    The text must start with a record's marker and end with ``}``, and every line break before its
    end must sit between ``}`` and the next marker: a huge line's end is looked at, the text between
    huge lines is searched for a line break that is not so. Every line then starts ``:::MLLOG {``,
    so only a line starting ``:::MLLOG {"key": "NAME"`` can hold key NAME; the first such line of
    the header whose record decodes gives its value.
    """
    end, starts = _text_end(raw), _starts(raw)
    if not end or not starts(_RECORD_START, 0) or raw[end - 1] != _CLOSE:
        return None
    needles = {key.encode(): _KEYED + key.encode() + b'"' for key in keys}
    if any(len(needle) >= _LOOK for needle in needles.values()):
        return None
    pending, taken, lines = dict(needles), [], _Lines(raw, spans)

    def offer(start: int, name: bytes) -> None:
        """The line at ``start`` holds key ``name``: keep its value if it is a header line whose record decodes."""
        number = lines.at(start)
        if number > HEADER_LINES:
            del pending[name]
            return
        stop = raw.find(b"\n", start)
        line = raw[start + len(_MARKER_BYTES) : len(raw) if stop < 0 else stop]
        record = _record(line.strip().decode("utf-8", errors="replace"))
        if record is not None:
            taken.append((number, name.decode(), record.get("value")))
            del pending[name]

    def offer_any(start: int) -> None:
        """A line that no searched line break precedes (the first, one after a huge line): any key of its own."""
        for name in [name for name, needle in pending.items() if starts(needle, start)]:
            offer(start, name)

    offer_any(0)
    keyed = _scanner(keys)
    for start, stop, huge in spans:
        if start >= end:
            break
        if huge:
            if stop < end:
                if not (raw[stop - 1] == _CLOSE and starts(_RECORD_START, stop + 1)):
                    return None
                offer_any(stop + 1)
            continue
        reach = min(stop + _LOOK, end)  # a huge line follows: its start is seen, and it holds no line break
        pos = start
        while True:
            hit = (keyed if pending else _BAD_BREAK).search(raw, pos, reach)
            if hit is None:
                break
            if hit.lastindex is None:
                return None
            if hit.group(1) in pending:
                offer(hit.end(), hit.group(1))
            pos = hit.end()
    return taken


class _Lines:
    """Line numbers of positions asked for in increasing order; huge lines are never read (they hold no break)."""

    def __init__(self, raw: bytes | mmap.mmap, spans: list[tuple[int, int, bool]]) -> None:
        self.raw, self.spans = raw, spans
        self.index, self.counted, self.number = 0, 0, 1  # the line at ``counted`` is line ``number``

    def at(self, pos: int) -> int:
        while self.index < len(self.spans):
            start, stop, huge = self.spans[self.index]
            if pos <= stop:
                if not huge:
                    self.number += _count(self.raw, b"\n", pos, self.counted)
                    self.counted = pos
                return self.number
            self.number += 1 if huge else _count(self.raw, b"\n", stop, self.counted)
            self.counted = stop + 1 if huge else stop
            self.index += 1
        return self.number


def _walk_header(raw: bytes | mmap.mmap, keys: frozenset[str], found: DetailKeys) -> None:
    """Read the wanted keys of the first :data:`HEADER_LINES` lines into ``found``, line by line (any text)."""
    pos, size = 0, len(raw)
    starts, find = _starts(raw), raw.find
    for number in range(1, HEADER_LINES + 1):  # located with find: bulky header lines are never copied
        if pos >= size:
            break
        stop = find(b"\n", pos)
        if stop < 0:
            stop = size
        if starts(_KEYED, pos):  # as LoadGen writes it: decoded only when the key is wanted
            key_end = find(b'"', pos + _KEY_START, stop)
            if key_end < 0 or raw[pos + _KEY_START : key_end].decode("utf-8", errors="replace") in keys:
                _take(raw[pos + len(_MARKER_BYTES) : stop], number, keys, found)
        elif starts(_MARKER_BYTES, pos):  # written otherwise: decoded and judged by key_of, as every reader does
            _take(raw[pos + len(_MARKER_BYTES) : stop], number, keys, found)
        pos = stop + 1


def _take(line: bytes, number: int, keys: frozenset[str], found: DetailKeys) -> None:
    """Keep the value of a record line (after its marker) when its key is wanted and not yet seen."""
    body = line.strip().decode("utf-8", errors="replace")
    key = key_of(body)
    if key in keys and key not in found.values:
        record = _record(body)
        if record is not None:
            found.values[key] = record.get("value")
            found.lines[key] = number


def _starts(raw: bytes | mmap.mmap) -> Callable[[bytes, int], bool]:
    """``raw.startswith``, also for a memory map (which has none)."""
    if isinstance(raw, bytes):
        return raw.startswith
    return lambda prefix, pos: raw[pos : pos + len(prefix)] == prefix


def _text_end(raw: bytes | mmap.mmap) -> int:
    """Where the text ends once trailing line breaks (LF and CR) are left out."""
    end = len(raw)
    while end and raw[end - 1 : end] in (b"\n", b"\r"):
        end -= 1
    return end


def _error_records(raw: bytes | mmap.mmap, spans: list[tuple[int, int, bool]]) -> list[tuple[int, str, object]]:
    """Every line holding the error flag that is a LoadGen record with ``metadata.is_error`` true, in order."""
    errors: list[tuple[int, str, object]] = []
    counted, number = 0, 1  # line breaks before ``counted``, plus one
    stops = [stop for _, stop, _ in spans]
    start = _next_flag(raw, 0, spans, stops)
    while start >= 0:
        line_start = raw.rfind(b"\n", 0, start) + 1
        line_end = raw.find(b"\n", start)
        line_end = len(raw) if line_end < 0 else line_end
        line = raw[line_start:line_end].decode("utf-8", errors="replace")
        if line.startswith(MARKER):
            record = _record(line[len(MARKER) :].strip())
            meta = record.get("metadata") if record else None
            if record is not None and isinstance(meta, dict) and meta.get("is_error") is True:
                number += _count(raw, b"\n", line_start, counted)
                counted = line_start
                errors.append((number, str(record.get("key")), record.get("value")))
        start = _next_flag(raw, line_end, spans, stops)
    return errors


def _next_flag(raw: bytes | mmap.mmap, start: int, spans: list[tuple[int, int, bool]], stops: list[int]) -> int:
    """``raw.find(_ERROR_FLAG, start)``: long lines are searched quote by quote (``memchr``), the rest as usual.

    The spans cover the text in order and split it at line breaks, which the flag never spans; the
    first one to search is found by bisection on their ends (``stops``), so many flags cost no rescans.
    """
    for index in range(bisect.bisect_right(stops, start), len(spans)):
        first, stop, long = spans[index]
        first = max(first, start)
        hit = _quoted_find(raw, first, stop) if long else raw.find(_ERROR_FLAG, first, stop)
        if hit >= 0:
            return hit
    return -1


def _quoted_find(raw: bytes | mmap.mmap, start: int, stop: int, window: int = 4096) -> int:
    """``raw.find(_ERROR_FLAG, start, stop)``, jumping over stretches without quotes with ``memchr``.

    The flag starts with a quote; a ``loaded_qsl_set`` line is megabytes of digits between a few
    quotes. Each ``window`` is searched as usual; where it holds no flag, the search goes on at the
    next quote after it. A line full of quotes costs the same as one plain search.
    """
    reach = len(_ERROR_FLAG) - 1
    while start < stop:
        hit = raw.find(_ERROR_FLAG, start, min(stop, start + window + reach))
        if hit >= 0:
            return hit
        start = raw.find(b'"', start + window, stop)  # no flag starts before start + window
        if start < 0:
            return -1
    return -1


_RECORD_START = b":::MLLOG {"
_MARKER_BYTES = MARKER.encode()
_CLOSE = ord("}")
_KEYED = _MARKER_BYTES + b'{"key": "'
_KEY_START = len(_KEYED)


_LINE_NOT_A_RECORD = re.compile(rb"\n(?!:::MLLOG \{)")  # a line that does not start as a record
_LINE_CUT_SHORT = re.compile(rb"[^}\r\n]\r?\n")  # a line that does not end as one


def _first_malformed(raw: bytes | mmap.mmap) -> tuple[int, str] | None:
    """The first line that is not a complete ``:::MLLOG {...}`` record (garbage, a line cut short), found with
    byte counts and searches in C, without decoding the records (accuracy-mode detail logs are large).
    """
    end = len(raw)
    while end and raw[end - 1 : end] in (b"\n", b"\r"):
        end -= 1
    if not end:
        return None
    if _all_records(raw, end):
        return None
    if raw[: len(_RECORD_START)] != _RECORD_START:
        return 1, "not a complete ':::MLLOG {...}' record"
    hits = [m.start() + 1 for m in (_LINE_NOT_A_RECORD.search(raw, 0, end),) if m]
    hits += [m.end() - 1 for m in (_LINE_CUT_SHORT.search(raw, 0, end + 1),) if m]
    if raw[end - 1 : end] != b"}":
        hits.append(end - 1)
    if not hits:
        return None
    at = min(hits)
    return _count(raw, b"\n", at) + 1, "not a complete ':::MLLOG {...}' record"


def _all_records(raw: bytes | mmap.mmap, end: int) -> bool:
    """Every line of ``raw[:end]`` starts with the record marker and ends with ``}`` (the common case: two
    passes of ``count`` in C, as every line break sits between a record's ``}`` and the next marker; a file
    with CR LF line ends falls back to the searches).
    """
    if raw[: len(_RECORD_START)] != _RECORD_START or raw[end - 1 : end] != b"}":
        return False
    return _count(raw, b"}\n" + _RECORD_START, end) == _count(raw, b"\n", end)


def _count(raw: bytes | mmap.mmap, sub: bytes, end: int, start: int = 0, step: int = 1 << 24) -> int:
    """``raw.count(sub, start, end)``, also for a memory map (which has no count), reading it in bounded chunks."""
    if isinstance(raw, bytes):
        return raw.count(sub, start, end)
    total = 0
    for first in range(start, end, step):
        chunk = raw[first : min(end, first + step + len(sub) - 1)]
        total += chunk.count(sub, 0, step + len(sub) - 1)  # only occurrences that start inside this step
    return total


def _record(body: str) -> dict[str, object] | None:
    try:
        record = json.loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
