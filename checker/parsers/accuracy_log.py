"""Reader for LoadGen's ``mlperf_log_accuracy.json``, aware of the official truncated form.

A submission keeps only a truncated copy (first 4096 characters, ``...``, last 4096), which is no
longer valid JSON. Entries are one per line, so the complete lines that survive the cut can still
be read; ``complete`` says whether the whole file was seen. Parsing is line-wise with a regular
expression, never ``json.load`` of the whole file, so a large untruncated log costs one pass.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from checker.parsers.memo import per_run
from checker.parsers.mllog import MARKER, key_of
from checker.parsers.text import RawFile, ReadFailure, looks_like_text, stat_regular

ACCURACY_JSON_LIMIT = 4 << 30  # untruncated logs reach hundreds of MB; they are memory-mapped, not read
DETAIL_LOG_LIMIT = 1 << 30
MAP_ABOVE = 64 << 20  # files above this are memory-mapped (below, one read is cheaper than paging a map)

# One response record: {"seq_id": N, "qsl_idx": M, "data": "HEX" [, "token_data": ..., "token_count": K]}
_ENTRY = re.compile(
    r'^\{\s*"seq_id"\s*:\s*(\d+)\s*,\s*"qsl_idx"\s*:\s*(\d+)\s*,\s*"data"\s*:\s*"([0-9A-Fa-f]*)"[^{}]*\}$'
)
TRUNCATION_MARK = "\n\n...\n\n"


@dataclass
class AccuracyLog:
    """The response records that could be read, and what kind of file they came from."""

    path: Path
    size: int | None = None
    entries: dict[int, str] = field(default_factory=dict)  # qsl_idx -> hex (first occurrence)
    duplicates: int = 0
    records: int = 0
    max_seq_id: int | None = None
    truncated: bool = False
    complete: bool = False
    error: str | None = None
    kind: ReadFailure | None = None

    @property
    def exists(self) -> bool:
        return self.size is not None


def parse_accuracy_log_text(path: Path, text: str, size: int | None = None) -> AccuracyLog:
    """Parse already-read text; a file is ``complete`` when it is a bracketed list of well-formed records."""
    log = AccuracyLog(path, size=len(text.encode("utf-8", "replace")) if size is None else size)
    log.truncated = TRUNCATION_MARK in text
    body = text.strip()
    plain = text.isascii() and not any(char in text for char in _NOT_PLAIN)
    bad_lines = _read_plain(log, body, log.truncated) if plain else _read_lines(log, body)
    log.complete = not log.truncated and bad_lines == 0 and body.startswith("[") and body.endswith("]")
    if bad_lines and not log.truncated:
        log.error = f"{bad_lines} line(s) are not LoadGen response records"
        log.kind = ReadFailure.bad_format
    elif not body:
        log.error, log.kind = "file is empty", ReadFailure.empty
    elif not log.records and not log.truncated and "".join(body.split()) != "[]":
        log.error, log.kind = "no LoadGen response records", ReadFailure.bad_format
    return log


def _read_lines(log: AccuracyLog, body: str) -> int:
    """Fill ``log`` from each line of ``body``, one match per line (any text); returns the count of bad lines."""
    bad_lines = 0
    for raw in body.splitlines():
        line = raw.strip()
        if line in ("[", "]", "", "..."):
            continue
        if line.endswith(","):
            line = line[:-1].rstrip()
        match = _ENTRY.match(line)
        if not match:
            bad_lines += 1
            continue
        seq, qsl, data = int(match.group(1)), int(match.group(2)), match.group(3).upper()
        log.records += 1
        log.max_seq_id = seq if log.max_seq_id is None else max(log.max_seq_id, seq)
        if qsl in log.entries:
            log.duplicates += 1
        else:
            log.entries[qsl] = data
    return bad_lines


# Characters that ``str.splitlines``, ``str.strip`` or ``\s`` treat as line breaks or white space, other than
# the space and the line feed: where none occurs in ASCII text, a line is what lies between two line feeds
# and its only white space is spaces, so one search over the whole text reads it as :func:`_read_lines` does.
_NOT_PLAIN = "\t\r\x0b\x0c\x1c\x1d\x1e\x1f"
_PLAIN_RECORD = r'(\{ *"seq_id" *: *(\d+) *, *"qsl_idx" *: *(\d+) *, *"data" *: *"(%s)"[^{}\n]*\})'
_PLAIN_LINE = r"^ *(?:%s *,?|\[|\]|\.\.\.)? *$"
# The data up to its closing quote (a tight loop in the engine; the quote may be on a later line), or only hex.
_PLAIN_LINE_FAST = re.compile(_PLAIN_LINE % (_PLAIN_RECORD % '[^"]*'), re.MULTILINE | re.ASCII)
_PLAIN_LINE_HEX = re.compile(_PLAIN_LINE % (_PLAIN_RECORD % "[0-9A-Fa-f]*"), re.MULTILINE | re.ASCII)
_HEX = b"0123456789ABCDEFabcdef"


def _read_plain(log: AccuracyLog, body: str, truncated: bool) -> int:
    """:func:`_read_lines` for plain ASCII text (see ``_NOT_PLAIN``), in one pass of the regex engine.

    Every line that is a record, a bracket, ``...`` or blank is one match; the lines matched by
    nothing are the bad ones. The data is first matched up to its closing quote, which is fast; where
    some is not hex (a record cut short, whose quote is on a later line, as truncation leaves), the text
    is matched with the data limited to hex digits, which is what :func:`_read_lines` accepts.
    """
    if not body:
        return 0
    matches = [] if truncated else _PLAIN_LINE_FAST.findall(body)
    found = [(seq, qsl, data) for record, seq, qsl, data in matches if record]
    joined = "".join(data for _, _, data in found).encode("ascii")
    if truncated or joined.translate(None, _HEX):
        matches = _PLAIN_LINE_HEX.findall(body)
        found = [(seq, qsl, data) for record, seq, qsl, data in matches if record]
        joined = "".join(data for _, _, data in found).encode("ascii")
    bad_lines = body.count("\n") + 1 - len(matches)
    if not found:
        return bad_lines
    seqs, qsls, datas = zip(*found)
    if joined.translate(None, _HEX.upper()):  # lower-case hex: stored upper-case, as _read_lines does
        datas = tuple(data.upper() for data in datas)
    indexes = [int(qsl) for qsl in qsls]
    entries = dict.fromkeys(indexes)  # first occurrences, in order
    entries.update(zip(reversed(indexes), reversed(datas)))  # the first occurrence's data wins
    log.records = len(found)
    log.max_seq_id = max(map(int, seqs))
    log.entries = entries
    log.duplicates = log.records - len(entries)
    return bad_lines


@per_run(maxsize=32)
def read_accuracy_log(path: Path, limit: int = ACCURACY_JSON_LIMIT) -> AccuracyLog:
    """Read and parse one log, once per run: several rules and audits read the same file."""
    raw = map_bounded(path, limit)
    if isinstance(raw, RawFile):
        return AccuracyLog(path, error=raw.error, kind=raw.kind)
    why = looks_like_text(raw[:8192])
    if why is not None:
        return AccuracyLog(path, size=len(raw), error=why, kind=ReadFailure.not_text)
    return parse_accuracy_log_text(path, raw[:].decode("utf-8", errors="replace"), size=len(raw))


def file_size(path: Path) -> int | None:
    """Size in bytes without reading the file; None when it is missing."""
    try:
        return path.stat().st_size
    except OSError:
        return None


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
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
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

    Errors are located with a substring search over the whole text; only the lines found that
    way and the wanted header lines are JSON-decoded, so a large log costs one read.
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
    pos, size = 0, len(raw)
    for number in range(1, HEADER_LINES + 1):  # located with find: bulky header lines are never copied
        if pos >= size:
            break
        end = raw.find(b"\n", pos)
        end = size if end < 0 else end
        if _at(raw, pos, _MARKER_BYTES) and _wanted(raw, pos, end, keys):
            body = raw[pos + len(_MARKER_BYTES) : end].strip().decode("utf-8", errors="replace")
            key = key_of(body)
            if key in keys and key not in found.values:
                record = _record(body)
                if record is not None:
                    found.values[key] = record.get("value")
                    found.lines[key] = number
        pos = end + 1
    found.malformed = _first_malformed(raw)
    start = raw.find(_ERROR_FLAG)
    while start >= 0:
        line_start = raw.rfind(b"\n", 0, start) + 1
        line_end = raw.find(b"\n", start)
        line_end = len(raw) if line_end < 0 else line_end
        line = raw[line_start:line_end].decode("utf-8", errors="replace")
        if line.startswith(MARKER):
            record = _record(line[len(MARKER) :].strip())
            meta = record.get("metadata") if record else None
            if record is not None and isinstance(meta, dict) and meta.get("is_error") is True:
                number = _count(raw, b"\n", line_start) + 1
                found.errors.append((number, str(record.get("key")), record.get("value")))
        start = raw.find(_ERROR_FLAG, line_end)
    return found


_RECORD_START = b":::MLLOG {"
_MARKER_BYTES = MARKER.encode()
_KEY_START = len(_MARKER_BYTES) + len(b'{"key": "')


def _at(raw: bytes | mmap.mmap, pos: int, prefix: bytes) -> bool:
    """``raw.startswith(prefix, pos)``, also for a memory map (which has no startswith)."""
    return raw[pos : pos + len(prefix)] == prefix


def _wanted(raw: bytes | mmap.mmap, start: int, end: int, keys: frozenset[str]) -> bool:
    """The record line ``raw[start:end]`` may hold a wanted key: its ``{"key": "NAME"`` is one of them, or it is
    not written as LoadGen writes it (decoded then, and judged by :func:`key_of` as every other reader does).
    """
    if not _at(raw, start + len(_MARKER_BYTES), b'{"key": "'):
        return True
    key_end = raw.find(b'"', start + _KEY_START, end)
    return key_end < 0 or raw[start + _KEY_START : key_end].decode("utf-8", errors="replace") in keys


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


def _count(raw: bytes | mmap.mmap, sub: bytes, end: int, step: int = 1 << 24) -> int:
    """``raw.count(sub, 0, end)``, also for a memory map (which has no count), reading it in bounded chunks."""
    if isinstance(raw, bytes):
        return raw.count(sub, 0, end)
    total = 0
    for start in range(0, end, step):
        chunk = raw[start : min(end, start + step + len(sub) - 1)]
        total += chunk.count(sub, 0, step + len(sub) - 1)  # only occurrences that start inside this step
    return total


def _record(body: str) -> dict[str, object] | None:
    try:
        record = json.loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
