"""An entry-point scan that found no subcheck plugin, remembered for exactly the distributions it scanned.

Scanning the entry points means importing ``importlib.metadata`` and reading every installed distribution's
metadata: a tenth of what a one-result ``subcheck ci`` costs, on every run, to find (almost always) nothing. Where
``importlib.metadata`` looks is known: each ``*.dist-info`` and ``*.egg-info`` folder of each ``sys.path`` folder,
entry points in its ``entry_points.txt``. This module fingerprints exactly that (the search path, each such folder's
name and its ``entry_points.txt`` by inode, size and modification and status-change times, which any write moves)
and remembers a fingerprint whose scan found no plugin. Only that is remembered: any plugin found means a scan
every run. Where the search cannot be fingerprinted plainly (a zip or egg on the path, a finder of distributions
other than the standard one), there is no memo and the scan runs.
"""

from __future__ import annotations

import hashlib
import os
import sys

from checker.entries import cache_root, read_keyed, write_atomically

FORMAT = 1
_MAGIC = b"subcheck-no-plugins\n"


def fingerprint() -> str | None:
    """Everything the entry-point scan reads, by status; None when it cannot be taken plainly."""
    from importlib.machinery import PathFinder

    finders = [f for f in sys.meta_path if getattr(f, "find_distributions", None) is not None]
    if finders != [PathFinder]:
        return None
    digest = hashlib.blake2b(digest_size=24)
    digest.update(f"{FORMAT}\0{sys.version}\0{sys.prefix}\n".encode(errors="surrogateescape"))
    for entry in sys.path:
        root = entry or "."
        if root.lower().endswith(".egg"):
            return None
        try:
            children = sorted(os.listdir(root))
        except FileNotFoundError:
            digest.update(f"- {root}\n".encode(errors="surrogateescape"))
            continue
        except OSError:  # a zip file on the path, or a folder that cannot be listed
            return None
        digest.update(f"D {os.path.abspath(root)}\n".encode(errors="surrogateescape"))
        for child in children:
            if child.lower().endswith((".dist-info", ".egg-info")):
                digest.update(f"  {child} {_status(os.path.join(root, child, 'entry_points.txt'))}\n".encode(
                    errors="surrogateescape"))  # fmt: skip
    return digest.hexdigest()


def _status(path: str) -> str:
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"none:{exc.errno}"
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def _entry(key: str) -> str:
    return os.path.join(cache_root(), "no-plugins", key)


def known_empty(key: str | None) -> bool:
    """Whether a scan of exactly these distributions found no plugin (a damaged entry: no)."""
    if key is None:
        return False
    return read_keyed(_entry(key), _MAGIC + key.encode() + b"\n", 256) == b""


def remember_empty(key: str | None) -> None:
    """Store that the scan of this fingerprint found no plugin (written whole, then renamed)."""
    if key is None:
        return
    write_atomically(_entry(key), _MAGIC + key.encode() + b"\n")
