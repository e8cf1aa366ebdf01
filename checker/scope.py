"""What every rule context shares, in every suite: the checked root, the round's rules and one way to name a
file relative to the root (as findings show it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def rel(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` with forward slashes; the path itself when it lies outside the root."""
    base, full = str(root), str(path)
    if os.sep == "/" and full.startswith(base) and full[len(base) : len(base) + 1] == "/" and base != "/":
        return full[len(base) + 1 :]  # the common case, without building PurePath objects (this runs per finding)
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


class ContextBase:
    """The base of every context class: subclasses set ``root`` and ``rules`` (training contexts as dataclass
    fields, inference contexts in ``__init__``).
    """

    root: Path
    rules: Any

    def rel(self, path: Path) -> str:
        return rel(self.root, path)
