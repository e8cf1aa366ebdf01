"""Finding MLPerf Endpoints submissions: ``<org>/<submission_id>/results/<system>/<model>/r<N>/``.

A *submission* (``<submission_id>/``, the folder holding ``results/``) is the suite's submitter unit; a *curve*
(``results/<system>/<model>/``, one system, one benchmark model) is its result unit, and its ``r<N>`` folders
are the measurement points. Discovery only lists folders; it opens no file.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path

from checker.discovery import DiscoveryError

POINT_DIR = re.compile(r"^r(0|[1-9]\d*)$")  # r016 is not r16: the folder name is r<concurrency> (§1)


@dataclass(frozen=True)
class Curve:
    """``results/<system>/<model>/``: its point folders (by concurrency) and any other folders in it."""

    path: Path
    system: str
    model: str
    points: tuple[tuple[int, Path], ...]
    strays: tuple[str, ...]


@dataclass(frozen=True)
class SystemDir:
    path: Path
    name: str
    curves: tuple[Curve, ...]


@dataclass(frozen=True)
class Submission:
    """``<org>/<submission_id>/``; ``rel`` is its path from the checked root ("." when it is the root)."""

    path: Path
    rel: str
    org: str
    systems: tuple[SystemDir, ...]
    root: Path  # the checked root the ``rel`` paths start from

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return sum(len(c.points) for s in self.systems for c in s.curves) or 1


@dataclass(frozen=True)
class EndpointsTree:
    root: Path
    submitters: tuple[Submission, ...]


def _dirs(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def _curve(path: Path, system: str) -> Curve:
    points: list[tuple[int, Path]] = []
    strays: list[str] = []
    for child in _dirs(path):
        match = POINT_DIR.match(child.name)
        if match:
            points.append((int(match.group(1)), child))
        else:
            strays.append(child.name)
    return Curve(path, system, path.name, tuple(sorted(points)), tuple(strays))


def _submission(path: Path, root: Path) -> Submission:
    systems = tuple(SystemDir(s, s.name, tuple(_curve(m, s.name) for m in _dirs(s))) for s in _dirs(path / "results"))
    rel = "." if path == root else path.relative_to(root).as_posix()
    org = path.parent.name if path != root else path.parent.name or path.name
    return Submission(path, rel, org, systems, root)


def is_submission(path: Path) -> bool:
    """A folder with ``results/<system>/<model>/r<N>/`` below it."""
    results = path / "results"
    if not results.is_dir():
        return False
    return any(POINT_DIR.match(p) for s in _subdirs(str(results)) for m in _subdirs(s) for p in _names(m))


def _names(path: str) -> list[str]:
    """The names of ``path``'s visible subfolders, as :func:`_dirs` finds them, without a ``stat`` per entry (an
    inference tree, asked whether it is an Endpoints one, has a thousand scenario folders to look through).
    """
    names: list[str] = []
    try:
        with os.scandir(path) as listing:
            for entry in listing:
                if entry.name.startswith(".") or not _is_dir(entry):
                    continue
                if not names:  # a folder listed but not searchable: pathlib's stat fails here, and so no folder
                    os.stat(entry.path)
                names.append(entry.name)
    except OSError:
        return []
    return names


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """``Path.is_dir`` on a listed entry: a dangling link or a link loop is no folder; other errors raise."""
    try:
        return entry.is_dir()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            return False
        raise


def _subdirs(path: str) -> list[str]:
    return [os.path.join(path, name) for name in _names(path)]


def find_submissions(root: Path) -> list[Path]:
    """The submission folders at ``root``, one level down (an org) or two (a folder of orgs)."""
    if is_submission(root):
        return [root]
    found = [p for p in _dirs(root) if is_submission(p)]
    if found:
        return found
    return [s for org in _dirs(root) for s in _dirs(org) if is_submission(s)]


def detect_endpoints_tree(path: Path) -> bool:
    """Whether ``path`` holds an Endpoints submission (used by ``check``'s suite auto-detection)."""
    return path.is_dir() and bool(find_submissions(path))


def discover(root: Path, only_submitter: str | None = None) -> EndpointsTree:
    if not root.is_dir():
        raise DiscoveryError(f"{root} is not a readable folder")
    root = Path(os.path.abspath(root))
    subs = [_submission(p, root) for p in find_submissions(root)]
    if only_submitter is not None:
        chosen = [s for s in subs if only_submitter in (s.name, s.org, s.rel)]
        if not chosen:
            known = ", ".join(s.rel for s in subs) or "none"
            raise DiscoveryError(f"no submission named {only_submitter!r} under {root} (found: {known})")
        subs = chosen
    if not subs:
        raise DiscoveryError(
            f"{root} holds no MLPerf Endpoints submission (<submission_id>/results/<system>/<model>/r<N>/); "
            "point subcheck at an organisation folder or a submission folder"
        )
    return EndpointsTree(root, tuple(subs))
