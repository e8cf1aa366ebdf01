"""Parse ``:::MLLOG`` training logs into typed records; a broken line becomes a ParseError value, never an exception.

The official parser reads the file as latin-1, keeps only lines holding the token, drops what is
before the (last) token and decodes the JSON. It crashes on a record missing ``time_ms``, ``key``,
``value`` or ``metadata``; here that is a parse error with the physical line number instead.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOKEN = ":::MLLOG "
REQUIRED_FIELDS = ("time_ms", "key", "value", "metadata")
# Text-mode universal newlines, as Python's open() splits the official tool's input.
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Record:
    """One decoded log record; ``line`` is the physical 1-based line number in the file."""

    key: str
    value: Any
    metadata: dict[str, Any]
    time_ms: float
    line: int

    def meta(self, name: str, default: Any = None) -> Any:
        return self.metadata.get(name, default)


@dataclass(frozen=True)
class ParseError:
    """A line that holds the token but is not a usable record."""

    line: int
    message: str
    text: str


@dataclass
class MllogFile:
    """All records of one result file in file order, plus the lines that failed to parse."""

    path: Path
    records: list[Record] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    read_error: str | None = None
    _by_key: dict[str, list[Record]] | None = field(default=None, repr=False)

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


def parse_text(text: str, path: Path | str = "<text>") -> MllogFile:
    """Parse decoded log text; every token line yields a Record or a ParseError."""
    out = MllogFile(Path(path))
    for number, raw in enumerate(_NEWLINE.split(text), start=1):
        pos = raw.rfind(TOKEN)
        if pos < 0:
            continue
        payload = raw[pos + len(TOKEN):].strip()
        rec_or_err = _decode(payload, number)
        if isinstance(rec_or_err, Record):
            out.records.append(rec_or_err)
        else:
            out.errors.append(rec_or_err)
    return out


def parse_file(path: Path) -> MllogFile:
    """Read ``path`` as latin-1 (every byte decodes, as in the official parser) and parse it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        out = MllogFile(path)
        out.read_error = f"cannot read file: {exc.strerror or exc}"
        return out
    return parse_text(data.decode("latin-1"), path)


def _decode(payload: str, number: int) -> Record | ParseError:
    short = payload[:200]
    try:
        obj = json.loads(payload)
    except (json.JSONDecodeError, RecursionError) as exc:
        return ParseError(number, f"not valid JSON: {exc}", short)
    if not isinstance(obj, dict):
        return ParseError(number, "record is not a JSON object", short)
    missing = [f for f in REQUIRED_FIELDS if f not in obj]
    if missing:
        return ParseError(number, f"record lacks field(s) {', '.join(missing)}", short)
    if isinstance(obj["time_ms"], bool):
        return ParseError(number, "time_ms is not a number", short)
    try:
        time_ms = float(obj["time_ms"])
    except (TypeError, ValueError):
        return ParseError(number, f"time_ms {obj['time_ms']!r} is not a number", short)
    if not math.isfinite(time_ms):
        return ParseError(number, f"time_ms {obj['time_ms']!r} is not finite", short)
    key = obj["key"]
    if not isinstance(key, str):
        return ParseError(number, f"key {key!r} is not a string", short)
    metadata = obj["metadata"]
    if not isinstance(metadata, dict):
        return ParseError(number, "metadata is not a JSON object", short)
    return Record(key, obj["value"], metadata, time_ms, number)
