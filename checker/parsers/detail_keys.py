"""Reader for the few records of a LoadGen detail log that the accuracy rules need, without decoding it all.

An accuracy-mode ``mlperf_log_detail.txt`` is mostly bulky ``loaded_qsl_set`` lines (kilobytes to
megabytes of sample indexes). Huge lines are located with ``memchr`` and judged by their ends, the
other lines are cut with ``memchr`` and compared in C, error flags are searched for in the whole
text; only the wanted records and the lines holding an error flag are JSON-decoded. A damaged log
takes the exact paths: the header walk and the search for its first damaged line.
"""

from __future__ import annotations

import bisect
import io
import json
import mmap
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import compress, count, repeat
from operator import itemgetter
from pathlib import Path

from checker.bounded_read import READ_FLAGS
from checker.parsers.memo import per_run
from checker.parsers.mllog import MARKER, key_of
from checker.parsers.text import RawFile, ReadFailure, looks_like_text, stat_regular

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
_RECORD_START = b":::MLLOG {"
_MARKER_BYTES = MARKER.encode()
_CLOSE = ord("}")
_KEYED = _MARKER_BYTES + b'{"key": "'
_KEY_START = len(_KEYED)
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
    ends; the text between them is cut into lines with ``memchr`` and judged by comparisons in C
    (:func:`_record_lines`). When every line is a whole record, as LoadGen writes them, the wanted
    keys are the header lines that start with them; otherwise the header lines are walked and the
    first damaged line is located exactly. Error flags are searched for in the whole text, huge
    lines quote by quote. Only the wanted records and the lines holding an error flag are decoded.
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
    taken = _record_lines(raw, keys, spans) if isinstance(raw, bytes) and _plain_keys(keys) else None
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


_CHUNK = 1 << 22  # lines are taken about this many bytes at a time: a log of tiny lines stays small in memory
_AFTER_MARKER = _RECORD_START[:-1] + bytes([_RECORD_START[-1] + 1])  # the first text above every marked line


def _record_lines(
    raw: bytes, keys: frozenset[str], spans: list[tuple[int, int, bool]]
) -> list[tuple[int, str, object]] | None:
    """The wanted header records as :func:`_walk_header` reads them, ``(line, key, value)`` in line order, or None
    unless every line is a complete record (as :func:`_first_malformed` judges it: the exact paths then decide).

    The text must end with ``}`` (before its trailing line breaks), every line up to there must
    start with the record marker and every line before the last must end with ``}`` and its break.
    A huge line's ends are looked at; the lines between huge lines are cut by ``BytesIO.readlines``
    (``memchr``) and judged in C: the least and the greatest line start with the marker (the marked
    lines sort together), and the byte before each break is ``}``. Every line then starts
    ``:::MLLOG {``, so only a line starting ``:::MLLOG {"key": "NAME"`` can hold key NAME.
    """
    end = _text_end(raw)
    if not end or raw[end - 1] != _CLOSE:
        return None
    needles = {_KEYED + key.encode() + b'"': key for key in keys}
    taken: list[tuple[int, str, object]] = []
    stream, number = io.BytesIO(raw), 0  # ``number``: the lines before the ones being judged
    for start, stop, huge in spans:
        if start >= end:
            break
        if huge:
            if not raw.startswith(_RECORD_START, start) or (stop < end and raw[stop - 1] != _CLOSE):
                return None
            if number < HEADER_LINES and any(raw.startswith(needle, start) for needle in needles):
                _header_keys([raw[start:stop]], number, needles, taken)
            number += 1
            continue
        stream.seek(start)
        while stream.tell() < min(stop, end):
            lines = stream.readlines(min(stop - stream.tell(), _CHUNK))  # whole lines, never past ``stop``
            last = stream.tell() >= end  # these lines hold the text's end: its trailing line breaks are left out
            while last and not lines[-1].strip(b"\r\n"):
                lines.pop()
            if min(lines) < _RECORD_START or max(lines) >= _AFTER_MARKER:
                return None
            ended = lines[:-1] if last else lines  # each ends with its line break
            if bytes(map(_BEFORE_BREAK, ended)) != b"}" * len(ended):
                return None
            if number < HEADER_LINES and needles:
                _header_keys(lines[: HEADER_LINES - number], number, needles, taken)
            number += len(lines)
    return taken


_BEFORE_BREAK = itemgetter(-2)


def _header_keys(
    lines: list[bytes], number: int, needles: dict[bytes, str], taken: list[tuple[int, str, object]]
) -> None:
    """Append ``(line, key, value)`` for each header line (``number`` lines come before ``lines``) that starts
    with a wanted key's needle and whose record decodes, unless that key was taken from an earlier line.
    """
    prefixes = tuple(needles)
    for index in compress(count(number + 1), map(bytes.startswith, lines, repeat(prefixes))):
        line = lines[index - number - 1]
        key = needles[next(needle for needle in prefixes if line.startswith(needle))]
        record = _record(line[len(_MARKER_BYTES) :].strip().decode("utf-8", errors="replace"))
        if record is not None and all(key != name for _, name, _ in taken):
            taken.append((index, key, record.get("value")))


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
