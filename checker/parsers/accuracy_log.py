"""Reader for LoadGen's ``mlperf_log_accuracy.json``, aware of the official truncated form.

A submission keeps only a truncated copy (first 4096 characters, ``...``, last 4096), which is no
longer valid JSON. Entries are one per line, so the complete lines that survive the cut can still
be read; ``complete`` says whether the whole file was seen. Parsing is line-wise with a regular
expression, never ``json.load`` of the whole file, so a large untruncated log costs one pass: plain
ASCII text (what LoadGen writes) in one pass of the regex engine, any other text line by line.
The detail-log reader lives in :mod:`checker.parsers.detail_keys` and is re-exported here.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from checker.parsers.detail_keys import DETAIL_LOG_LIMIT as DETAIL_LOG_LIMIT
from checker.parsers.detail_keys import DetailKeys as DetailKeys
from checker.parsers.detail_keys import map_bounded
from checker.parsers.detail_keys import read_detail_keys as read_detail_keys
from checker.parsers.memo import per_run
from checker.parsers.text import RawFile, ReadFailure, looks_like_text

ACCURACY_JSON_LIMIT = 4 << 30  # untruncated logs reach hundreds of MB; they are memory-mapped, not read

# Runs that must be followed by a character they cannot hold (the data by its quote, the rest of a record by its
# brace) are possessive (Python 3.11+): giving characters back cannot make a match, so the regex engine is told not
# to try, which on a record cut by the truncation mark would step back over all of its data.
_POSSESSIVE = "+" if sys.version_info >= (3, 11) else ""
# One response record: {"seq_id": N, "qsl_idx": M, "data": "HEX" [, "token_data": ..., "token_count": K]}
_ENTRY = re.compile(
    r'^\{\s*"seq_id"\s*:\s*(\d+)\s*,\s*"qsl_idx"\s*:\s*(\d+)\s*,\s*"data"\s*:\s*"([0-9A-Fa-f]*'
    + _POSSESSIVE
    + r')"[^{}]*'
    + _POSSESSIVE
    + r"\}$"
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
_PLAIN_RECORD = r'(\{ *"seq_id" *: *(\d+) *, *"qsl_idx" *: *(\d+) *, *"data" *: *"(%s)"[^{}\n]*' + _POSSESSIVE + r"\})"
# One line, with the line feed before it (the engine then jumps from line feed to line feed) and one after it.
_PLAIN_LINE = r"\n *(?:%s *,?|\[|\]|\.\.\.)? *(?=\n)"
# The data up to its closing quote (a tight loop in the engine; the quote may be on a later line), or only hex.
_PLAIN_LINE_FAST = re.compile(_PLAIN_LINE % (_PLAIN_RECORD % f'[^"]*{_POSSESSIVE}'), re.ASCII)
_PLAIN_LINE_HEX = re.compile(_PLAIN_LINE % (_PLAIN_RECORD % f"[0-9A-Fa-f]*{_POSSESSIVE}"), re.ASCII)
_HEX = b"0123456789ABCDEFabcdef"


def _columns(matches: list[tuple[str, str, str, str]]) -> tuple[tuple[str, ...], ...]:
    """The seq_id, qsl_idx and data columns of the matched lines that are records (a bracket line has no record)."""
    records = [match for match in matches if match[0]]
    if not records:
        return (), (), ()
    _, seqs, qsls, datas = zip(*records, strict=True)
    return seqs, qsls, datas


def _read_plain(log: AccuracyLog, body: str, truncated: bool) -> int:
    """:func:`_read_lines` for plain ASCII text (see ``_NOT_PLAIN``), in one pass of the regex engine.

    Every line that is a record, a bracket, ``...`` or blank is one match; the lines matched by
    nothing are the bad ones. The data is first matched up to its closing quote, which is fast, in
    each part around a truncation mark (the mark's own lines are blank or ``...``, never bad): the
    record cut short before a mark then finds no quote. Where some data is not hex (a quote left
    open within a part), the text is matched again with the data limited to hex digits, which is
    what :func:`_read_lines` accepts.
    """
    if not body:
        return 0
    parts = body.split(TRUNCATION_MARK) if truncated else [body]
    matches = [match for part in parts for match in _PLAIN_LINE_FAST.findall(f"\n{part}\n")]
    seqs, qsls, datas = _columns(matches)
    joined = "".join(datas).encode("ascii")
    if joined.translate(None, _HEX):
        parts, matches = [body], _PLAIN_LINE_HEX.findall(f"\n{body}\n")
        seqs, qsls, datas = _columns(matches)
        joined = "".join(datas).encode("ascii")
    bad_lines = sum(part.count("\n") + 1 for part in parts) - len(matches)
    if not seqs:
        return bad_lines
    if joined.translate(None, _HEX.upper()):  # lower-case hex: stored upper-case, as _read_lines does
        datas = tuple(data.upper() for data in datas)
    indexes = list(map(int, qsls))
    entries = dict.fromkeys(indexes)  # first occurrences, in order
    entries.update(zip(reversed(indexes), reversed(datas), strict=True))  # the first occurrence wins
    log.records = len(seqs)
    log.max_seq_id = max(map(int, seqs))
    log.entries = entries
    log.duplicates = log.records - len(entries)
    return bad_lines


def read_accuracy_log(path: Path, limit: int = ACCURACY_JSON_LIMIT) -> AccuracyLog:
    """Read and parse one log, once per run: several rules and audits read the same file.

    The cache is keyed by the limit's value, so a caller that passes the default explicitly and one
    that leaves it out share one parse.
    """
    return _read_accuracy_log(path, limit)


@per_run(maxsize=32)
def _read_accuracy_log(path: Path, limit: int) -> AccuracyLog:
    """The parse behind :func:`read_accuracy_log`, cached by path and limit."""
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
