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
from contextlib import closing
from pathlib import Path
from typing import Any, Literal

from checker.parsers.mllog_lines import MARKER, TOKEN, _parse, _parse_loadgen_bytes, key_of
from checker.parsers.mllog_records import Keep, Mllog, ParseError, Record

# What the rest of the code imports from here: the reader's names, whichever module defines them.
__all__ = [
    "DETAIL",
    "MARKER",
    "TOKEN",
    "TRAINING",
    "DetailLog",
    "Mllog",
    "MllogFile",
    "ParseError",
    "Record",
    "key_of",
    "parse_detail_log",
    "parse_detail_text",
    "parse_file",
    "parse_mllog",
    "parse_text",
    "read_header_value",
]
from checker.parsers.text import (
    DEFAULT_LIMIT,
    RawFile,
    ReadFailure,
    iter_head_lines,
    read_bytes_bounded,
    read_text,
    read_text_bytes,
)

# Option sets of the two official readers; pass as ``parse_mllog(source, **TRAINING)``.
DETAIL: dict[str, Any] = {
    "encoding": "utf-8",
    "keep": "first",
    "require_time": False,
    "token_anywhere": False,
    "skip_bulky": True,
    "universal_newlines": False,
}
_LOADGEN_OPTIONS = tuple(DETAIL.values())  # the option set read from bytes (see _parse_loadgen_bytes)
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
        loadgen = (encoding, keep, require_time, token_anywhere, skip_bulky, universal_newlines) == _LOADGEN_OPTIONS
        text = _read(log, encoding, limit, loadgen)
        if text is None:
            return log
        if isinstance(text, bytes):
            _parse_loadgen_bytes(log, text)
            return log
    else:
        log = Mllog(Path(path if path is not None else "<text>"), keep=keep)
        text = source
    _parse(log, text, keep, require_time, token_anywhere, skip_bulky, universal_newlines)
    return log


def _read(log: Mllog, encoding: str, limit: int, as_bytes: bool = False) -> str | bytes | None:
    """The file's text through read_text (limits, failure kinds); latin-1 re-decodes the exact bytes.

    ``as_bytes``: ASCII files come back as their bytes, for :func:`_parse_loadgen_bytes`.
    """
    checked = read_text_bytes(log.path, limit) if as_bytes else read_text(log.path, limit)
    if isinstance(checked, RawFile):
        return checked.data
    text_file = checked
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


def read_header_value(path: Path, key: str, max_lines: int = 64) -> tuple[Any, int | None]:
    """One early record (e.g. ``loadgen_version``) and its line, without reading a whole, possibly huge, log.

    A deliberate partial read (:func:`iter_head_lines`): only regular files are opened, non-blocking, and at
    most a few MiB are read, so a FIFO, a device or a sparse file in a submission cannot block or flood it.
    """
    with closing(iter_head_lines(path, max_lines)) as lines:  # stops reading at the key's line
        for number, raw in enumerate(lines, start=1):
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
