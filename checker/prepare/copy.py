"""Where prepare may write (never inside SRC, only into an empty OUT) and the copy of SRC into OUT."""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
from pathlib import Path

from checker.prepare.log import ActionLog

SKIPPED_TOP = frozenset({".git"})  # a results repository's history is not part of the submission


class PrepareError(Exception):
    """Prepare cannot run or cannot finish writing (exit 2, with a one-line message)."""


def check_paths(src: Path, out: Path) -> tuple[Path, Path]:
    """SRC a readable folder; OUT absent or an empty folder, and neither SRC itself nor anywhere inside it."""
    try:
        src = src.expanduser().resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise PrepareError(f"{src} cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    if not src.is_dir():
        raise PrepareError(f"{src} is not a folder; give the submission tree to prepare")
    out = out.expanduser().resolve()
    if out == src or out.is_relative_to(src):
        raise PrepareError(f"--output {out} is inside {src}; prepare never writes into the tree it reads")
    if src.is_relative_to(out):
        raise PrepareError(f"--output {out} holds {src}; choose a new, empty folder")
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise PrepareError(f"--output {out} exists and is not a folder; choose a new, empty folder")
        try:
            if any(out.iterdir()):
                raise PrepareError(f"--output {out} is not empty; choose a new, empty folder")
        except OSError as exc:
            raise PrepareError(f"--output {out} cannot be read: {exc.strerror or exc}") from None
    return src, out


def linked(root: Path, folder: Path) -> bool:
    """Some folder from ``root`` down to ``folder`` is a link: a write below it could land outside OUT, in SRC."""
    here = root
    for part in folder.relative_to(root).parts:
        here = here / part
        if here.is_symlink():
            return True
    return False


def check_pack_dir(src: Path, out: Path, pack_dir: Path) -> Path:
    """``--pack-dir`` (resolved) neither inside SRC, which is never written, nor inside OUT, which is what is packed."""
    dest = pack_dir.expanduser().resolve()
    for tree, why in ((src, "prepare never writes into the tree it reads"), (out, "the tarball would pack itself")):
        if dest == tree or dest.is_relative_to(tree):
            raise PrepareError(f"--pack-dir {dest} is inside {tree}; {why}")
    return dest


def copy_tree(src: Path, out: Path, skip: set[str], log: ActionLog) -> None:
    """Copy SRC into OUT, leaving out the relative paths in ``skip`` (and the folders they empty).

    Links are copied as links (RH006/RH009 judge them; following one could copy /dev/zero); FIFOs,
    sockets and devices are never opened. An OSError (no space, quota, file too large) propagates.
    """
    out.mkdir(parents=True, exist_ok=True)
    _copy_dir(src, out, "", skip, log)


def _copy_dir(src: Path, dst: Path, rel: str, skip: set[str], log: ActionLog) -> bool:
    """Copy one folder's entries in name order; False when nothing was copied into ``dst``."""
    copied = False
    with os.scandir(src) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    for entry in entries:
        child = f"{rel}/{entry.name}" if rel else entry.name
        if child in skip or (not rel and entry.name in SKIPPED_TOP):
            continue
        mode = entry.stat(follow_symlinks=False).st_mode
        target = dst / entry.name
        if stat.S_ISLNK(mode):
            os.symlink(os.readlink(entry.path), target)
        elif stat.S_ISDIR(mode):
            target.mkdir()
            if not _copy_dir(Path(entry.path), target, child, skip, log) and _emptied(Path(entry.path), child, skip):
                target.rmdir()
                log.add("remove", child, "folder left empty by what was removed from it")
                continue
        elif stat.S_ISREG(mode):
            shutil.copy2(entry.path, target, follow_symlinks=False)
        else:
            log.add("skip", child, "not a regular file, folder or link (FIFO, socket or device): never read")
            continue
        copied = True
    return copied


def _emptied(folder: Path, rel: str, skip: set[str]) -> bool:
    """A folder is empty in OUT because of ``skip`` (an empty folder of SRC is copied as it is)."""
    prefix = rel + "/"
    return any(s.startswith(prefix) for s in skip)


def prune(out: Path, rel: str, log: ActionLog) -> None:
    """Remove ``rel`` and its parents while they are empty, down to ``<division>/<submitter>/<results>``."""
    while (
        rel.count("/") >= 3 and not linked(out, out / rel) and (out / rel).is_dir() and not any((out / rel).iterdir())
    ):
        (out / rel).rmdir()
        log.add("remove", rel, "folder left empty by what was removed from it")
        rel = posixpath.dirname(rel)
