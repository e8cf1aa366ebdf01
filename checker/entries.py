"""Entries of the user's cache: where they live, how one is read without trusting it, how one is written whole.

Every cache and memo of the checker (checked submitters, re-checks, parsed rule files, schema passes, round
detections, plugin scans) keeps its entries here, never in a checked tree. This module imports only ``os``,
``stat``, ``hashlib`` and :mod:`checker.bounded_read`: a re-check served from its entry reads it before anything
else is imported.
"""

from __future__ import annotations

import hashlib
import os
import stat

from checker.bounded_read import READ_FLAGS, read_at_most


def cache_root() -> str:
    """``$SUBCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/subcheck``, else ``~/.cache/subcheck``."""
    chosen = os.environ.get("SUBCHECK_CACHE_DIR")
    if chosen:
        return chosen
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "subcheck")


def read_entry(path: str | os.PathLike[str], limit: int) -> bytes | None:
    """An entry's bytes; None when there is none, empty when it cannot be used (not a regular file, larger than
    ``limit``, unreadable). Opened non-blocking and checked after opening, so a FIFO or device put in its place
    cannot hang the run, and never more than ``limit + 1`` bytes are read.
    """
    try:
        fd = os.open(path, READ_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return b""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return b""
        data = read_at_most(fd, limit + 1, info.st_size)
    except OSError:
        return b""
    finally:
        os.close(fd)
    return data if len(data) <= limit else b""


def read_keyed(path: str | os.PathLike[str], head: bytes, limit: int) -> bytes | None:
    """The body of an entry that starts with exactly ``head`` (its kind and key); None for anything else."""
    stored = read_entry(path, limit)
    if not stored or not stored.startswith(head):
        return None
    return stored[len(head) :]


def read_checked(path: str | os.PathLike[str], magic: bytes, limit: int) -> memoryview | None:
    """The body of an entry :func:`write_checked` wrote, when its checksum matches; None when there is none or it
    is damaged (cut short, edited, not a regular file, too large), and a damaged one is removed.
    """
    blob = read_entry(path, limit)
    if blob is None:
        return None
    head = len(magic)
    body = memoryview(blob)[head + 32 :]
    if blob[:head] == magic and hashlib.sha256(body).digest() == blob[head : head + 32]:
        return body
    remove(path)
    return None


def write_checked(path: str | os.PathLike[str], magic: bytes, body: bytes) -> None:
    """Write ``body`` under ``magic`` and its SHA-256, whole (:func:`read_checked` reads it back)."""
    write_atomically(path, magic + hashlib.sha256(body).digest() + body)


def remove(path: str | os.PathLike[str]) -> None:
    """Remove an entry that cannot be used; one that cannot be removed only costs time."""
    try:
        os.unlink(path)
    except OSError:
        pass


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write an entry whole, then rename it into place, so a reader never sees half of one; a folder that cannot
    be written only costs time.
    """
    target = os.fspath(path)
    temporary = f"{target}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(temporary, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
