"""Find the results in a submission tree, in the split (v4.1-v5.1) and merged (v6.0+) layouts.

Discovery only names things; it reads no file contents. A result is the tuple
(division, submitter, system, benchmark, scenario); every path a rule needs is derived here once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

DIVISIONS = ("closed", "open", "network")
IGNORED_TOP = frozenset({".git", ".github", "assets"})


class DiscoveryError(Exception):
    """The path given cannot be checked at all (exit code 2)."""


@dataclass(frozen=True)
class ResultUnit:
    """One result folder: ``results/<system>/<benchmark>/<scenario>``.

    Derived paths are cached: rules ask for them thousands of times on a whole round.
    """

    root: Path
    division: str
    submitter: str
    system: str
    benchmark: str
    scenario_dir: str
    layout: str

    @cached_property
    def submitter_dir(self) -> Path:
        return self.root.joinpath(self.division, self.submitter)

    @cached_property
    def result_dir(self) -> Path:
        return self.submitter_dir.joinpath("results", self.system, self.benchmark, self.scenario_dir)

    @cached_property
    def measurements_dir(self) -> Path:
        if self.layout == "merged":
            return self.result_dir
        return self.submitter_dir.joinpath("measurements", self.system, self.benchmark, self.scenario_dir)

    @cached_property
    def compliance_dir(self) -> Path:
        if self.layout == "merged":
            return self.result_dir
        return self.submitter_dir.joinpath("compliance", self.system, self.benchmark, self.scenario_dir)

    @cached_property
    def system_json(self) -> Path:
        return self.submitter_dir.joinpath("systems", f"{self.system}.json")

    @cached_property
    def rel(self) -> str:
        """The result's path relative to the checked root, used as its identity in reports."""
        return f"{self.division}/{self.submitter}/results/{self.system}/{self.benchmark}/{self.scenario_dir}"


@dataclass
class SubmitterUnit:
    """One ``<division>/<submitter>`` folder and everything found under it."""

    root: Path
    division: str
    submitter: str
    layout: str
    shown_layout: str | None = None  # what the folder itself shows (split, merged, mixed), None when nothing
    systems: list[str] = field(default_factory=list)
    system_jsons: list[str] = field(default_factory=list)
    results: list[ResultUnit] = field(default_factory=list)

    @cached_property
    def path(self) -> Path:
        return self.root.joinpath(self.division, self.submitter)

    @property
    def rel(self) -> str:
        return f"{self.division}/{self.submitter}"


@dataclass
class Tree:
    """What a check run covers: the root, the submitters in it and any stray entries at the top."""

    root: Path
    submitters: list[SubmitterUnit] = field(default_factory=list)
    stray_root_entries: list[str] = field(default_factory=list)
    stray_division_files: list[str] = field(default_factory=list)
    unknown_divisions: list[str] = field(default_factory=list)

    @property
    def results(self) -> list[ResultUnit]:
        return [r for s in self.submitters for r in s.results]


# The errors pathlib's is_file/is_dir answer False to (pathlib._IGNORED_ERRNOS); any other error it raises.
PATHLIB_IGNORED = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def _probe(path: str, kind: Callable[[int], bool] | None, asked: str) -> bool:
    """``Path(path).<asked>()`` without building a Path for the usual answer; a failing ``stat`` is asked again of
    pathlib, so that an error pathlib raises (permission denied) is raised as before, and one it hides is hidden.
    ``kind`` tests the mode (None: any entry).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return False if exc.errno in PATHLIB_IGNORED else bool(getattr(Path(path), asked)())
    except ValueError:  # a NUL byte in the name: pathlib's answer too
        return False
    return kind(mode) if kind is not None else True


def is_file(path: str) -> bool:
    """``Path(path).is_file()`` on a string path (see :func:`_probe`)."""
    return _probe(path, stat.S_ISREG, "is_file")


def is_dir(path: str) -> bool:
    """``Path(path).is_dir()`` on a string path (see :func:`_probe`)."""
    return _probe(path, stat.S_ISDIR, "is_dir")


def exists(path: str) -> bool:
    """``Path(path).exists()`` on a string path (see :func:`_probe`)."""
    return _probe(path, None, "exists")
    return True


def _subdirs(path: str | Path) -> list[str]:
    try:
        with os.scandir(path) as entries:
            return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def _files(path: Path) -> list[str]:
    try:
        with os.scandir(path) as entries:
            return sorted(e.name for e in entries if not e.is_dir())
    except OSError:
        return []


def locate_root(path: Path) -> tuple[Path, str | None, str | None]:
    """Accept a results root, a division folder or a submitter folder; return (root, division, submitter)."""
    if not path.is_dir():
        raise DiscoveryError(f"{path} is not a readable folder")
    if any((path / d).is_dir() for d in DIVISIONS):
        return path, None, None
    if path.name in DIVISIONS:
        return path.parent, path.name, None
    if (path / "results").is_dir() and path.parent.name in DIVISIONS:
        return path.parent.parent, path.parent.name, path.name
    raise DiscoveryError(
        f"{path} holds no closed/, open/ or network/ folder and is not a <division>/<submitter> folder"
    )


LAYOUTS = ("split", "merged")


def allowed_layouts(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The layouts a round accepts: its rule file names one (``layout: split``) or several (``[split, merged]``)."""
    return (value,) if isinstance(value, str) else tuple(value)


def shown_layout(submitter_dir: Path, scenario_dirs: Sequence[str | Path]) -> str | None:
    """The layout the folder itself shows: ``split``, ``merged``, ``mixed``, or None when it shows neither.

    Split keeps ``measurements/`` or ``compliance/`` beside ``results/``; merged keeps ``measurements.json`` in
    each scenario folder. One stat per result at most, stopping at the first merged one.
    """
    split = (submitter_dir / "measurements").is_dir() or (submitter_dir / "compliance").is_dir()
    merged = any(os.path.isfile(os.path.join(folder, "measurements.json")) for folder in scenario_dirs)
    if split and merged:
        return "mixed"
    return "split" if split else "merged" if merged else None


def discover(path: Path, default_layout: str | list[str], only_submitter: str | None = None) -> Tree:
    """Walk the tree down to scenario folders; nothing below them is listed here."""
    root, only_division, path_submitter = locate_root(path)
    only_submitter = only_submitter or path_submitter
    tree = top_level(root, only_division)
    divisions = [only_division] if only_division else [d for d in DIVISIONS if (root / d).is_dir()]
    for division in divisions:
        for submitter in _subdirs(root / division):
            if only_submitter and submitter != only_submitter:
                continue
            tree.submitters.append(discover_submitter(root, division, submitter, default_layout))
    if only_submitter and not tree.submitters:
        raise DiscoveryError(f"no submitter folder named {only_submitter!r} under {root}")
    return tree


def top_level(root: Path, only_division: str | None = None) -> Tree:
    """The top of the tree (unknown folders, stray files at the root and in divisions), no submitter walked."""
    tree = Tree(root)
    if only_division is None:
        tree.unknown_divisions = [n for n in _subdirs(root) if n not in DIVISIONS and n not in IGNORED_TOP]
        tree.stray_root_entries = [f for f in _files(root) if not f.lower().endswith((".md", ".pdf"))]
    divisions = [only_division] if only_division else [d for d in DIVISIONS if (root / d).is_dir()]
    for division in divisions:
        tree.stray_division_files += [f"{division}/{f}" for f in _files(root / division)]
    return tree


def discover_submitter(root: Path, division: str, submitter: str, default_layout: str | list[str]) -> SubmitterUnit:
    """One ``<division>/<submitter>`` folder down to its scenario folders, read in the layout the folder shows.

    A folder in a layout the round does not allow is still read in its own layout, so that the one ST019
    finding says what is wrong instead of every file being reported missing where the round's layout puts it.
    """
    sub_dir = root / division / submitter
    unit = SubmitterUnit(root, division, submitter, allowed_layouts(default_layout)[0])
    unit.systems = _subdirs(sub_dir / "results")
    unit.system_jsons = [f[: -len(".json")] for f in _files(sub_dir / "systems") if f.endswith(".json")]
    found: list[tuple[str, str, str]] = []
    for system in unit.systems:
        for benchmark in _subdirs(f"{sub_dir}/results/{system}"):
            found += [(system, benchmark, scenario) for scenario in _subdirs(f"{sub_dir}/results/{system}/{benchmark}")]
    unit.shown_layout = shown_layout(sub_dir, [f"{sub_dir}/results/{s}/{b}/{c}" for s, b, c in found])
    if unit.shown_layout in LAYOUTS:
        unit.layout = unit.shown_layout
    unit.results = [ResultUnit(root, division, submitter, *names, unit.layout) for names in found]
    return unit
