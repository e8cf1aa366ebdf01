"""Lines of ``:::MLLOG`` logs into records (:mod:`checker.parsers.mllog` chooses the options): every line of
decoded text with the options of one official reader, and LoadGen's own reader on an ASCII file's bytes.
"""

from __future__ import annotations

import json
import json.scanner
from typing import Any

import orjson

from checker.parsers.mllog_records import (
    SHORT,
    Mllog,
    ParseError,
    _flagged,
    _json_error,
    _loose,
    _loose_problem,
    _strict,
)

MARKER = ":::MLLOG "
TOKEN = MARKER
ENDPOINTS_MARKER = ":::ENDPTS "
# Records no rule reads; decoding them is most of the cost of a naive parser.
_SKIP_DECODE = frozenset(
    {"loadgen_file_sha1", "loadgen_git_log_message", "loadgen_git_status_message", "loaded_qsl_set"}
)
_KEY_PREFIX = '{"key": "'
_SKIP_PREFIXES = tuple(_KEY_PREFIX + key + '"' for key in _SKIP_DECODE)
_SKIP_PREFIXES_BYTES = tuple(prefix.encode() for prefix in _SKIP_PREFIXES)
_MARKER_BYTES = MARKER.encode()
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_ZEROS = b"0" * 19
# The C scanner behind json.loads, called directly at each record's offset in the whole text: no line
# is copied, and unlike one json.loads over all lines joined (the old fast path) an edited line cannot
# swallow its neighbour (a value split over two lines decoded joined, misaligned but "valid").
_SCAN = json.scanner.make_scanner(json.JSONDecoder())


def _parse(log: Mllog, text: str, keep: str, strict: bool, anywhere: bool, skip_bulky: bool, universal: bool) -> None:
    """Every line of ``text``, with the options of one official reader."""
    if universal and "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # the same line breaks as universal newlines
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()  # a final line break ends the last line, as the official readers count lines
    keep_all = keep == "all"
    for number, line in enumerate(lines, start=1):
        _parse_line(log, number, line, keep_all, strict, anywhere, skip_bulky)
    log.line_count = len(lines)


def _parse_loadgen_bytes(log: Mllog, data: bytes) -> None:
    """LoadGen's reader (``DETAIL``) on an ASCII file's bytes, the common case made fast.

    A record written as LoadGen writes it (marker, one JSON object, nothing after it) is decoded by orjson
    without decoding the line first; a bulky provenance record is only located. Every other line, and every
    line orjson may read differently from ``json`` (see :func:`_exact`), goes through :func:`_parse_line`
    exactly as in :func:`_parse`.
    """
    marker, skip, key_at, closing = _MARKER_BYTES, _SKIP_PREFIXES_BYTES, len(MARKER) + len(_KEY_PREFIX), ord("}")
    number, pos, size = 0, 0, len(data)
    while pos < size:  # lines located with find: a bulky record (a MB of sample indices) is never copied
        end = data.find(b"\n", pos)
        end = size if end < 0 else end
        number += 1
        line_start, pos = pos, end + 1
        if end > line_start and data[end - 1] == closing and data.startswith(marker, line_start):
            if data.startswith(skip, line_start + len(marker)):
                key_end = data.find(b'"', line_start + key_at)
                log.lines.setdefault(data[line_start + key_at : key_end].decode("ascii"), number)
                continue
            body = data[line_start + len(marker) : end]
            try:
                obj = orjson.loads(body) if _exact(body) else None
            except orjson.JSONDecodeError:
                obj = None
            if type(obj) is dict and type(obj.get("key")) is str:
                _take(log, number, obj, keep_all=False, strict=False)
                continue
        _parse_line(log, number, data[line_start:end].decode("ascii"), False, False, False, True)
    log.line_count = number


def _parse_line(
    log: Mllog, number: int, line: str, keep_all: bool, strict: bool, anywhere: bool, skip_bulky: bool
) -> None:
    """One line: a record kept, a repeat ignored, a bulky record located, or a ParseError with its number."""
    if anywhere:
        start = line.rfind(TOKEN)
        if start < 0:
            return
        start += len(TOKEN)
    elif line.startswith(MARKER):
        start = len(MARKER)
    else:
        start = _start(log, number, line)
        if start < 0:
            return
    stop = len(line)
    if stop > start and line[stop - 1].isspace():
        stop = start + len(line[start:].rstrip())  # the record text ends where the stripped line ends
    if skip_bulky and line.startswith(_SKIP_PREFIXES, start) and line[stop - 1] == "}":
        # A bulky provenance record: note where it is, decode nothing.
        log.lines.setdefault(line[start + len(_KEY_PREFIX) : line.find('"', start + len(_KEY_PREFIX))], number)
        return
    try:
        obj, found = _SCAN(line, start)
        if found != stop:
            raise ValueError("not exactly one value")
    except (StopIteration, ValueError, RecursionError):
        try:
            obj = json.loads(_body(line, start, stop, anywhere))  # json.loads' own result or message
        except (ValueError, RecursionError) as exc:
            log.malformed.append(_json_error(number, exc, _body(line, start, stop, anywhere), strict))
            return
    problem = _take(log, number, obj, keep_all, strict)
    if problem is not None:
        log.malformed.append(ParseError(number, problem, _body(line, start, stop, anywhere)[:SHORT]))


def _take(log: Mllog, number: int, obj: Any, keep_all: bool, strict: bool) -> str | None:
    """Keep a decoded record in the log, or say why it is not one."""
    if strict:
        rec = _strict(number, obj)
        if isinstance(rec, str):
            return rec
        log.add(rec)
        return None
    if type(obj) is not dict or type(obj.get("key")) is not str:
        return _loose_problem(obj) or "record is not a JSON object with a string 'key'"
    if keep_all or _flagged(obj):
        log.add(_loose(number, obj))
    elif obj["key"] not in log.values:
        # LoadGen's first record of a key: the values are all rules read, the Record waits until asked for.
        # A repeated key is ignored, as LoadGen readers do (most of a log's repeats).
        log.values[obj["key"]] = obj.get("value")
        log.lines[obj["key"]] = number
        log._pending.append((number, obj))
    return None


def _exact(body: bytes) -> bool:
    """Say whether orjson reads this record as ``json`` does: it holds no run of 19 digits, the only numbers
    (integers beyond 64 bits) that orjson turns into floats where ``json`` keeps them exact.
    """
    return _NINETEEN_ZEROS not in body.translate(_DIGITS_AS_ZERO)


def _start(log: Mllog, number: int, raw: str) -> int:
    """Where the JSON of a LoadGen line starts (after leading blanks and the marker).

    -1 for a blank line or one without the marker, which is noted as malformed.
    """
    line = raw.strip()
    if not line:
        return -1
    indent = len(raw) - len(raw.lstrip())
    if line.startswith(MARKER):
        return indent + len(MARKER)
    if line.startswith(ENDPOINTS_MARKER):
        return indent + len(ENDPOINTS_MARKER)
    log.malformed.append(ParseError(number, "line does not start with ':::MLLOG'", line[:SHORT]))
    return -1


def _body(text: str, start: int, stop: int, anywhere: bool) -> str:
    """The record text as each official reader sees it (LoadGen strips the line, training the payload)."""
    return text[start:stop].strip() if anywhere else text[start:stop]


def key_of(body: str) -> str | None:
    """The key of a LoadGen record body without decoding it (LoadGen always writes ``{"key": "...`` first)."""
    if not body.startswith(_KEY_PREFIX):
        return None
    end = body.find('"', len(_KEY_PREFIX))
    return body[len(_KEY_PREFIX) : end] if end > 0 else None
