"""Lines of ``:::MLLOG`` logs into records (:mod:`checker.parsers.mllog` chooses the options): every line of
decoded text with the options of one official reader, and LoadGen's own reader on an ASCII file's bytes.
"""

from __future__ import annotations

import json
import json.scanner
import os
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
_MARKER_LEN = len(_MARKER_BYTES)
_NEXT_RECORD = b"\n" + _MARKER_BYTES  # a line break and the marker: where the next record's body starts
_CLOSING = ord("}")
_KEY_AT = len(MARKER) + len(_KEY_PREFIX)  # where a LoadGen line's key starts
# A bulky record's line starts with the marker and one of the prefixes; they share their start (``{"key": "lo``),
# which is what the search for the next one looks for after a line break.
_BULKY_MARKED = tuple(_MARKER_BYTES + prefix for prefix in _SKIP_PREFIXES_BYTES)
_BULKY_LONGEST = max(map(len, _BULKY_MARKED))
_BULKY_COMMON = b"\n" + _MARKER_BYTES + bytes(os.path.commonprefix(_SKIP_PREFIXES_BYTES))
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_ZEROS = b"0" * 19
_ZERO = ord("0")
_U64_MAX = 2**64 - 1
# A body this short nests at most 500 deep: within both json's limit (Python's recursion limit, less the
# caller's frames) and orjson's (1024). LoadGen's longest record that is not bulky has some 550 characters.
_NEST_SAFE = 1000
# What may come before and after the digits of a JSON number, and of a whole JSON integer.
_NUMBER_BEFORE = frozenset(b"-+.eE:,[ \t\r\n")
_NUMBER_AFTER = frozenset(b".eE,]} \t\r\n")
_INTEGER_BEFORE = frozenset(b":,[ \t\r\n")
_INTEGER_AFTER = frozenset(b",]} \t\r\n")
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

    A bulky provenance record (a MB of sample indices) is only located, never copied: the lines between
    two of them (a few KB) are one *run*, read by :func:`_parse_run`. Every line that is not a record as
    LoadGen writes it goes through :func:`_parse_line` exactly as in :func:`_parse`.
    """
    number, pos, size = 0, 0, len(data)
    while pos < size:
        bulky = _next_bulky(data, pos)
        if bulky > pos:
            number = _parse_run(log, data[pos:bulky], number)
        if bulky == size:
            break
        end = data.find(b"\n", bulky)
        end = size if end < 0 else end
        number += 1
        if data[end - 1] == _CLOSING:
            key_at = bulky + _KEY_AT
            log.lines.setdefault(data[key_at : data.find(b'"', key_at)].decode("ascii"), number)
        else:
            _parse_line(log, number, data[bulky:end].decode("ascii"), False, False, False, True)
        pos = end + 1
    log.line_count = number


def _next_bulky(data: bytes, pos: int) -> int:
    """Where the next line at or after ``pos`` (a line start) that starts as a bulky record starts, else the end."""
    at = pos - 1  # the line break before pos (none at the file's start)
    if pos == 0:
        if data.startswith(_BULKY_MARKED, 0, _BULKY_LONGEST):
            return 0
        at = 0
    while True:
        at = data.find(_BULKY_COMMON, at)
        if at < 0:
            return len(data)
        if data.startswith(_BULKY_MARKED, at + 1, at + 1 + _BULKY_LONGEST):
            return at + 1
        at += 1


def _parse_run(log: Mllog, run: bytes, number: int) -> int:
    """The lines of ``run`` (whole lines, the last one's break included or the file's end), after line ``number``.

    One split at each line break followed by the marker cuts the run into record bodies; a line that does
    not start with the marker (blank, edited) stays in the piece before it, read in :func:`_parse_bodies`.
    The last line number is returned.
    """
    pieces = run.split(_NEXT_RECORD)
    # The rare run where orjson may misread a line (a long number, a long line): every line is checked on its own.
    each = _inexact(run) or max(map(len, pieces)) >= _NEST_SAFE
    if run.endswith(b"\n"):
        pieces[-1] = pieces[-1][:-1]  # the break that ends the run's last line
    head = pieces[0]
    if head.startswith(_MARKER_BYTES):
        pieces[0] = head[_MARKER_LEN:]
        return _parse_bodies(log, pieces, number, each)
    for line in head.split(b"\n"):  # the run's first lines, before any that starts with the marker
        number += 1
        _parse_line(log, number, line.decode("ascii"), False, False, False, True)
    return _parse_bodies(log, pieces[1:], number, each)


def _parse_bodies(log: Mllog, bodies: list[bytes], number: int, each: bool) -> int:
    """Record bodies (the lines after ``number``, less the marker), each decoded by orjson.

    A body orjson cannot read, or that is not a record, and with ``each`` one that holds a number orjson
    may misread (see :func:`_exact`), goes through :func:`_parse_line` as the line it came from. A body
    with a line break holds the lines after its own that do not start with the marker: read one by one.
    """
    values, lines, pending, loads = log.values, log.lines, log._pending, orjson.loads
    for body in bodies:
        if body.find(b"\n") >= 0:  # not ``in``: bytes.__contains__ first tries the operand as an int, and raises
            own, *others = body.split(b"\n")
            number = _parse_bodies(log, [own], number, each)
            for line in others:
                number += 1
                _parse_line(log, number, line.decode("ascii"), False, False, False, True)
            continue
        number += 1
        try:  # LoadGen's record, read with subscripts (a missing field raises: the reference way reads it)
            obj = loads(body) if not each or _exact(body) else None
            key = obj["key"]
            meta = obj["metadata"]
            flagged = meta["is_error"] is True or meta["is_warning"] is True
        except (orjson.JSONDecodeError, LookupError, TypeError):
            key = None
        if type(key) is str:
            if flagged:
                log.add(_loose(number, obj))  # every flagged record is kept, repeated or not
            elif key not in values:  # a repeat is ignored, as LoadGen readers do
                values[key] = obj.get("value")
                lines[key] = number
                pending.append((number, obj))  # the Record is built when first asked for
            continue
        _parse_line(log, number, (_MARKER_BYTES + body).decode("ascii"), False, False, False, True)
    return number


def _inexact(run: bytes) -> bool:
    """Say whether some line of ``run`` may hold a number orjson reads differently from ``json`` (one search for
    the whole run; then each line is checked with :func:`_exact`).

    A run of 19 or more digits is such a number unless it cannot be one: a neighbour no number has (a
    quote, a letter) puts it in a string, read alike, or makes the line no JSON, which orjson refuses; or
    it is plainly a JSON integer that fits in 64 bits unsigned (LoadGen's seeds), which orjson keeps exact.
    """
    digits = run.translate(_DIGITS_AS_ZERO)
    at = digits.find(_NINETEEN_ZEROS)
    while at >= 0:
        end = at + len(_NINETEEN_ZEROS)
        while end < len(digits) and digits[end] == _ZERO:
            end += 1
        if at == 0 or end == len(run):
            return True
        before, after = run[at - 1], run[end]
        if before in _NUMBER_BEFORE and after in _NUMBER_AFTER:  # else in a string, or no JSON (orjson refuses it)
            integer = before in _INTEGER_BEFORE and after in _INTEGER_AFTER and end - at <= 20
            if not integer or int(run[at:end]) > _U64_MAX:
                return True
        at = digits.find(_NINETEEN_ZEROS, end)
    return False


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
    (integers beyond 64 bits) that orjson turns into floats where ``json`` keeps them exact, and it is too
    short to nest deep enough for ``json`` to stop (Python's recursion limit, where orjson goes on to 1024).
    """
    return len(body) < _NEST_SAFE and body.translate(_DIGITS_AS_ZERO).find(_NINETEEN_ZEROS) < 0


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
