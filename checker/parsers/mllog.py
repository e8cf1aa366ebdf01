"""Parser for LoadGen's ``mlperf_log_detail.txt``: one ``:::MLLOG {json}`` record per line.

Only the records a rule can use are decoded with ``json.loads``; the bulky provenance records
(file hashes, git log) get a cheap structural check. A malformed line is recorded with its
number and the rest of the file is still read, so one bad line never hides the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.parsers.text import read_text

MARKER = ":::MLLOG "
ENDPOINTS_MARKER = ":::ENDPTS "
# Records no rule reads; decoding them is most of the cost of a naive parser.
_SKIP_DECODE = frozenset(
    {"loadgen_file_sha1", "loadgen_git_log_message", "loadgen_git_status_message", "loaded_qsl_set"}
)
_KEY_PREFIX = '{"key": "'
_BULKY = 4096  # lines longer than this are only decoded when a rule could use them


@dataclass(frozen=True)
class Record:
    """One LoadGen log event."""

    line: int
    key: str
    value: Any
    is_error: bool = False
    is_warning: bool = False


@dataclass
class DetailLog:
    """The decoded records of one detail log; repeated keys keep their first value, as LoadGen readers do."""

    path: Path
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    errors: list[Record] = field(default_factory=list)
    warnings: list[Record] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    read_error: str | None = None
    bad_bytes_at: int | None = None
    line_count: int = 0

    @property
    def usable(self) -> bool:
        """True when at least one record could be read."""
        return self.read_error is None and bool(self.values)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)

    def has(self, key: str) -> bool:
        return key in self.values


def key_of(body: str) -> str | None:
    if not body.startswith(_KEY_PREFIX):
        return None
    end = body.find('"', len(_KEY_PREFIX))
    return body[len(_KEY_PREFIX) : end] if end > 0 else None


def _lines(text: str) -> Iterator[tuple[int, int, int]]:
    """(number, start, end) of each line, without copying the text (some lines are megabytes long)."""
    number, start, size = 0, 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end
        number += 1
        yield number, start, end
        start = end + 1


def parse_detail_text(path: Path, text: str) -> DetailLog:
    """Parse already-read text; split out so tests and fuzzers can feed strings directly."""
    log = DetailLog(path)
    numbers: list[int] = []
    bodies: list[str] = []
    skip_prefixes = tuple(MARKER + _KEY_PREFIX + key + '"' for key in _SKIP_DECODE)
    for number, start, end in _lines(text):
        log.line_count = number
        if end - start > _BULKY and text.startswith(skip_prefixes, start):
            # A bulky provenance record: note where it is, check that it is complete, decode nothing.
            if text[end - 2 : end].rstrip().endswith("}"):
                key = text[
                    start + len(MARKER) + len(_KEY_PREFIX) : text.find('"', start + len(MARKER) + len(_KEY_PREFIX))
                ]
                log.lines.setdefault(key, number)
                continue
        line = text[start:end].strip()
        if not line:
            continue
        if line.startswith(MARKER):
            body = line[len(MARKER) :]
        elif line.startswith(ENDPOINTS_MARKER):
            body = line[len(ENDPOINTS_MARKER) :]
        else:
            log.malformed.append((number, "line does not start with ':::MLLOG'"))
            continue
        key = key_of(body)
        if key in _SKIP_DECODE and body.endswith("}"):
            log.lines.setdefault(key, number)
            continue
        numbers.append(number)
        bodies.append(body)
    _decode_all(log, numbers, bodies)
    log.malformed.sort()
    return log


def _decode_all(log: DetailLog, numbers: list[int], bodies: list[str]) -> None:
    """Decode all records with one ``json.loads`` call (most of the parse cost is per call).

    Only when that fails (a broken line somewhere) is each line decoded on its own, so the
    broken lines are named and the good ones still count.
    """
    try:
        records = json.loads("[" + ",".join(bodies) + "]")
    except (ValueError, RecursionError):
        records = None
    if not isinstance(records, list) or len(records) != len(bodies):
        for number, body in zip(numbers, bodies, strict=True):
            _decode(log, number, body)
        return
    for number, record in zip(numbers, records, strict=True):
        _store(log, number, record)


def _decode(log: DetailLog, number: int, body: str) -> None:
    try:
        record = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError has a position; other errors (huge integers, deep nesting) only a message.
        where = f" at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        log.malformed.append((number, f"not valid JSON ({getattr(exc, 'msg', exc)}{where})"))
        return
    _store(log, number, record)


def _store(log: DetailLog, number: int, record: object) -> None:
    if not isinstance(record, dict) or not isinstance(record.get("key"), str):
        log.malformed.append((number, "record is not a JSON object with a string 'key'"))
        return
    key = record["key"]
    meta = record.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    value = record.get("value")
    if meta.get("is_error") is True:
        log.errors.append(Record(number, key, value, is_error=True))
    if meta.get("is_warning") is True:
        log.warnings.append(Record(number, key, value, is_warning=True))
    if key not in log.values:
        log.values[key] = value
        log.lines[key] = number


def parse_detail_log(path: Path) -> DetailLog:
    """Read and parse a detail log; a missing or unreadable file yields a log with ``read_error`` set."""
    text_file = read_text(path)
    if not text_file.ok:
        log = DetailLog(path)
        log.read_error = text_file.error
        return log
    log = parse_detail_text(path, text_file.text)
    log.bad_bytes_at = text_file.bad_bytes_at
    if not log.values and not log.malformed:
        log.read_error = "file is empty"
    return log


def read_header_value(path: Path, key: str, max_lines: int = 64) -> tuple[Any, int | None]:
    """One early record (e.g. ``loadgen_version``) and its line, without reading a whole, possibly huge, log."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as stream:
            for number, raw in enumerate(stream, start=1):
                if number > max_lines:
                    break
                line = raw.strip()
                if line.startswith(MARKER) and key_of(line[len(MARKER) :]) == key:
                    try:
                        return json.loads(line[len(MARKER) :]).get("value"), number
                    except ValueError:
                        return None, number
    except OSError:
        return None, None
    return None, None
