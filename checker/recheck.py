"""The whole-tree fast path of ``subcheck check``: re-checking an unchanged tree loads the report it gave before.

After a check, the report is stored with a manifest of the tree: the status (type, mode, size, inode, modification
and status-change times) of the root and of every entry under it, taken *before* the check read anything. The
next run with the same key (the checker's code and bundled rules, the Python and its installed libraries, the
user, the root and every option that changes findings) calls ``lstat`` once per manifest entry (shared between
this process and forked children on a large tree, :mod:`checker.recheck_compare`), and when every status matches
it writes the stored report without importing the engine, the rules or jsonschema and without starting a worker.
Any mismatch, any unreadable or damaged entry, means the usual run (which still reuses unchanged submitters,
:mod:`checker.cache`).

Why a status walk is enough: a write to a file moves its status-change time, which no user can set back; adding,
removing or renaming an entry moves the status-change time of its folder (and a replaced entry has a new inode).
Because every folder is in the manifest, nothing needs listing on a hit. Two cases cannot be trusted this way,
and the tree is then not stored at all: an entry changed less than :data:`SETTLE_NS` before the manifest was
taken (a file system's clock ticks coarsely, so a later write in the same tick could keep the same time), and an
entry a walk of the tree cannot vouch for: a symbolic link resolving outside the tree, a FIFO, socket or device.
Entries are stored checksummed outside the checked tree; a damaged one is deleted and rebuilt, never trusted.

An entry also keeps the report as it was written (text, JSON...), with its exit code, keyed by everything that
shapes the writing (format, view, width, evidence): a re-run asking for the same writes those characters again
without loading the report. Waivers, ``--output`` and reporters with side effects are always written afresh.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import sys
import time
from array import array

from checker.entries import cache_root, read_checked, remove, write_checked
from checker.recheck_compare import same_tree

TYPE_CHECKING = False  # not typing's: a served re-check imports no module it does not run (typing: ~5 ms)
if TYPE_CHECKING:
    from typing import Any

FORMAT = 2  # bump when what is stored changes shape
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


def check_key(root: str, suite: str, version: str | None, rules_at: str | None, **asked: Any) -> str | None:
    """The key of a ``subcheck check`` run (:func:`run_key` of what it was asked): one function for the click
    command and for the program's served path (:mod:`checker.cli`), so that both find the same entry.
    """
    keys = ("submitter", "select", "ignore", "published", "debug")
    given = {"suite": suite, "version": version, "rules_file": rules_at, **{k: asked[k] for k in keys}}
    return run_key(root, given)


def render_shape(
    fmt: str, show: tuple[str, ...], verbose: bool, quiet: bool, floor: str, width: int, evidence: str | None
) -> str:
    """The key a report written to standard output is stored under: everything that shapes its characters."""
    return repr((fmt, tuple(show), bool(verbose), bool(quiet), floor, width, evidence))


class _Known:
    """What the last stored manifest says, with this run's status of each of its entries: a folder whose status
    is unchanged has the entries it had, so only changed folders are listed again.
    """

    def __init__(self, names: list[str], flat: bytes, infos: list[os.stat_result | None]) -> None:
        numbers = array("q")
        numbers.frombytes(flat)
        self.status = {name: tuple(numbers[5 * i : 5 * i + 5]) for i, name in enumerate(names)}
        self.now = dict(zip(names, infos, strict=True))
        self.children: dict[str, list[str]] = {}
        for name in names:
            self.children.setdefault(name.rpartition(os.sep)[0], []).append(name)

    def listing(self, folder: str) -> list[tuple[str, os.stat_result]] | None:
        """The entries of an unchanged ``folder`` as this run found them; None when one is gone (list it)."""
        found = [(name, self.now.get(name)) for name in self.children.get(folder, ())]
        return None if any(info is None for _, info in found) else found  # type: ignore[return-value]


def take_manifest(root: str, known: _Known | None = None, top_unchanged: bool = False) -> Manifest | None:
    """The status of ``root`` and of every entry under it; None when it cannot be trusted. With ``known``, a
    folder whose status did not change is not listed again (its entries' status was just taken).
    """
    started = time.time_ns()
    settled = started - SETTLE_NS
    names: list[str] = []
    infos: list[os.stat_result] = []
    inside = root + os.sep
    try:
        top = os.lstat(root)
        stack = [(root, top_unchanged)]
        while stack:
            folder, same = stack.pop()
            listing = known.listing(folder) if known is not None and same else None
            if listing is None:
                with os.scandir(folder) as entries:
                    listing = [(entry.path, entry.stat(follow_symlinks=False)) for entry in entries]
            for path, info in listing:
                if info.st_ctime_ns > settled or info.st_mtime_ns > started:
                    return None  # changed too recently for its times to show the next change
                mode = info.st_mode
                if stat.S_ISDIR(mode):
                    stack.append((path, known is not None and known.status.get(path) == _status(info)))
                elif stat.S_ISLNK(mode):
                    target = os.path.realpath(path)
                    if target != root and not target.startswith(inside):
                        return None  # what it names is not in the manifest
                elif not stat.S_ISREG(mode):
                    return None  # a FIFO, socket or device: its content has no status to compare
                names.append(path)
                infos.append(info)
    except (OSError, ValueError):
        return None
    return (*_status(top), top.st_dev), names, infos, []  # type: ignore[return-value]


class Fingerprints:
    """Fingerprints of submitter folders from a manifest (checker.cache needs not walk them again): each entry's
    path under the folder and status. None for a folder holding a link (what it names may lie outside the folder,
    where this fingerprint would not see a change) or one that is not in the tree.
    """

    def __init__(self, manifest: Manifest) -> None:
        self.sorted = sorted(zip(manifest[1], manifest[2], strict=True), key=lambda item: item[0])
        self.names = [name for name, _ in self.sorted]
        self.memo: dict[str, str | None] = {}

    def __call__(self, folder: str) -> str | None:
        if folder not in self.memo:
            self.memo[folder] = self._make(folder)
        return self.memo[folder]

    def _make(self, folder: str) -> str | None:
        from bisect import bisect_left

        start = bisect_left(self.names, folder + os.sep)
        end = bisect_left(self.names, folder + chr(ord(os.sep) + 1))
        if start == end:
            return None
        cut = len(folder) + 1
        part = self.sorted[start:end]
        if any(stat.S_ISLNK(info.st_mode) for _, info in part):
            return None
        digest = hashlib.blake2b("\0".join(name[cut:] for name, _ in part).encode(errors="surrogateescape"))
        digest.update(_flat(info for _, info in part))  # five numbers each, in the order of the names
        return "manifest:" + digest.hexdigest()


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


def _lstat_all(names: list[str]) -> list[os.stat_result | None]:
    try:
        return list(map(os.lstat, names))  # the usual case: every entry is still there
    except OSError:
        pass
    found: list[os.stat_result | None] = []
    for name in names:
        try:
            found.append(os.lstat(name))
        except OSError:
            found.append(None)
    return found


def compare(root: str, packed: Any) -> tuple[bool, Manifest | None, bool]:
    """Whether every entry of a stored manifest still has its stored status (one ``lstat`` each, nothing listed);
    when not, this run's manifest, made from those ``lstat`` calls and a listing of the changed folders only, and
    whether the tree was walked for it.
    """
    top, joined, flat, extra = packed
    now = os.lstat(root)
    same_top = (*_status(now), now.st_dev) == tuple(top)
    if same_top and same_tree(joined, flat):  # the usual re-check, shared between processes; else see serially
        return _unchanged_tree(extra)
    names = joined.decode("utf-8", "surrogateescape").split("\0") if joined else []
    infos = _lstat_all(names)
    fresh = _flat(infos) if same_top and None not in infos else None
    if fresh == flat:
        return _unchanged_tree(extra)
    if fresh is not None and len(fresh) == len(flat):
        return False, _files_changed(root, (*_status(now), now.st_dev), names, infos, fresh, flat), True
    return False, take_manifest(root, _Known(names, flat, infos), same_top), True


def _unchanged_tree(extra: list[tuple[str, tuple[int, ...]]]) -> tuple[bool, None, bool]:
    """:func:`compare`'s answer for a tree as stored: a hit when the files outside it that the stored run depended
    on (a rule file, a plugin) are unchanged too; else a miss, and the caller walks the tree as usual.
    """
    try:
        same = all(_status(os.stat(path)) == tuple(status) for path, status in extra)
    except OSError:
        same = False
    return same, None, same


def _files_changed(
    root: str, top: tuple[int, ...], names: list[str], infos: list[Any], fresh: bytes, flat: bytes
) -> Manifest | None:
    """The manifest of this run when no folder changed (the usual fix: files edited in place): every folder holds
    the entries it held: the stored names with this run's status. A changed folder means listing again.
    """
    settled = time.time_ns() - SETTLE_NS
    size = 40  # five 8-byte numbers per entry
    inside = root + os.sep
    for index in range(len(names)):
        if fresh[index * size : index * size + size] == flat[index * size : index * size + size]:
            continue
        mode = infos[index].st_mode
        if stat.S_ISDIR(mode):
            return take_manifest(root, _Known(names, flat, infos), True)
        if stat.S_ISLNK(mode) and not os.path.realpath(names[index]).startswith(inside):
            return None
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            return None
        if infos[index].st_ctime_ns > settled:
            return None  # changed too recently for its times to show the next change
    return top, names, infos, []


class Stored:
    """A hit: the reports written before (``renders``: render key -> exit code and text) and the stored output
    (report and evidence), unpickled only when asked for.
    """

    def __init__(self, renders: dict[str, tuple[int, str]], pickled: memoryview) -> None:
        self.renders = renders
        self._pickled = pickled

    def output(self) -> Any:
        import pickle

        return pickle.loads(self._pickled)  # noqa: S301 - our own entry, checksummed


def _entry(key: str) -> str:
    return os.path.join(cache_root(), f"recheck-v{FORMAT}", key[:2], f"{key}.bin")


_PRIMED: dict[tuple[str, str], tuple[Stored | None, Manifest | None, bool]] = {}


def prime(key: str, root: str, found: tuple[Stored | None, Manifest | None, bool]) -> None:
    """What :func:`lookup` just found for ``key`` and ``root`` in this process (the program's served path, which
    then hands the run to the click command): the next lookup of the same returns it, once, without comparing again.
    """
    _PRIMED[(key, root)] = found


def lookup(key: str, root: str) -> tuple[Stored | None, Manifest | None, bool]:
    """The stored output of this key when the tree is unchanged. Else None, and when a good entry of an earlier
    state of the tree made it cheap, this run's manifest and True (None and True: the tree cannot be trusted now;
    do not walk it again). A damaged entry is removed.
    """
    primed = _PRIMED.pop((key, root), None)
    if primed is not None:
        return primed
    path = _entry(key)
    body = read_checked(path, _MAGIC, ENTRY_LIMIT)  # regular files only, non-blocking: a FIFO here cannot hang
    if body is None:
        return None, None, False
    if len(body) > 8:
        try:
            size = int.from_bytes(body[:8], "big")
            same, manifest, walked = compare(root, marshal.loads(body[8 : 8 + size]))
            if not same:
                return None, manifest, walked  # a good entry of an earlier state of the tree: replaced after the run
            at = 8 + size
            rendered = int.from_bytes(body[at : at + 8], "big")
            renders = marshal.loads(body[at + 8 : at + 8 + rendered])
            if not isinstance(renders, dict):
                raise ValueError("renders")
            return Stored(renders, body[at + 8 + rendered :]), None, True
        except Exception:  # noqa: BLE001 - any damage means: check again
            pass
    remove(path)
    return None, None, False


def store(key: str, manifest: Manifest, output: Any, renders: dict[str, tuple[int, str]]) -> None:
    """Write an entry atomically; a cache that cannot be written only costs time."""
    import pickle

    try:
        listed, written = _pack(manifest), marshal.dumps(renders)
        body = len(listed).to_bytes(8, "big") + listed + len(written).to_bytes(8, "big") + written
        body += pickle.dumps(output, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable value: the run goes on unstored
        return
    write_checked(_entry(key), _MAGIC, body)


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
