"""Rule files parsed once: the data a YAML text gave, stored under the text's own hash.

Every run loads its round's rule files; importing PyYAML and parsing them is a tenth of what a one-result
``subcheck ci`` costs. The entry is addressed by the exact text parsed and the YAML library's files, so an edited
rule file is a new key and is parsed again: nothing can be stale. It holds plain data only (mappings, lists,
strings, numbers, booleans, null: what ``marshal`` writes); a file that gives anything else (a YAML date) is
simply not stored. An entry that is damaged, foreign or of another key is ignored and replaced. The entries
live in the user's cache (:func:`checker.cache.cache_dir`), never in a checked tree. Off unless a command turns it
on (``ci``: a fresh process per push).
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from checker.entries import cache_root, read_keyed, write_atomically

FORMAT = 1
_MAGIC = b"subcheck-parsed-yaml\n"
_LIMIT = 64 << 20
_ENABLED = [False]


def use(enabled: bool) -> bool:
    """Turn the memo on or off for this process (and the workers it forks); returns what it was."""
    previous, _ENABLED[0] = _ENABLED[0], enabled
    return previous


@lru_cache(maxsize=1)
def _library() -> str:
    """PyYAML's identity (its package file: path, size and time) without importing it."""
    from importlib.util import find_spec

    spec = find_spec("yaml")
    if spec is None or not spec.origin:
        return "?"
    info = os.stat(spec.origin)
    return f"{spec.origin}\0{info.st_ino}\0{info.st_size}\0{info.st_mtime_ns}"


def _key(text: str) -> str:
    digest = hashlib.blake2b(digest_size=24)
    digest.update(f"{FORMAT}\0{_library()}\0".encode(errors="surrogateescape"))
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _entry(key: str) -> str:
    return os.path.join(cache_root(), "parsed-yaml", key[:2], key)


def parsed(text: str, parse: Callable[[str], Any]) -> Any:
    """``parse(text)``, or what it gave for this exact text before (a mapping at the top, as rule files are)."""
    if not _ENABLED[0]:
        return parse(text)
    try:
        key = _key(text)
    except (OSError, ValueError):
        return parse(text)
    found = _read(key)
    if found is not None:
        return found
    data = parse(text)
    _write(key, data)
    return data


def _read(key: str) -> dict[str, Any] | None:
    stored = read_keyed(_entry(key), _MAGIC + key.encode() + b"\n", _LIMIT)
    if stored is None:
        return None
    try:
        data = marshal.loads(stored)
    except (EOFError, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) and _plain(data) else None


def _plain(value: Any) -> bool:
    """Only what YAML's safe loader makes of a rule file and marshal keeps exactly."""
    if isinstance(value, dict):
        return all(isinstance(k, (str, int, float, bool)) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


def _write(key: str, data: Any) -> None:
    if not isinstance(data, dict) or not _plain(data):
        return
    try:
        body = marshal.dumps(data)
    except ValueError:  # not marshallable after all: parsed again next time
        return
    write_atomically(_entry(key), _MAGIC + key.encode() + b"\n" + body)
