"""Reading files as text without ever raising: bad bytes and missing files become notes for rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TextFile:
    """A file's text, or why it could not be read."""

    path: Path
    text: str = ""
    error: str | None = None
    bad_bytes_at: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def read_text(path: Path) -> TextFile:
    """Read UTF-8 text; undecodable bytes are replaced and their first offset remembered."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return TextFile(path, error="file is missing")
    except IsADirectoryError:
        return TextFile(path, error="is a folder, not a file")
    except OSError as exc:
        return TextFile(path, error=f"cannot be read: {exc.strerror or exc}")
    try:
        return TextFile(path, raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return TextFile(path, raw.decode("utf-8", errors="replace"), bad_bytes_at=exc.start)
