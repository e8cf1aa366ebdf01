"""Reading JSON documents (system descriptions, measurements) as data plus a readable error."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.parsers.text import read_text


@dataclass(frozen=True)
class JsonDoc:
    """A parsed JSON object, or the reason (and line) it could not be parsed."""

    path: Path
    data: dict[str, Any] | None = None
    error: str | None = None
    line: int | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None


def parse_json_text(path: Path, text: str) -> JsonDoc:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        line = getattr(exc, "lineno", None)
        return JsonDoc(path, error=f"not valid JSON: {getattr(exc, 'msg', exc)}", line=line)
    if not isinstance(data, dict):
        return JsonDoc(path, error=f"top level is a JSON {type(data).__name__}, expected an object")
    return JsonDoc(path, data)


def parse_json_file(path: Path) -> JsonDoc:
    text_file = read_text(path)
    if not text_file.ok:
        return JsonDoc(path, error=text_file.error)
    if text_file.bad_bytes_at is not None:
        return JsonDoc(path, error=f"not valid UTF-8 (first bad byte at offset {text_file.bad_bytes_at})")
    return parse_json_text(path, text_file.text)
