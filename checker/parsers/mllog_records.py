"""The records of the one ``:::MLLOG`` reader (:mod:`checker.parsers.mllog`): a decoded record, a line that is
not one, how a decoded JSON object becomes either (LoadGen's loose records, training's strict ones), and the
parsed log that holds them (:class:`Mllog`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

REQUIRED_FIELDS = ("time_ms", "key", "value", "metadata")
SHORT = 200  # characters of a broken line kept in its ParseError

Keep = Literal["first", "all"]


@dataclass(slots=True)
class Record:
    """One decoded log record; ``line`` is the physical 1-based line number in the file.

    Not frozen only because frozen dataclasses are four times slower to build; treat it as read-only.
    """

    line: int
    key: str
    value: Any
    metadata: Mapping[str, Any] = field(default_factory=dict)
    time_ms: float | None = None  # always a finite float when parsed with require_time

    @property
    def is_error(self) -> bool:
        return self.metadata.get("is_error") is True

    @property
    def is_warning(self) -> bool:
        return self.metadata.get("is_warning") is True

    def meta(self, name: str, default: Any = None) -> Any:
        return self.metadata.get(name, default)


@dataclass(frozen=True, slots=True)
class ParseError:
    """A line that is not a usable record: its number, why, and the start of its text."""

    line: int
    message: str
    text: str = ""


def _flagged(obj: dict[str, Any]) -> bool:
    """The record carries LoadGen's error or warning flag (every such record is kept, repeated or not)."""
    meta = obj.get("metadata")
    return isinstance(meta, dict) and (meta.get("is_error") is True or meta.get("is_warning") is True)


def _json_error(number: int, exc: Exception, body: str, strict: bool) -> ParseError:
    # JSONDecodeError has a position; other errors (huge integers, deep nesting) only a message.
    if strict:
        return ParseError(number, f"not valid JSON: {exc}", body[:SHORT])
    where = f" at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
    return ParseError(number, f"not valid JSON ({getattr(exc, 'msg', exc)}{where})", body[:SHORT])


def _loose_problem(obj: Any) -> str | None:
    """Why a decoded value is not a LoadGen record (only a string key is required), or None."""
    if not isinstance(obj, dict) or not isinstance(obj.get("key"), str):
        return "record is not a JSON object with a string 'key'"
    return None


def _loose(number: int, obj: dict[str, Any]) -> Record:
    """A LoadGen record (checked by _loose_problem); a time that is not a finite number is None."""
    meta = obj.get("metadata")
    time_ms = obj.get("time_ms")
    if not (type(time_ms) is float and math.isfinite(time_ms)):
        time_ms = _time_ms(time_ms)
    return Record(
        number,
        obj["key"],
        obj.get("value"),
        meta if isinstance(meta, dict) else {},
        time_ms if isinstance(time_ms, float) else None,
    )


def _strict(number: int, obj: Any) -> Record | str:
    """A training record: every field the official tool reads must be there and usable, else why not."""
    if not isinstance(obj, dict):
        return "record is not a JSON object"
    missing = [f for f in REQUIRED_FIELDS if f not in obj]
    if missing:
        return f"record lacks field(s) {', '.join(missing)}"
    time_ms = _time_ms(obj["time_ms"])
    if isinstance(time_ms, str):
        return time_ms
    key = obj["key"]
    if not isinstance(key, str):
        return f"key {_brief(key)} is not a string"
    metadata = obj["metadata"]
    if not isinstance(metadata, dict):
        return "metadata is not a JSON object"
    return Record(number, key, obj["value"], metadata, time_ms)


def _time_ms(raw: Any) -> float | str:
    """``time_ms`` as a finite float (numbers and numeric strings, as float() reads them), else why not."""
    if isinstance(raw, bool):
        return "time_ms is not a number"
    try:
        time_ms = float(raw)
    except OverflowError:
        return f"time_ms {_brief(raw)} is too large to be a time"
    except (TypeError, ValueError):
        return f"time_ms {_brief(raw)} is not a number"
    if not math.isfinite(time_ms):
        return f"time_ms {_brief(raw)} is not finite"
    return time_ms


def _brief(value: Any) -> str:
    """A bounded repr for messages (a 400-digit number or a huge list stays readable)."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        return "<a number too long to print>"
    return text if len(text) <= 40 else text[:37] + "..."


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
