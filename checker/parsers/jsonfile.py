"""Reading JSON documents (system descriptions, measurements) as data plus a readable error.

Reads are bounded (see :func:`checker.parsers.text.read_text`). Python's ``json`` accepts what
JSON does not (``NaN``, ``Infinity``) and silently keeps the last of duplicated keys; here the
former is a ``bad_format`` failure, as is a number no double can hold (``1e400``, 400 digits),
and duplicated keys are kept as json does but listed in ``duplicates`` for a rule to report.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.parsers.text import ReadFailure, read_text

JSON_LIMIT = 16 << 20  # system descriptions are a few KiB, measurements JSON tens of KiB


@dataclass(frozen=True)
class JsonDoc:
    """A parsed JSON object, or the reason (and line) it could not be parsed."""

    path: Path
    data: dict[str, Any] | None = None
    error: str | None = None
    line: int | None = None
    kind: ReadFailure | None = None
    duplicates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None


class _NotJson(ValueError):
    """A number or constant JSON itself does not allow."""


def _constant(name: str) -> float:
    raise _NotJson(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"number {text[:40]} is out of range for a double")
    return value


def _int(text: str) -> int:
    value = int(text)
    try:
        float(value)
    except OverflowError:
        raise _NotJson(f"integer of {len(text)} digits is out of range for a double") from None
    return value


class _Pairs:
    """``object_pairs_hook`` that builds dicts as json does (last value wins) and remembers duplicated keys."""

    def __init__(self) -> None:
        self.seen: dict[int, list[str]] = {}  # id of the object -> its duplicated keys

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                self.seen.setdefault(id(result), []).append(key)
            result[key] = value
        return result

    def paths(self, data: Any) -> list[str]:
        """Dotted key paths (``a.b[2].c``) of the duplicated keys, in document order."""
        found: list[str] = []
        if not self.seen:
            return found
        stack: list[tuple[str, Any]] = [("", data)]
        while stack:
            prefix, node = stack.pop()
            if isinstance(node, dict):
                found.extend(f"{prefix}.{key}" if prefix else key for key in self.seen.get(id(node), []))
                children = [(f"{prefix}.{k}" if prefix else k, v) for k, v in node.items()]
            elif isinstance(node, list):
                children = [(f"{prefix}[{i}]", v) for i, v in enumerate(node)]
            else:
                continue
            stack.extend(reversed(children))
        return found


def parse_json_text(path: Path, text: str) -> JsonDoc:
    """Parse a document that must be a JSON object; anything JSON does not allow is ``bad_format``."""
    pairs = _Pairs()
    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except _NotJson as exc:
        return JsonDoc(path, error=f"not valid JSON: {exc}", kind=ReadFailure.bad_format)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        line = getattr(exc, "lineno", None)
        message = getattr(exc, "msg", None) or ("nesting too deep" if isinstance(exc, RecursionError) else exc)
        return JsonDoc(path, error=f"not valid JSON: {message}", line=line, kind=ReadFailure.bad_format)
    if not isinstance(data, dict):
        return JsonDoc(
            path,
            error=f"top level is a JSON {type(data).__name__}, expected an object",
            kind=ReadFailure.bad_format,
        )
    return JsonDoc(path, data, duplicates=pairs.paths(data))


def parse_json_file(path: Path, limit: int = JSON_LIMIT) -> JsonDoc:
    """Read (at most ``limit`` bytes, strict UTF-8) and parse one JSON object."""
    text_file = read_text(path, limit, strict=True)
    if not text_file.ok:
        return JsonDoc(path, error=text_file.error, kind=text_file.kind)
    return parse_json_text(path, text_file.text)
