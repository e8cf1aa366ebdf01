"""Schema passes remembered across runs: a document that passed a schema once need not be validated again.

``subcheck ci`` starts a fresh process for every push and validates a few system descriptions and measurement
files; importing jsonschema and compiling the schema cost more than the rest of such a run. A pass is stored
under a key made of the document's content, the schema's content, the fields the round requires, the
validator library's files and this memo's format, in the user's cache (never in the checked tree, see
:func:`checker.cache.cache_dir`). Only a pass is stored, so a failing document is validated every time; an
entry is trusted only when its bytes are exactly what this key's entry must hold, so a damaged entry (or a file
put there by hand) is no pass: the document is validated again. Off unless a command turns it on.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache

from checker.entries import cache_root, read_keyed, write_atomically

FORMAT = 1  # bump when the key or the entry changes shape
_MAGIC = b"subcheck-schema-pass\n"
_LIMIT = 256  # an entry is a few dozen bytes; anything larger is not one of ours

_ENABLED = [False]


def remember_passes(enabled: bool) -> None:
    """Turn the memo on or off for this process (``ci`` turns it on for its run and its workers)."""
    _ENABLED[0] = enabled


def enabled() -> bool:
    return _ENABLED[0]


@lru_cache(maxsize=1)
def _library() -> str:
    """The validator library's identity: its version file's folder, by path, inode, size and times (no import)."""
    from importlib.util import find_spec

    spec = find_spec("jsonschema")
    if spec is None or not spec.origin:
        return "?"
    info = os.stat(os.path.dirname(spec.origin))
    origin = os.stat(spec.origin)
    return f"{spec.origin}\0{info.st_ino}\0{info.st_mtime_ns}\0{origin.st_size}\0{origin.st_mtime_ns}"


def key(schema: object, content: str, required: tuple[str, ...] | None, formats: bool) -> str | None:
    """The entry name for ``content`` (canonical JSON) validated against ``schema``; None when it cannot be made."""
    try:
        schema_text = json.dumps(schema, sort_keys=True, allow_nan=True)
        head = json.dumps([FORMAT, _library(), list(required) if required is not None else None, formats])
    except (OSError, TypeError, ValueError):
        return None
    digest = hashlib.blake2b(digest_size=24)
    for part in (head, hashlib.sha256(schema_text.encode()).hexdigest(), hashlib.sha256(content.encode()).hexdigest()):
        digest.update(part.encode(errors="surrogateescape") + b"\0")
    return digest.hexdigest()


def _entry(name: str) -> str:
    return os.path.join(cache_root(), "schema-passes", name[:2], name)


def _expected(name: str) -> bytes:
    return _MAGIC + name.encode() + b"\n"


def passed_before(name: str | None) -> bool:
    """Whether this exact document passed this exact schema before (an unreadable or damaged entry: no)."""
    if name is None or not enabled():
        return False
    return read_keyed(_entry(name), _expected(name), _LIMIT) == b""


def remember_pass(name: str | None) -> None:
    """Store a pass (written whole to a temporary file, then renamed: a reader never sees half an entry)."""
    if name is None or not enabled():
        return
    write_atomically(_entry(name), _expected(name))
