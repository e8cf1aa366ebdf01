"""The one bounded read of an open regular file, for evidence (:mod:`checker.parsers.text`) and cache entries
(:mod:`checker.entries`) alike. It imports only ``os``: a re-check served from its cache entry reads that entry
before anything else is imported.
"""

from __future__ import annotations

import os

# Non-blocking, so a FIFO or device put where a file was expected cannot hang the run; never a controlling
# terminal; never inherited by a child process.
READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
CHUNK = 1 << 24  # the most one read asks for: a file near its cap is read in pieces, never in one huge buffer


def read_at_most(fd: int, wanted: int, size: int) -> bytes:
    """At most ``wanted`` bytes of the open file ``fd``, whose ``fstat`` gave ``size`` bytes.

    The first read asks for the size and one byte more, not for ``wanted`` bytes (a cap of a GB would otherwise
    be a GB buffer per file); a short read that ends exactly at ``size`` is the end of the file, so no read is
    made only to learn it. A file that holds more than its size said is read on, up to ``wanted``, so the caller
    sees that it grew past its cap. ``OSError`` is the caller's to judge.
    """
    chunks: list[bytes] = []
    total = 0
    asked = min(wanted, size + 1, CHUNK)
    while total < wanted:
        chunk = os.read(fd, asked)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if len(chunk) < asked and total == size:
            break
        asked = min(wanted - total, CHUNK)
    return b"".join(chunks)
