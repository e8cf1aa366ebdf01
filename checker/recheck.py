"""The whole-tree fast path of ``subcheck check``: re-checking an unchanged tree loads the report it gave before.

After a check, the report is stored with a manifest of the tree: the status (type, mode, size, inode, modification
and status-change times) of the root and of every entry under it, taken *before* the check read anything. The
next run with the same key (the checker's code and bundled rules, the Python and its installed libraries, the
user, the root and every option that changes findings) calls ``lstat`` once per manifest entry, in manifest
order, and when every status matches it writes the stored report without importing the engine, the rules or
jsonschema and without starting a worker. Any mismatch, any unreadable or damaged entry, means the usual run
(which still reuses unchanged submitters, :mod:`checker.cache`).

Why a status walk is enough: a write to a file moves its status-change time, which no user can set back; adding,
removing or renaming an entry moves the status-change time of its folder (and a replaced entry has a new inode).
Because every folder is in the manifest, nothing needs listing on a hit. Two cases cannot be trusted this way,
and the tree is then not stored at all: an entry changed less than :data:`SETTLE_NS` before the manifest was
taken (a file system's clock ticks coarsely, so a later write in the same tick could keep the same time), and an
entry a walk of the tree cannot vouch for: a symbolic link resolving outside the tree, a FIFO, socket or device.
Entries are stored checksummed outside the checked tree; a damaged one is deleted and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
import stat
import sys
import time
from array import array
from typing import Any

FORMAT = 1  # bump when what is stored changes shape
SETTLE_NS = 2_000_000_000  # younger entries are not trusted to show a later change by their times alone
ENTRY_LIMIT = 1 << 31
_MAGIC = b"subcheck-recheck\n"

# The root's status with its device; every entry under it, absolute, in walk order; their status, flattened
# (5 integers each); files outside the tree that the run read (a rule file, a plugin), each with its status.
Manifest = tuple[tuple[int, ...], list[str], list[int], list[tuple[str, tuple[int, ...]]]]


def _status(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_mode, info.st_size, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)


def _flat(infos: Any) -> bytes:
    """The status of many entries as one bytes object: compared in one go, stored without a parse."""
    numbers = [n for s in infos for n in (s.st_mode, s.st_size, s.st_ino, s.st_mtime_ns, s.st_ctime_ns)]
    return array("q", numbers).tobytes()


def _cache_dir() -> str:
    from checker.cache import cache_dir

    return str(cache_dir())


def _code_stamp() -> list[Any]:
    """The checker's own files and bundled data, and the folders Python imports from (an installed or removed
    library or plugin changes its site-packages folder): status only, nothing is imported or read.
    """
    package = os.path.dirname(os.path.abspath(__file__))
    parent = os.path.dirname(package)
    bases = [package]
    for name in ("rules", "schemas"):
        repo = os.path.join(parent, name)
        bases.append(repo if os.path.isdir(repo) else os.path.join(package, "_data", name))
    found: list[Any] = []
    for base in bases:
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".tmp")):
                    continue
                path = os.path.join(folder, name)
                found.append((path, _status(os.stat(path))))
    for entry in sys.path:
        try:
            found.append((entry, _status(os.stat(entry or "."))))
        except OSError:
            found.append((entry, None))
    return found


def run_key(root: str, given: dict[str, Any]) -> str | None:
    """The key of a run: everything but the tree that its findings depend on; None when it cannot be made."""
    try:
        code = _code_stamp()
        rules_file = given.get("rules_file")
        rules = _status(os.stat(rules_file)) if rules_file else None
    except OSError:
        return None
    material = {
        "format": FORMAT,
        "python": [sys.version, sys.executable, sys.flags.optimize],
        "user": [os.getuid(), os.getgid(), sorted(os.getgroups())] if hasattr(os, "getuid") else None,
        "code": code,
        "root": root,
        "rules": rules,
        "given": sorted((k, str(v)) for k, v in given.items()),
    }
    return hashlib.blake2b(repr(material).encode(errors="surrogateescape"), digest_size=24).hexdigest()


def take_manifest(root: str) -> Manifest | None:
    """The status of ``root`` and of every entry under it; None when it cannot be trusted."""
    started = time.time_ns()
    settled = started - SETTLE_NS
    names: list[str] = []
    infos: list[os.stat_result] = []
    inside = root + os.sep
    try:
        top = os.lstat(root)
        stack = [root]
        while stack:
            with os.scandir(stack.pop()) as listing:
                for entry in listing:
                    info = entry.stat(follow_symlinks=False)
                    if info.st_ctime_ns > settled or info.st_mtime_ns > started:
                        return None  # changed too recently for its times to show the next change
                    mode = info.st_mode
                    if stat.S_ISDIR(mode):
                        stack.append(entry.path)
                    elif stat.S_ISLNK(mode):
                        target = os.path.realpath(entry.path)
                        if target != root and not target.startswith(inside):
                            return None  # what it names is not in the manifest
                    elif not stat.S_ISREG(mode):
                        return None  # a FIFO, socket or device: its content has no status to compare
                    names.append(entry.path)
                    infos.append(info)
    except (OSError, ValueError):
        return None
    return (*_status(top), top.st_dev), names, infos, []  # type: ignore[return-value]


def add_files(manifest: Manifest, files: list[str]) -> Manifest | None:
    """``manifest`` with the status of files outside the tree that the run depended on (a rule file, a plugin)."""
    settled = time.time_ns() - SETTLE_NS
    extra = list(manifest[3])
    try:
        for path in files:
            info = os.stat(path)
            if info.st_ctime_ns > settled:
                return None
            extra.append((os.path.abspath(path), _status(info)))
    except (OSError, ValueError):
        return None
    return manifest[0], manifest[1], manifest[2], extra


def _pack(manifest: Manifest) -> bytes:
    top, names, infos, extra = manifest
    joined = "\0".join(names).encode("utf-8", "surrogateescape")  # no name holds a NUL
    return marshal.dumps((top, joined, _flat(infos), extra))


def unchanged(root: str, packed: Any) -> bool:
    """Whether every entry of a stored manifest still has its stored status (one ``lstat`` each, nothing listed)."""
    top, joined, flat, extra = packed
    try:
        now = os.lstat(root)
        if (*_status(now), now.st_dev) != tuple(top):
            return False
        for path, status in extra:
            if _status(os.stat(path)) != tuple(status):
                return False
        names = joined.decode("utf-8", "surrogateescape").split("\0") if joined else []
        return _flat(map(os.lstat, names)) == flat
    except (OSError, ValueError, OverflowError):  # gone, or a status that no longer fits: not the same tree
        return False


def _entry(key: str) -> str:
    return os.path.join(_cache_dir(), f"recheck-v{FORMAT}", key[:2], f"{key}.bin")


def lookup(key: str, root: str) -> Any | None:
    """The stored output of this key when the tree is unchanged, else None (a damaged entry is removed)."""
    from checker.parsers.text import ReadFailure, read_bytes_bounded

    path = _entry(key)
    raw = read_bytes_bounded(path, ENTRY_LIMIT)  # regular files only, non-blocking: a FIFO here cannot hang
    if raw.kind is ReadFailure.missing:
        return None
    blob = raw.data or b""
    head = len(_MAGIC)
    body = memoryview(blob)[head + 32 :]
    if blob[:head] == _MAGIC and hashlib.sha256(body).digest() == blob[head : head + 32] and len(body) > 8:
        try:
            size = int.from_bytes(body[:8], "big")
            manifest = marshal.loads(body[8 : 8 + size])
            if not unchanged(root, manifest):
                return None  # a good entry for an earlier state of the tree: replaced after this run
            return pickle.loads(body[8 + size :])  # noqa: S301 - our own entry in the user's cache, checksummed
        except Exception:  # noqa: BLE001 - any damage means: check again
            pass
    _remove(path)
    return None


def store(key: str, manifest: Manifest, output: Any) -> None:
    """Write an entry atomically; a cache that cannot be written only costs time."""
    path = _entry(key)
    try:
        listed = _pack(manifest)
        body = len(listed).to_bytes(8, "big") + listed + pickle.dumps(output, protocol=pickle.HIGHEST_PROTOCOL)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as stream:
            stream.write(_MAGIC + hashlib.sha256(body).digest() + body)
        os.replace(temporary, path)
    except Exception:  # noqa: BLE001 - unwritable folder, unpicklable value: the run goes on unstored
        pass


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def plugin_files() -> list[str] | None:
    """The files of the plugins this run loaded (they judge too), or None when one failed to load (what it would
    be after a fix is not in any file's status).
    """
    discovery = sys.modules.get("checker.plugins.discovery")
    if discovery is None:
        return []
    files: set[str] = set()
    for info in discovery.load_plugins():
        if not info.ok:
            return None
        top = info.target.split(":")[0].split(".")[0]
        for name, module in list(sys.modules.items()):
            if name == top or name.startswith(top + "."):
                where = getattr(module, "__file__", None)
                if where:
                    files.add(where)
    return sorted(files)
