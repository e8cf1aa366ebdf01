"""Reading evidence files without ever raising, blocking or exhausting memory.

Only regular files are opened (a FIFO would block, ``/dev/zero`` never ends), every read is
capped, and each failure is a value with a kind (:class:`ReadFailure`) that rules can compare,
plus a human sentence that names what was expected.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from checker.bounded_read import READ_FLAGS, read_at_most


class ReadFailure(str, Enum):
    """Why a piece of evidence could not be used; a ``str`` so it prints and compares as its name."""

    missing = "missing"
    unreadable = "unreadable"
    not_regular = "not_regular"
    empty = "empty"
    not_text = "not_text"
    too_large = "too_large"
    bad_format = "bad_format"
    outside_tree = "outside_tree"

    def __str__(self) -> str:
        return self.value


MIB = 1 << 20
DEFAULT_LIMIT = 256 * MIB  # callers that do not pass the round's ``limits`` are still bounded
MISSING_TEXT = "file is missing"  # the sentence some callers still compare; prefer ``kind``
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _kind_of_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(mode: int) -> str:
    what = _kind_of_mode(mode)
    return "is a folder, not a file" if what == "a folder" else f"is {what}, not a regular file"


@dataclass(frozen=True)
class RawFile:
    """A file's bytes (at most the cap), or why they could not be read."""

    path: Path
    data: bytes = b""
    error: str | None = None
    kind: ReadFailure | None = None
    size: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _failure(path: Path, kind: ReadFailure, error: str, size: int | None = None) -> RawFile:
    return RawFile(path, error=error, kind=kind, size=size)


def _too_large(path: Path, size: int, limit: int) -> RawFile:
    return _failure(path, ReadFailure.too_large, f"file is {size} bytes, above the {limit}-byte cap", size)


def stat_regular(path: Path, limit: int | None = None) -> RawFile | os.stat_result:
    """``os.stat`` (links followed) of a regular file within the cap, or the failure it is."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        note = " (broken symbolic link)" if os.path.islink(path) else ""
        return _failure(path, ReadFailure.missing, MISSING_TEXT + note)
    except OSError as exc:
        return _failure(path, ReadFailure.unreadable, f"cannot be read: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):
        return _failure(path, ReadFailure.not_regular, _not_regular(info.st_mode))
    if limit is not None and info.st_size > limit:
        return _too_large(path, info.st_size, limit)
    return info


def read_bytes_bounded(path: Path, limit: int = DEFAULT_LIMIT, *, head: bool = False) -> RawFile:
    """At most ``limit`` bytes of a regular file; anything else is a failure with its kind.

    The file is opened non-blocking and checked again after opening (``fstat``), so a FIFO or
    device swapped in after the first ``stat`` cannot block or flood the read; at most
    ``limit + 1`` bytes are ever read, so a file that grows meanwhile is still refused.
    ``head``: a deliberate partial read (a log's header): the first ``limit`` bytes of a file of any size.
    """
    checked = stat_regular(path, None if head else limit)
    if isinstance(checked, RawFile):
        return checked
    try:
        fd = os.open(path, READ_FLAGS)
    except OSError as exc:
        return _failure(path, ReadFailure.unreadable, f"cannot be read: {exc.strerror or exc}")
    wanted = limit if head else limit + 1
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return _failure(path, ReadFailure.not_regular, _not_regular(info.st_mode))
        if info.st_size > limit and not head:
            return _too_large(path, info.st_size, limit)
        data = read_at_most(fd, wanted, info.st_size)
    except OSError as exc:
        return _failure(path, ReadFailure.unreadable, f"cannot be read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(data) > limit:
        return _too_large(path, len(data), limit)
    return RawFile(path, data, size=len(data))


INPUT_CAP = 16 * MIB  # our own inputs (waiver, threshold and pin files): far above any real one
HEAD_CAP = 4 * MIB  # a log header's first lines; LoadGen's bulky provenance records make them up to ~1.4 MB


def read_head_lines(path: Path, max_lines: int, cap: int = HEAD_CAP) -> list[str]:
    """The first ``max_lines`` lines of a regular file, read in chunks and never more than ``cap`` bytes."""
    return list(iter_head_lines(path, max_lines, cap))


def iter_head_lines(path: Path, max_lines: int, cap: int = HEAD_CAP) -> Iterator[str]:
    """The first ``max_lines`` lines of a regular file, one at a time, never reading more than ``cap`` bytes.

    For deliberate partial reads of large logs (a header value): a FIFO or device is not opened for reading
    at all, and a file without newlines (a sparse file of zeros) costs at most ``cap`` bytes. A caller that
    stops early stops the reading too (the value sought is usually on the first lines). A file that cannot
    be read gives no lines; the full read of the same file by its parser reports why.
    """
    try:
        fd = os.open(path, READ_FLAGS)
    except OSError:
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        pieces: list[bytes] = []  # the line being read, in pieces: a 1 MB line is never copied twice
        read, given = 0, 0
        while given < max_lines:
            chunk = os.read(fd, min(1 << 16, cap - read)) if read < cap else b""
            if not chunk:
                if pieces:
                    yield b"".join(pieces).rstrip(b"\r").decode("utf-8", errors="replace")
                return
            read += len(chunk)
            if b"\n" not in chunk:
                pieces.append(chunk)
                continue
            *complete, rest = chunk.split(b"\n")
            complete[0] = b"".join([*pieces, complete[0]])
            pieces = [rest] if rest else []
            for line in complete:
                yield line.rstrip(b"\r").decode("utf-8", errors="replace")
                given += 1
                if given == max_lines:
                    return
    except OSError:
        return
    finally:
        os.close(fd)


@dataclass(frozen=True)
class TextFile:
    """A file's text, or why it could not be read (``error`` for people, ``kind`` for rules)."""

    path: Path
    text: str = ""
    error: str | None = None
    bad_bytes_at: int | None = None
    kind: ReadFailure | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def looks_like_text(raw: bytes) -> str | None:
    """Why these bytes are not UTF-8 text, or None: NUL bytes, as in binary data and UTF-16/32 text.

    A byte-order mark alone is not enough (latin-1 training logs may start with any byte); UTF-16
    of the ASCII text all evidence is made of has a NUL in every other byte.
    """
    nul = raw.find(b"\0")
    if nul < 0:
        return None
    if raw.startswith(_UTF16_32_BOMS):
        return "is UTF-16/UTF-32 encoded, expected UTF-8 text"
    return f"is binary, not text (NUL byte at offset {nul})"


def read_text(path: Path, limit: int = DEFAULT_LIMIT, *, allow_empty: bool = False, strict: bool = False) -> TextFile:
    """Read UTF-8 text within ``limit`` bytes.

    Empty files, binary data (NUL bytes) and UTF-16/32 fail with their kind. Other undecodable
    bytes are replaced and their first offset remembered in ``bad_bytes_at`` (rules report it),
    unless ``strict``, where they fail as ``not_text``.
    """
    checked = read_text_bytes(path, limit, allow_empty=allow_empty, strict=strict)
    return checked if isinstance(checked, TextFile) else TextFile(path, checked.data.decode("ascii"))


def read_text_bytes(
    path: Path, limit: int = DEFAULT_LIMIT, *, allow_empty: bool = False, strict: bool = False
) -> RawFile | TextFile:
    """:func:`read_text` for parsers that work on bytes: ASCII text (nearly all evidence) comes back as its bytes,
    undecoded; anything else as read_text's ``TextFile`` (a failure, or text that had to be decoded).
    """
    raw = read_bytes_bounded(path, limit)
    if not raw.ok:
        return TextFile(path, error=raw.error, kind=raw.kind)
    data = raw.data
    if (not data or data.isspace()) and not allow_empty:
        return TextFile(path, error="file is empty", kind=ReadFailure.empty)
    why = looks_like_text(data)
    if why is not None:
        return TextFile(path, error=why, kind=ReadFailure.not_text)
    if data.isascii():
        return raw
    try:
        return TextFile(path, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        if strict:
            return TextFile(
                path, error=f"not valid UTF-8 (first bad byte at offset {exc.start})", kind=ReadFailure.not_text
            )
        return TextFile(path, data.decode("utf-8", errors="replace"), bad_bytes_at=exc.start)


def outside_root(path: Path, root: Path) -> str | None:
    """Where ``path`` really lives when that is outside ``root`` (links resolved), else None."""
    real = os.path.realpath(path)
    base = os.path.realpath(root)
    if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return real


def limit_for(rules: Any, kind: str, default: int = DEFAULT_LIMIT) -> int:
    """The round's byte cap for one kind of evidence (``limits:`` in the rule file), else ``default``."""
    try:
        value = (rules.get("limits") or {}).get(kind)
    except AttributeError:
        value = None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
