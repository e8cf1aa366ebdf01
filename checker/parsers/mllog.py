"""One reader for ``:::MLLOG {json}`` logs: LoadGen's ``mlperf_log_detail.txt`` and MLPerf Training result files.

Both suites write the same record format but their official readers differ, so the differences are
options of one parser rather than three parsers that drift apart:

* LoadGen (``DETAIL``): UTF-8, a record per line from the first column, every other line malformed,
  bulky provenance records (file hashes, git log) never decoded, only the first record of a key kept.
* Training (``TRAINING``): latin-1 like the official tool (every byte decodes), universal newlines,
  the token may follow other console output (the last token wins) and lines without it are noise,
  every record kept in order, and a record needs ``time_ms`` (finite), ``key``, ``value`` and
  ``metadata``: the official parser crashes without them, here each is a ``ParseError`` with its line.

A broken line is recorded with its number and the rest of the file is still read, so one bad line never
hides the others; no input makes the parser raise.
"""

from __future__ import annotations

import json
import json.scanner
from pathlib import Path
from typing import Any, Literal

from checker.parsers.mllog_records import (
    SHORT,
    ParseError,
    Record,
    _flagged,
    _json_error,
    _loose,
    _loose_problem,
    _strict,
)
from checker.parsers.text import DEFAULT_LIMIT, ReadFailure, read_bytes_bounded, read_head_lines, read_text

MARKER = ":::MLLOG "
TOKEN = MARKER
ENDPOINTS_MARKER = ":::ENDPTS "
# Records no rule reads; decoding them is most of the cost of a naive parser.
_SKIP_DECODE = frozenset(
    {"loadgen_file_sha1", "loadgen_git_log_message", "loadgen_git_status_message", "loaded_qsl_set"}
)
_KEY_PREFIX = '{"key": "'
_SKIP_PREFIXES = tuple(_KEY_PREFIX + key + '"' for key in _SKIP_DECODE)
# The C scanner behind json.loads, called directly at each record's offset in the whole text: no line
# is copied, and unlike one json.loads over all lines joined (the old fast path) an edited line cannot
# swallow its neighbour (a value split over two lines decoded joined, misaligned but "valid").
_SCAN = json.scanner.make_scanner(json.JSONDecoder())

Keep = Literal["first", "all"]


class Mllog:
    """A parsed log, with a view for LoadGen rules and one for training rules.

    LoadGen view: ``values``/``lines`` (first record of each key), ``errors``/``warnings`` (records
    flagged ``metadata.is_error``/``is_warning``), ``malformed`` (ParseErrors), ``get``/``has``/``line_of``.
    Training view: ``records`` in file order, ``by_key``/``first``/``last``/``value``. With ``keep="first"``
    ``records`` holds only the first record of each key (built when first asked for), so ``last`` is the first.
    ``read_error`` says why the file could not be read and ``read_kind`` is the reader's failure kind
    (``TextFile.kind``), for rules that branch on it. ``Mllog(path, records)`` builds a log from records
    (e.g. a filtered copy) with both views.
    """

    def __init__(self, path: Path, records: list[Record] | None = None, *, keep: Keep = "all") -> None:
        self.path = path
        self.keep = keep
        self.values: dict[str, Any] = {}
        self.lines: dict[str, int] = {}
        self.errors: list[Record] = []
        self.warnings: list[Record] = []
        self.malformed: list[ParseError] = []
        self.read_error: str | None = None
        self.read_kind: Any = None
        self.bad_bytes_at: int | None = None
        self.line_count = 0
        self._records: list[Record] = []
        self._pending: list[tuple[int, dict[str, Any]]] = []  # first records not yet built (keep="first")
        self._by_key: dict[str, list[Record]] | None = None
        for rec in records or ():
            self.add(rec)

    def __repr__(self) -> str:
        return f"Mllog({str(self.path)!r}, {len(self.values)} keys, {len(self.malformed)} malformed)"

    def add(self, rec: Record) -> None:
        """Append a record to both views (the parser's path for every record it keeps whole)."""
        if rec.metadata.get("is_error") is True:
            self.errors.append(rec)
        if rec.metadata.get("is_warning") is True:
            self.warnings.append(rec)
        if rec.key not in self.values:
            self.values[rec.key] = rec.value
            self.lines[rec.key] = rec.line
        elif self.keep == "first":
            return
        self._records.append(rec)
        self._by_key = None

    @property
    def records(self) -> list[Record]:
        if self._pending:
            self._records.extend(_loose(number, obj) for number, obj in self._pending)
            self._records.sort(key=lambda rec: rec.line)
            self._pending = []
        return self._records

    # --- LoadGen view -----------------------------------------------------------------------------------------
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

    # --- training view ----------------------------------------------------------------------------------------
    def by_key(self, key: str) -> list[Record]:
        if self._by_key is None:
            index: dict[str, list[Record]] = {}
            for rec in self.records:
                index.setdefault(rec.key, []).append(rec)
            self._by_key = index
        return self._by_key.get(key, [])

    def first(self, key: str) -> Record | None:
        found = self.by_key(key)
        return found[0] if found else None

    def last(self, key: str) -> Record | None:
        found = self.by_key(key)
        return found[-1] if found else None

    def value(self, key: str, default: Any = None) -> Any:
        rec = self.first(key)
        return rec.value if rec is not None else default


# Option sets of the two official readers; pass as ``parse_mllog(source, **TRAINING)``.
DETAIL: dict[str, Any] = {
    "encoding": "utf-8",
    "keep": "first",
    "require_time": False,
    "token_anywhere": False,
    "skip_bulky": True,
    "universal_newlines": False,
}
TRAINING: dict[str, Any] = {
    "encoding": "latin-1",
    "keep": "all",
    "require_time": True,
    "token_anywhere": True,
    "skip_bulky": False,
    "universal_newlines": True,
}


def parse_mllog(
    source: Path | str,
    *,
    path: Path | str | None = None,
    encoding: Literal["utf-8", "latin-1"] = "utf-8",
    keep: Keep = "first",
    require_time: bool = False,
    token_anywhere: bool = False,
    skip_bulky: bool = True,
    universal_newlines: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> Mllog:
    r"""Parse a log file (``source`` a Path) or already-read text (``source`` a str, named by ``path``).

    ``encoding``: how a file's bytes become text (latin-1 decodes every byte, as the training tool).
    ``keep``: "first" record of each key (LoadGen's readers) or "all" records in order.
    ``require_time``: a record needs finite ``time_ms``, ``key``, ``value`` and ``metadata`` (training).
    ``token_anywhere``: the token may follow other output (last one wins); lines without it are noise.
    ``skip_bulky``: LoadGen's provenance records are located, not decoded.
    ``universal_newlines``: split on \r\n, \r and \n rather than \n only.
    ``limit``: the byte cap for the file (the round's ``limits``); a larger file is ``too_large``.
    A file that cannot be read yields a log with ``read_error``/``read_kind`` set; nothing raises.
    """
    if isinstance(source, Path):
        log = Mllog(source, keep=keep)
        text = _read(log, encoding, limit)
        if text is None:
            return log
    else:
        log = Mllog(Path(path if path is not None else "<text>"), keep=keep)
        text = source
    _parse(log, text, keep, require_time, token_anywhere, skip_bulky, universal_newlines)
    return log


def _read(log: Mllog, encoding: str, limit: int) -> str | None:
    """The file's text through read_text (limits, failure kinds); latin-1 re-decodes the exact bytes."""
    text_file = read_text(log.path, limit)
    log.read_kind = getattr(text_file, "kind", None)
    if not text_file.ok:
        log.read_error = text_file.error
        return None
    text = text_file.text
    if encoding == "utf-8":
        log.bad_bytes_at = text_file.bad_bytes_at
        return text
    if text.isascii():
        return text
    if text_file.bad_bytes_at is None:
        return text.encode("utf-8").decode("latin-1")  # valid UTF-8 round-trips to the file's bytes
    raw = read_bytes_bounded(log.path, limit)  # replaced bad bytes are lost: read the bytes again
    if not raw.ok:
        log.read_error, log.read_kind = raw.error, raw.kind
        return None
    return raw.data.decode("latin-1")


def _parse(log: Mllog, text: str, keep: Keep, strict: bool, anywhere: bool, skip_bulky: bool, universal: bool) -> None:
    """Every line, located by offsets into ``text`` and decoded in place: no line is copied unless broken."""
    if universal and "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # the same line breaks as universal newlines
    keep_all = keep == "all"
    values, lines, pending = log.values, log.lines, log._pending
    number, pos, size = 0, 0, len(text)
    while pos < size:
        end = text.find("\n", pos)
        end = size if end < 0 else end
        number += 1
        line_start, pos = pos, end + 1
        if anywhere:
            start = text.rfind(TOKEN, line_start, end)
            if start < 0:
                continue
            start += len(TOKEN)
        elif text.startswith(MARKER, line_start):
            start = line_start + len(MARKER)
        else:
            start = _start(log, number, text[line_start:end])
            if start < 0:
                continue
            start += line_start
        stop = end
        if stop > start and text[stop - 1].isspace():
            stop = start + len(text[start:end].rstrip())  # the record text ends where the stripped line ends
        if skip_bulky and text.startswith(_SKIP_PREFIXES, start) and text[stop - 1] == "}":
            # A bulky provenance record: note where it is, decode nothing.
            lines.setdefault(text[start + len(_KEY_PREFIX) : text.find('"', start + len(_KEY_PREFIX))], number)
            continue
        try:
            obj, found = _SCAN(text, start)
            if found != stop:
                raise ValueError("not exactly one value")
        except (StopIteration, ValueError, RecursionError):
            try:
                obj = json.loads(_body(text, start, stop, anywhere))  # json.loads' own result or message
            except (ValueError, RecursionError) as exc:
                log.malformed.append(_json_error(number, exc, _body(text, start, stop, anywhere), strict))
                continue
        if strict:
            rec: Record | str | None = _strict(number, obj)
        elif not keep_all and isinstance(obj, dict) and obj.get("key") in values and not _flagged(obj):
            continue  # a repeated key, which LoadGen readers ignore (this is most of a log's repeats)
        else:
            rec = _loose_problem(obj)
        if isinstance(rec, str):
            log.malformed.append(ParseError(number, rec, _body(text, start, stop, anywhere)[:SHORT]))
        elif isinstance(rec, Record):
            log.add(rec)
        elif keep_all or _flagged(obj):
            log.add(_loose(number, obj))
        elif obj["key"] not in values:
            # LoadGen's first record of a key: the values are all rules read, the Record waits until asked for.
            values[obj["key"]] = obj.get("value")
            lines[obj["key"]] = number
            pending.append((number, obj))
    log.line_count = number


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


# --- LoadGen entry points -------------------------------------------------------------------------------------


def parse_detail_text(path: Path, text: str) -> Mllog:
    """Parse already-read detail-log text; split out so tests and fuzzers can feed strings directly."""
    return parse_mllog(text, path=path, **DETAIL)


def parse_detail_log(path: Path, limit: int = DEFAULT_LIMIT) -> Mllog:
    """Read and parse a detail log; a missing, unreadable or empty file yields a log with ``read_error`` set."""
    log = parse_mllog(path, **DETAIL, limit=limit)
    if log.read_error is None and not log.values and not log.malformed:
        log.read_error = "file is empty"
        log.read_kind = ReadFailure.empty
    return log


def key_of(body: str) -> str | None:
    """The key of a LoadGen record body without decoding it (LoadGen always writes ``{"key": "...`` first)."""
    if not body.startswith(_KEY_PREFIX):
        return None
    end = body.find('"', len(_KEY_PREFIX))
    return body[len(_KEY_PREFIX) : end] if end > 0 else None


def read_header_value(path: Path, key: str, max_lines: int = 64) -> tuple[Any, int | None]:
    """One early record (e.g. ``loadgen_version``) and its line, without reading a whole, possibly huge, log.

    A deliberate partial read (:func:`read_head_lines`): only regular files are opened, non-blocking, and at
    most a few MiB are read, so a FIFO, a device or a sparse file in a submission cannot block or flood it.
    """
    for number, raw in enumerate(read_head_lines(path, max_lines), start=1):
        line = raw.strip()
        if line.startswith(MARKER) and key_of(line[len(MARKER) :]) == key:
            try:
                obj = json.loads(line[len(MARKER) :])
            except (ValueError, RecursionError):
                return None, number
            return (obj.get("value") if isinstance(obj, dict) else None), number
    return None, None


# --- training entry points ------------------------------------------------------------------------------------


def parse_text(text: str, path: Path | str = "<text>") -> Mllog:
    """Parse decoded training-log text; every token line yields a Record or a ParseError."""
    return parse_mllog(text, path=path, **TRAINING)


def parse_file(path: Path, limit: int = DEFAULT_LIMIT) -> Mllog:
    """Read a training log as latin-1 (every byte decodes, as in the official parser) and parse it."""
    return parse_mllog(path, **TRAINING, limit=limit)


# Names the rest of the code knows the log type by.
DetailLog = Mllog
MllogFile = Mllog
