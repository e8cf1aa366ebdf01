"""Where a checked path's settings file may be: one walk for :func:`checker.config.find_config`, which reads the
file, and for the served re-check (:mod:`checker.cli`), which only asks whether one may apply and hands any doubt
to click. Kept apart and light so that the served path imports nothing more than ``os``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

CONFIG_FILE = "subcheck.yaml"
PYPROJECT = "pyproject.toml"
NAMES = (CONFIG_FILE, PYPROJECT)  # in one folder, the first wins
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.EBADF})  # what Path.exists() calls "no"


def settings_folders(folder: str) -> Iterator[str]:
    """``folder``, then each folder above it, ending with the first that holds ``.git`` (a repository's top, where
    a linter's search stops too) or with the file system's root. Asking after ``.git`` may raise :class:`OSError`
    (no permission): the caller cannot tell where to stop, and decides.
    """
    while True:
        yield folder
        try:
            os.stat(os.path.join(folder, ".git"))
        except OSError as exc:
            if exc.errno not in _ABSENT:
                raise
        else:
            return
        parent = os.path.dirname(folder) or "."  # a relative path ends at the current folder, as Path.parents does
        if parent == folder:
            return
        folder = parent
