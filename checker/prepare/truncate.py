r"""Accuracy-log truncation exactly as the round's official ``truncate_accuracy_log.py`` does it.

The official rule (v4.1 to v6.x): an ``mlperf_log_accuracy.json`` whose ``accuracy.txt`` has no
``hash=`` line, or that is 10240 bytes or more, gets the SHA-256 of the whole log appended to
``accuracy.txt`` and is cut to its first and last 4096 bytes around ``\n\n...\n\n`` (a log under
4096 bytes is kept whole). Which logs (the result's own, which audits, which divisions) and the
exact ``hash=`` line are the round's, in ``rules/inference/<round>.yaml`` under ``prepare.truncation``.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.discovery import Tree
from checker.prepare.copy import PrepareError, linked
from checker.rounds import Round

LOG_NAME = "mlperf_log_accuracy.json"
TXT_NAME = "accuracy.txt"
ELLIPSIS = b"\n\n...\n\n"
HASH_LINE = re.compile(r"^hash=([\w\d]+)$")  # the official tool's own test for "already has a hash"


@dataclass(frozen=True)
class Truncation:
    """One log to truncate (paths relative to the tree root); ``fresh``: accuracy.txt is written anew."""

    log: str
    txt: str
    fresh: bool
    size: int


def settings(rules: Round) -> dict[str, Any]:
    """The round's truncation settings with the size limit the checker itself uses (AC005, RH004)."""
    found = dict(rules.get("prepare", {}).get("truncation", {}))
    found["limit"] = int(rules.get("max_truncated_accuracy_log_bytes", 10240))
    return found


def truncated(head: bytes, tail: bytes, size: int, keep: int) -> bytes | None:
    """The kept bytes of a ``size``-byte log from its first and last ``keep`` bytes; None: kept whole."""
    if size < keep:
        return None
    return head + ELLIPSIS + tail


def has_hash(txt: Path) -> bool:
    """accuracy.txt has a line the official tool takes for a hash (it reads the file as UTF-8)."""
    try:
        text = txt.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(HASH_LINE.match(line) for line in text.splitlines(keepends=True))


def _regular(path: Path) -> os.stat_result | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def plan(tree: Tree, rules: Round, notes: list[tuple[str, str]]) -> list[Truncation]:
    """The logs of ``tree`` the round's official tool would truncate (read only); ``notes`` gets the skipped ones.

    Walked as the official tool walks them, folder by folder: ``results/<system>/<model>/<scenario>/accuracy``,
    and the audits' ``<TEST>/accuracy`` under ``compliance/`` (split layout) or the scenario folder (merged),
    whether or not a result folder matches them.
    """
    conf = settings(rules)
    if not conf.get("hash_line"):
        return []
    found: list[Truncation] = []
    for submitter in tree.submitters:
        places: list[tuple[Path, str | None]] = []
        for scenario in _scenarios(submitter.path / "results"):
            if _folders(scenario):  # the official walk looks only below scenario folders that hold folders
                places.append((scenario / "accuracy", None))
        if submitter.division in conf.get("audit_divisions", []):
            audits = submitter.path / ("results" if submitter.layout == "merged" else "compliance")
            tests = conf.get("audit_tests", [])
            for scenario in _scenarios(audits):
                places += [(scenario / t / "accuracy", t) for t in tests if (scenario / t).is_dir()]
        for folder, test in places:
            item = _one(tree.root, folder, test, conf, notes)
            if item is not None:
                found.append(item)
    return found


def _folders(path: Path) -> list[Path]:
    """Sub-folders in name order (links not followed: RH006/RH009 judge them)."""
    try:
        return sorted(p for p in path.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []


def _scenarios(base: Path) -> list[Path]:
    """``base/<system>/<model>/<scenario>`` folders."""
    return [scenario for system in _folders(base) for model in _folders(system) for scenario in _folders(model)]


def _one(
    root: Path, folder: Path, test: str | None, conf: dict[str, Any], notes: list[tuple[str, str]]
) -> Truncation | None:
    info = _regular(folder / LOG_NAME)
    if info is None:
        return None
    txt = folder / TXT_NAME
    fresh = test is not None and test in conf.get("fresh_hash_tests", [])
    rel_log, rel_txt = str((folder / LOG_NAME).relative_to(root)), str(txt.relative_to(root))
    if linked(root, folder):
        notes.append((rel_log, "a folder on its path is a link: never written through (RH006/RH009)"))
        return None
    if test is None and _regular(txt) is None:
        notes.append((rel_log, "no accuracy.txt beside it to hold the hash (the official tool skips it too)"))
        return None
    if _regular(txt) is None and (txt.exists() or txt.is_symlink()):
        notes.append((rel_log, "accuracy.txt is a link or not a file: never written through (RH006/RH009)"))
        return None
    if not fresh and _regular(txt) is not None and has_hash(txt) and info.st_size < conf["limit"]:
        return None
    return Truncation(rel_log, rel_txt, fresh, info.st_size)


def describe(item: Truncation, rules: Round) -> str:
    conf = settings(rules)
    keep = conf["keep_bytes"]
    kept = f"first and last {keep} bytes kept" if item.size >= keep else f"under {keep} bytes: kept whole"
    return f"{item.size} bytes; sha256 of the full log appended to {item.txt.rsplit('/', 1)[-1]}, {kept}"


def apply(root: Path, item: Truncation, rules: Round) -> str:
    """Hash, record and truncate one log under ``root`` (streamed: a log may be gigabytes); the digest."""
    conf = settings(rules)
    keep = int(conf["keep_bytes"])
    path, txt = root / item.log, root / item.txt
    if linked(root, path.parent):  # planned on SRC, where it was not a link; never follow one out of OUT
        raise PrepareError(f"{path.parent} is reached through a link; prepare never writes through one")
    digest = hashlib.sha256()
    with open(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
        fh.seek(0)
        head = fh.read(keep)
        fh.seek(max(size - keep, 0))
        tail = fh.read(keep)
    hexdigest = digest.hexdigest()
    if item.fresh:
        _write(txt, conf["fresh_hash_line"].replace("{hash}", hexdigest).encode("utf-8"), os.O_TRUNC)
    else:
        line = conf["hash_line"].replace("{hash}", hexdigest)
        if not line.startswith("\n") and _ends_mid_line(txt):
            line = "\n" + line  # the official tool would glue the hash to the last line, where no one finds it
        _write(txt, line.encode("utf-8"), os.O_APPEND)
    kept = truncated(head, tail, size, keep)
    if kept is not None:
        _write(path, kept, os.O_TRUNC)
    return hexdigest


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write without following a link: a link copied into OUT may point back into SRC."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _ends_mid_line(txt: Path) -> bool:
    try:
        with open(txt, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() == 0:
                return False
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) != b"\n"
    except OSError:
        return False
