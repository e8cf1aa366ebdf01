"""A cache of checked submitters, so that re-checking a round after one fix re-reads only what changed.

A submitter's findings and result records are stored under a key made of everything they depend on: the
checker's own code and bundled rule data, the round's rules, the selection and options of the run, the
submitter's discovered units, and a fingerprint of every entry under the submitter folder: its relative path,
type, mode, size, inode, modification time and status-change time. Any write to a file, even one that keeps its
size and sets its modification time back (``touch -r``), moves its status-change time, which no user can set;
so nothing needs to be read to know a file is unchanged, where hashing its first and last blocks (the usual
recipe) would miss an edit in the middle.

The cache lives outside the checked tree (``$SUBCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/subcheck``, else
``~/.cache/subcheck``). It is never trusted blindly: an entry whose checksum does not match, or that cannot be
read, is deleted and the submitter is checked again. A symbolic link counts by what it names and the status of
what it resolves to; a submitter linking to a folder outside itself is never cached (a change there would not
be seen), nor one whose walk fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from checker.entries import cache_root, read_checked, remove, write_checked

FORMAT = 1  # bump when what is stored changes shape
ENTRY_LIMIT = 1 << 30  # far above the findings of any submitter
_MAGIC = b"subcheck-cache\n"


def cache_dir() -> Path:
    """Where entries are kept: never inside the checked tree (:func:`checker.entries.cache_root`)."""
    return Path(cache_root())


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The checker's modules and bundled rules and schemas (path, size, time), and the libraries that judge."""
    from importlib import metadata

    digest = hashlib.blake2b(digest_size=20)
    package = Path(__file__).resolve().parent
    from checker.ruleset import data_dir

    for base in (package, data_dir("rules"), data_dir("schemas")):
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")  # compiled copies of the same code
            for name in sorted(files):
                info = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode(errors="surrogateescape"))
    for library in ("jsonschema", "orjson", "PyYAML"):
        try:
            digest.update(f"{library}={metadata.version(library)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=?\n".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def tree_fingerprint(folder: Path) -> str | None:
    """Every entry under ``folder``, or None when it cannot be fingerprinted safely (a link, a failed read)."""
    digest = hashlib.blake2b(digest_size=20)
    prefix = len(str(folder)) + 1
    inside = os.path.realpath(folder) + os.sep
    stack = [str(folder)]
    try:
        while stack:
            current = stack.pop()
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
            digest.update(f"D {current[prefix:]} {len(entries)}\n".encode(errors="surrogateescape"))
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    link = _link(entry.path, inside)
                    if link is None:
                        return None
                    digest.update(f"L {entry.path[prefix:]} {link}\n".encode(errors="surrogateescape"))
                    continue
                if stat.S_ISDIR(info.st_mode):
                    stack.append(entry.path)
                    continue
                times = f"{info.st_mtime_ns} {info.st_ctime_ns}"
                digest.update(
                    f"F {entry.path[prefix:]} {info.st_mode} {info.st_size} {info.st_ino} {times}\n".encode(
                        errors="surrogateescape"
                    )
                )
    except OSError:
        return None
    return digest.hexdigest()


def _link(path: str, inside: str) -> str | None:
    """A symbolic link as what it names and the status of what it resolves to; None for a folder outside the
    submitter (its content is not walked here, so a change there could not be seen).
    """
    target = os.readlink(path)
    try:
        info = os.stat(path)
    except OSError:
        return f"{target} broken"
    if stat.S_ISDIR(info.st_mode):
        return f"{target} folder" if os.path.realpath(path).startswith(inside) else None
    return f"{target} {info.st_mode} {info.st_size} {info.st_ino} {info.st_mtime_ns} {info.st_ctime_ns}"


def job_key(job: Any, rules_data: dict[str, Any]) -> str | None:
    """The key of one submitter's check, or None when it must not be cached."""
    folder = getattr(job.unit, "path", None)
    fingerprint = job.tree or (tree_fingerprint(Path(folder)) if folder is not None else None)
    if fingerprint is None:
        return None
    focus = job.focus
    material = {
        "format": FORMAT,
        "code": code_fingerprint(),
        "suite": job.suite,
        "version": job.version,
        "rules": hashlib.blake2b(json.dumps(rules_data, sort_keys=True, default=str).encode()).hexdigest(),
        "selection": [list(job.selection.select), list(job.selection.ignore)],
        "options": asdict(job.options),
        "focus": [sorted(focus.results) if focus.results is not None else None, focus.systems],
        "unit": repr(job.unit),
        "tree": fingerprint,
    }
    return hashlib.blake2b(json.dumps(material, sort_keys=True, default=str).encode(), digest_size=24).hexdigest()


def _entry(key: str) -> Path:
    return cache_dir() / f"v{FORMAT}" / key[:2] / f"{key}.pickle"


def load(key: str) -> Any | None:
    """A stored output whose checksum matches, else None (a damaged entry is removed)."""
    path = _entry(key)
    body = read_checked(path, _MAGIC, ENTRY_LIMIT)  # non-blocking, regular files only: nothing here can hang a run
    if body is None:
        return None
    import pickle  # here: ``ci`` needs cache_dir() only, not the entries

    try:
        return pickle.loads(body)  # noqa: S301 - our own entry in the user's cache, checksum verified
    except Exception:  # noqa: BLE001 - any damage means: check again
        remove(path)
        return None


def store(key: str, output: Any) -> None:
    """Write an entry atomically; a cache that cannot be written only costs time."""
    import pickle

    try:
        body = pickle.dumps(output, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable value: the run goes on uncached
        return
    write_checked(_entry(key), _MAGIC, body)


def through_cache(job: Any, rules_data: dict[str, Any], compute: Callable[[], Any]) -> Any:
    """The cached output of ``job`` when its key is stored, else ``compute()`` (stored for next time)."""
    try:
        key = job_key(job, rules_data)
    except OSError:  # the checker's own files could not be listed: check without the cache
        key = None
    if key is None:
        return compute()
    cached = load(key)
    if cached is not None:
        return cached
    output = compute()
    store(key, output)
    return output
