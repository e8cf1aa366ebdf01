"""Reading ahead: when a job's files are not in the page cache, ask the kernel for them before the rules do.

A check reads thousands of logs one after another; from a cold cache each read waits for the disk, one request
at a time per worker. A few background threads walk the job's folders first and hint every file
(``posix_fadvise(WILLNEED)``): the kernel then reads them in parallel while the worker parses what it already has.

Only a hint, never evidence: nothing read here is kept or judged, any error is ignored, the threads are daemons
that stop with their job, and a tree whose first files are already cached (the usual warm run, checked with a
non-blocking ``preadv``) is left alone, so a warm run pays one short walk and nothing more.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable, Iterator

THREADS = 4  # open() of a cold inode blocks: a few at once keep the disk's queue full
PROBES = 3  # files tried, without waiting, to tell a warm tree from a cold one
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class ReadAhead:
    """Background threads hinting every regular file under ``folders``; :meth:`stop` ends them early."""

    def __init__(self, folders: Iterable[str]) -> None:
        self._stop = threading.Event()
        self._files = _regular_files(list(folders), self._stop)
        self._lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        if not hasattr(os, "posix_fadvise") or not _cold(self._files, self._lock):
            return
        for _ in range(THREADS):
            thread = threading.Thread(target=self._hint_all, name="subcheck-read-ahead", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def _hint_all(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                path = next(self._files, None)
            if path is None:
                return
            _hint(path)


def _regular_files(folders: list[str], stop: threading.Event) -> Iterator[str]:
    """Every regular file under ``folders``, in their order, each folder once (links are not followed; an
    unlistable folder is skipped).
    """
    pending = list(reversed(folders))
    seen: set[str] = set()
    while pending and not stop.is_set():
        folder = pending.pop()
        if folder in seen:
            continue
        seen.add(folder)
        try:
            with os.scandir(folder) as entries:
                listing = list(entries)
        except OSError:
            continue
        for entry in listing:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    yield entry.path
            except OSError:
                continue


def _cold(files: Iterator[str], lock: threading.Lock) -> bool:
    """Whether one of the first files is not in the page cache (then all are hinted, these included)."""
    probed = 0
    for path in files:
        waits = _would_wait(path)
        if waits is None:
            continue  # empty, gone or not a regular file: no evidence either way
        if waits:
            _hint(path)
            return True
        probed += 1
        if probed >= PROBES:
            return False
    return False


def _would_wait(path: str) -> bool | None:
    """True when reading the file's first byte would wait for the disk; None when that cannot be told."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return None if os.preadv(fd, [bytearray(1)], 0, os.RWF_NOWAIT) == 0 else False
    except BlockingIOError:
        return True
    except (OSError, AttributeError, ValueError):  # no RWF_NOWAIT here: read ahead anyway
        return True
    finally:
        os.close(fd)


def _hint(path: str) -> None:
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        return
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
    except OSError:
        pass
    finally:
        os.close(fd)
