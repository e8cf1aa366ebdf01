"""Walk a training submission tree into typed folders; it reports what exists and never judges it.

Layout: ``SUBMITTER/{results,systems}``, ``results/<system>/<benchmark>/result_<k>.txt`` and
``systems/<system>.json``. The root may be one submitter folder or a folder of submitters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from checker.parsers.text import read_bytes_bounded

PARAMS_FILE = "package_checker_params"
PARAMS_CAP = 1 << 20
_RESULT = re.compile(r"^result_.*\.txt$")


@dataclass(frozen=True)
class Params:
    """Flags from a ``package_checker_params`` file.

    ``flags`` holds every stripped line; ``official`` only the lines the official tool honours
    (it compares raw lines, newline included, so only a last line without newline works).
    """

    path: Path
    flags: frozenset[str]
    official: frozenset[str]
    unreadable: str | None = None


@dataclass(frozen=True)
class BenchmarkDir:
    """``results/<system>/<benchmark>/``: the runs of one system on one benchmark."""

    submitter: str
    system: str
    name: str
    path: Path
    result_files: tuple[Path, ...]
    other_entries: tuple[str, ...]
    params: Params | None


@dataclass(frozen=True)
class SystemDir:
    """``results/<system>/`` with its description file ``systems/<system>.json`` (which may be missing)."""

    submitter: str
    name: str
    path: Path
    desc_path: Path
    benchmarks: tuple[BenchmarkDir, ...]
    params: Params | None


@dataclass(frozen=True)
class SubmitterDir:
    """One organisation's folder."""

    name: str
    path: Path
    systems: tuple[SystemDir, ...]
    system_jsons: tuple[Path, ...]
    has_results: bool
    has_systems: bool
    params: Params | None = None
    rel: str = ""  # the folder relative to the checked root, as findings name it

    @property
    def size(self) -> int:
        """How many benchmark folders (the units that get a score) the submitter holds."""
        return sum(len(s.benchmarks) for s in self.systems)


@dataclass(frozen=True)
class TrainingTree:
    """Everything found under the checked root."""

    root: Path
    submitters: tuple[SubmitterDir, ...] = field(default_factory=tuple)


def _is_submitter(path: Path) -> bool:
    return (path / "results").is_dir() or (path / "systems").is_dir()


def is_submitter(path: Path) -> bool:
    """Whether ``path`` is itself one submitter's folder (then findings name paths from inside it)."""
    return _is_submitter(Path(path))


def detect_training_tree(root: Path) -> bool:
    """True when ``root`` (or a child of it) has the training layout with at least one ``result_*.txt``."""
    root = Path(root)
    if not root.is_dir():
        return False
    candidates = [root] if _is_submitter(root) else [p for p in _subdirs(root) if _is_submitter(p)]
    for sub in candidates:
        if not (sub / "systems").is_dir():
            continue
        for system in _subdirs(sub / "results"):
            for bench in _subdirs(system):
                if any(_RESULT.match(p.name) and p.is_file() for p in bench.iterdir()):
                    return True
    return False


def discover(root: Path) -> TrainingTree:
    """All submitters under ``root``, sorted by name so that output order is stable."""
    root = Path(root)
    if _is_submitter(root):
        return TrainingTree(root, (discover_submitter(root, "."),))
    subs = tuple(discover_submitter(p, p.name) for p in _subdirs(root) if _is_submitter(p))
    return TrainingTree(root, subs)


def discover_submitter(path: Path, rel: str = "") -> SubmitterDir:
    results = path / "results"
    systems_dir = path / "systems"
    systems = tuple(_system(path.name, p, systems_dir) for p in _subdirs(results))
    jsons = tuple(sorted(p for p in systems_dir.glob("*.json") if p.is_file())) if systems_dir.is_dir() else ()
    return SubmitterDir(
        path.name,
        path,
        systems,
        jsons,
        results.is_dir(),
        systems_dir.is_dir(),
        read_params(path / PARAMS_FILE),
        rel or path.name,
    )


def _system(submitter: str, path: Path, systems_dir: Path) -> SystemDir:
    benches = tuple(_benchmark(submitter, path.name, p) for p in _subdirs(path))
    return SystemDir(
        submitter, path.name, path, systems_dir / f"{path.name}.json", benches, read_params(path / PARAMS_FILE)
    )


def _benchmark(submitter: str, system: str, path: Path) -> BenchmarkDir:
    results, others = [], []
    for entry in sorted(path.iterdir()):
        if _RESULT.match(entry.name) and entry.is_file():
            results.append(entry)
        elif entry.name != PARAMS_FILE:
            others.append(entry.name + ("/" if entry.is_dir() else ""))
    return BenchmarkDir(
        submitter,
        system,
        path.name,
        path,
        tuple(sorted(results, key=run_sort_key)),
        tuple(others),
        read_params(path / PARAMS_FILE),
    )


def read_params(path: Path) -> Params | None:
    """Parse a params file, or None when there is none."""
    if not path.is_file():
        return None
    raw_file = read_bytes_bounded(path, PARAMS_CAP)  # a few flag lines; a huge or swapped-in file is refused
    if not raw_file.ok:
        return Params(path, frozenset(), frozenset(), unreadable=raw_file.error)
    text = raw_file.data.decode("utf-8", errors="replace")
    raw = text.splitlines(keepends=True)
    flags = frozenset(line.strip() for line in raw if line.strip())
    official = frozenset(line for line in raw if not line.endswith(("\n", "\r")))
    return Params(path, flags, official)


def run_id(path: Path) -> str:
    """The run id is the text after the last ``_`` (``result_0_3.txt`` -> ``3``), as the official tools read it."""
    return path.stem.split("_")[-1]


def run_sort_key(path: Path) -> tuple[int, int | str, str]:
    rid = run_id(path)
    return (0, int(rid), path.name) if rid.isdigit() else (1, rid, path.name)


def _subdirs(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    try:
        return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
