"""Reading ahead: when a run's files are not in the page cache, ask the kernel for them before the rules do.

A check reads thousands of logs one after another; from a cold cache each read waits for the disk, one request
at a time per worker. A few background threads of the main process walk the run's folders first, in the order
the jobs judge them, and hint every file the rules read (``posix_fadvise(WILLNEED)``): the kernel reads them in
parallel while the workers parse what they already have. The threads start after the worker processes are forked.

Only a hint, never evidence: nothing read here is kept or judged, any error is ignored, the threads are daemons
that stop with the run, and a tree whose first files are already cached (the usual warm run, checked with a
non-blocking ``preadv``) is left alone, so a warm run pays one short walk and nothing more.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable

from checker.bounded_read import READ_FLAGS

THREADS = 8  # open() of a cold inode and a cold folder's listing block: several at once keep the disk busy
PROBES = 3  # files tried, without waiting, to tell a warm tree from a cold one
LOOK = 64  # folders listed at most to find them


class ReadAhead:
    """Background threads hinting, whole, the regular files under ``folders`` that the rules read, each folder once;
    :meth:`stop` ends them.

    The threads share a queue of folders: each takes the next one, lists it and hints its files without holding
    the queue's lock, and puts its subfolders first in the queue (depth first, in the order given).
    """

    def __init__(
        self, folders: Iterable[str] | Callable[[], Iterable[str]], whole: Collection[str] | None = None
    ) -> None:
        """``folders``, or a function giving them: then a first thread works them out, off the caller's path (a
        warm run, the usual one, must not wait for a list of every folder of the round only to leave it unread).
        ``whole``: the names of the files the rules read; no other file is hinted (code, images and archives, a
        fifth to a third of a published round's bytes and most of its files, are judged by name and size, which
        the walk's ``stat`` reads; hinting their first bytes cost a cold v4.1 run some 0.6 s of its 2 cores). None:
        every file.
        """
        self._whole = whole
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pending: deque[str] = deque()
        self._seen: set[str] = set()
        self.threads: list[threading.Thread] = []
        if not hasattr(os, "posix_fadvise"):
            return
        if callable(folders):
            starter = threading.Thread(target=self._start, args=(folders,), name="subcheck-read-ahead", daemon=True)
            self.threads.append(starter)
            starter.start()
        else:
            self._start(lambda: folders)

    def _start(self, folders: Callable[[], Iterable[str]]) -> None:
        try:
            self._pending.extend(folders())
            if self._stop.is_set() or not self._cold():
                return
        except Exception:  # noqa: BLE001 - only a hint: a folder list that cannot be made means no read-ahead
            return
        for _ in range(THREADS):
            thread = threading.Thread(target=self._work, name="subcheck-read-ahead", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def _take(self) -> str | None:
        with self._lock:
            while self._pending:
                folder = self._pending.popleft()
                if folder not in self._seen:
                    self._seen.add(folder)
                    return folder
        return None

    def _work(self) -> None:
        while not self._stop.is_set():
            folder = self._take()
            if folder is None:
                return
            files, folders = _listing(folder)
            with self._lock:
                self._pending.extendleft(reversed(folders))
            whole = self._whole
            for path in files:
                if self._stop.is_set():
                    return
                if whole is None or os.path.basename(path) in whole:
                    _hint(path)

    def _cold(self) -> bool:
        """Whether one of the first files (depth first, at most ``LOOK`` folders) is not in the page cache."""
        probed, looked = 0, 0
        stack = list(reversed(self._pending))
        while stack and looked < LOOK:
            files, folders = _listing(stack.pop())
            looked += 1
            for path in files:
                waits = _would_wait(path)
                if waits:
                    return True
                probed += waits is not None  # empty, gone or not a regular file: no evidence either way
                if probed >= PROBES:
                    return False
            stack.extend(reversed(folders))
        return False


def _listing(folder: str) -> tuple[list[str], list[str]]:
    """The regular files and the subfolders of ``folder`` (links not followed; an unlistable folder is empty)."""
    files: list[str] = []
    folders: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        files.append(entry.path)
                except OSError:
                    continue
    except OSError:
        pass
    return files, folders


def _would_wait(path: str) -> bool | None:
    """True when reading the file's first byte would wait for the disk; None when that cannot be told."""
    try:
        fd = os.open(path, READ_FLAGS)
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
    """Ask the kernel to read the whole file into the page cache."""
    try:
        fd = os.open(path, READ_FLAGS)
    except OSError:
        return
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)  # length 0: to the end
    except OSError:
        pass
    finally:
        os.close(fd)
