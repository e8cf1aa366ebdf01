"""Whether a tree still has the status its stored manifest says, answered fast on a re-check (:mod:`checker.recheck`).

The answer costs one ``lstat`` per entry, a system call that is slow on some machines, so the entries are shared
between this process and forked children (one per extra core, none for a small manifest, where a fork costs more
than it saves). Each process splits its own share of the stored names and compares their status one by one
with its slice of the stored numbers, stopping at the first difference; no list of status results is kept.

Only a yes is an answer. No, a failed fork, a child that dies, hangs past its time, or sends anything but the
expected message, and any error, all answer "not known", and the caller compares again the slow, serial way
(which also makes the next manifest).
"""

from __future__ import annotations

import os
import select
import sys
import time
from array import array
from operator import attrgetter, ne

TYPE_CHECKING = False  # not typing's: a served re-check imports no module it does not run (typing: ~5 ms)
if TYPE_CHECKING:
    from typing import NoReturn

SIZE = 40  # five 8-byte numbers per entry: mode, size, inode, modification and status-change times
MIN_SHARE = 4096  # fewer entries per process than this: a fork and a child's exit (~5 ms) cost more than they save
MAX_PROCESSES = 8
MIN_WAIT_S = 2.0  # a child gets at least this long, and WAIT_FACTOR times what this process took for its share
WAIT_FACTOR = 4
_STATUS = attrgetter("st_mode", "st_size", "st_ino", "st_mtime_ns", "st_ctime_ns")
_SAME = b"same"


def same_status(names: list[bytes], flat: bytes | memoryview) -> bool:
    """Whether each of ``names`` has the status in its 40 bytes of ``flat``; any error is a no. One entry at a
    time, stopping at the first difference, all in C (no status result is kept, no Python loop runs).
    """
    if len(names) * SIZE != len(flat):
        return False
    stored = array("q")
    stored.frombytes(flat)
    try:
        return not any(map(ne, map(_STATUS, map(os.lstat, names)), zip(*[iter(stored)] * 5, strict=False)))
    except (OSError, ValueError, OverflowError):
        return False


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def processes_for(count: int) -> int:
    """How many processes share ``count`` entries: one per usable core, each with at least :data:`MIN_SHARE`.
    One where this process cannot fork safely (no ``fork``, or threads running: a child would inherit their locks).
    """
    threading = sys.modules.get("threading")
    if not hasattr(os, "fork") or (threading is not None and threading.active_count() > 1):
        return 1
    return max(1, min(_cores(), count // MIN_SHARE, MAX_PROCESSES))


def _shares(joined: bytes, processes: int) -> list[tuple[int, int, int]]:
    """(first byte, end byte, first entry) of each share of the NUL-joined names, cut at names' ends."""
    starts = [(0, 0)]
    for part in range(1, processes):
        cut = joined.find(b"\0", len(joined) * part // processes)
        if cut < 0 or cut + 1 <= starts[-1][0]:
            break
        starts.append((cut + 1, joined.count(b"\0", 0, cut) + 1))
    ends = [byte - 1 for byte, _ in starts[1:]] + [len(joined)]
    return [(byte, end, first) for (byte, first), end in zip(starts, ends, strict=True)]


def _share_same(joined: bytes, flat: bytes, share: tuple[int, int, int], count: int) -> bool:
    """Whether the ``count`` entries of one share have their stored status."""
    byte, end, first = share
    names = joined[byte:end].split(b"\0")
    return len(names) == count and same_status(names, memoryview(flat)[first * SIZE : (first + count) * SIZE])


def _child(joined: bytes, flat: bytes, share: tuple[int, int, int], count: int, answer: int) -> NoReturn:
    """In a forked child: compare one share, write :data:`_SAME` and its count when it matches, and leave at once
    (``os._exit``: no cleanup, no buffered output of the parent written twice, whatever happens).
    """
    code = 1
    try:
        if _share_same(joined, flat, share, count):
            os.write(answer, _SAME + count.to_bytes(8, "big"))
            code = 0
    except BaseException:  # noqa: BLE001, S110 - a child never raises into the parent's code; exit 1 says it
        pass
    finally:
        os._exit(code)


def _fork(joined: bytes, flat: bytes, share: tuple[int, int, int], count: int) -> tuple[int, int] | None:
    """A child comparing one share: its process id and the pipe its answer comes on; None when it cannot start."""
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:
        os.close(read)
        _child(joined, flat, share, count, write)
    os.close(write)
    return pid, read


def _answered(read: int, count: int, deadline: float) -> bool:
    """Whether exactly the expected message, then the end of the pipe, came before ``deadline``."""
    expected = _SAME + count.to_bytes(8, "big")
    got = b""
    try:
        while len(got) <= len(expected):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                return False  # hung or too slow: the serial compare decides
            chunk = os.read(read, 64)
            if not chunk:
                break
            got += chunk
    except (OSError, ValueError):
        return False
    return got == expected


def _reap(pid: int, confirmed: bool) -> bool:
    """End and reap a child (never a zombie); whether it exited with 0 after a confirmed answer."""
    try:
        if not confirmed:
            import signal  # here: building its enums costs a served re-check a millisecond

            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    except OSError:
        return False
    return confirmed and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def same_tree(joined: bytes, flat: bytes, processes: int | None = None) -> bool:
    """True only when every entry of the stored manifest (names joined by NUL, their status in ``flat``) has its
    stored status; False means "not known": different, or a process failed. Children are reaped before returning.
    """
    total = len(flat) // SIZE
    if len(flat) % SIZE or not joined:
        return not joined and not flat
    shares = _shares(joined, processes or processes_for(total))
    counts = [b[2] - a[2] for a, b in zip(shares, shares[1:], strict=False)] + [total - shares[-1][2]]
    if min(counts) < 1:
        return False  # fewer status records than names: a damaged entry
    children: list[tuple[int, int, int]] = []
    confirmed = 0
    same = False
    try:
        for share, count in zip(shares[1:], counts[1:], strict=True):
            child = _fork(joined, flat, share, count)
            if child is None:
                return False
            children.append((*child, count))
        started = time.monotonic()
        if not _share_same(joined, flat, shares[0], counts[0]):
            return False
        deadline = time.monotonic() + max(MIN_WAIT_S, WAIT_FACTOR * (time.monotonic() - started))
        for _, read, count in children:
            if not _answered(read, count, deadline):
                return False
            confirmed += 1
        same = True
    finally:
        for index, (pid, read, _) in enumerate(children):  # every child is ended and reaped, whatever happened
            os.close(read)
            same = _reap(pid, index < confirmed) and same
    return same
