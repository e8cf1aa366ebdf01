"""Per-unit contexts handed to rules: each file is parsed at most once, on first use.

Parsing is separate from judging: a context only reads and caches, the rules decide.
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from checker.discovery import ResultUnit, SubmitterUnit, Tree, is_dir, is_file
from checker.numbers import as_float, as_int  # noqa: F401  (the one converter; rules import them from here)
from checker.options import RunOptions
from checker.parsers.accuracy import AccuracyFile, parse_accuracy_file
from checker.parsers.conf import ConfFile, parse_conf
from checker.parsers.jsonfile import JSON_LIMIT, JsonDoc, parse_json_file
from checker.parsers.memo import forget_parsed_files, per_run
from checker.parsers.mllog import DetailLog, parse_detail_log
from checker.parsers.summary import SummaryLog, parse_summary_log
from checker.parsers.text import limit_for
from checker.rounds import Round
from checker.scope import ContextBase


@per_run(maxsize=256)
def load_json(path: Path, limit: int = JSON_LIMIT) -> JsonDoc:
    """System descriptions are shared by many results; parse each once per run."""
    return parse_json_file(path, limit)


def clear_caches() -> None:
    """Forget parsed shared files (for long-lived processes and tests that check a tree again after edits)."""
    forget_parsed_files()


@per_run(maxsize=64)
def load_model_mapping(path: Path) -> dict[str, str]:
    doc = parse_json_file(path)
    if not doc.ok or doc.data is None:
        return {}
    return {str(k): str(v) for k, v in doc.data.items() if isinstance(v, str)}


class BaseContext(ContextBase):
    """What every inference scope shares: the round, the run options and the relative naming of files."""

    def __init__(self, rules: Round, root: Path, options: RunOptions | None = None) -> None:
        self.rules = rules
        self.root = root
        self.options = options or RunOptions()

    def limit(self, kind: str) -> int:
        """The round's byte cap for one kind of evidence (``limits:`` in the rule file)."""
        return limit_for(self.rules, kind)


class TreeContext(BaseContext):
    def __init__(self, rules: Round, tree: Tree, options: RunOptions | None = None) -> None:
        super().__init__(rules, tree.root, options)
        self.tree = tree


class Entry(NamedTuple):
    """One file or folder met while walking a submitter tree (paths relative to the checked root).

    A named tuple, not a dataclass: a whole round's walk makes about 50,000 of them.
    """

    rel: str
    name: str
    is_dir: bool
    size: int | None = None  # None for a broken symbolic link
    link_target: str | None = None
    empty: bool = False
    mode: int | None = None  # st_mode of what the entry resolves to (files), from the walk's one stat
    is_link: bool = False  # a symbolic link (from the directory listing, no extra system call)
    below: tuple[str, ...] = ()  # the path's parts below ``<division>/<submitter>``


class Walk(NamedTuple):
    """A submitter's one walk: its entries, and the folders the walk itself proved listable and searchable."""

    entries: list[Entry]
    usable_folders: frozenset[str]


# (root, submitter path) -> a walk this run already took, by the same function (``subcheck ci``'s proof that the work
# tree holds head walks the touched submitters): the checks that follow read it instead of walking again
TAKEN_WALKS: dict[tuple[str, str], Walk] = {}


class SubmitterContext(BaseContext):
    def __init__(self, rules: Round, unit: SubmitterUnit, options: RunOptions | None = None) -> None:
        super().__init__(rules, unit.root, options)
        self.unit = unit

    @property
    def path(self) -> Path:
        return self.unit.path

    @property
    def entries(self) -> list[Entry]:
        """Every entry under the submitter, walked once with ``os.scandir`` for all tree-shape rules."""
        return self.walk.entries

    @cached_property
    def walk(self) -> Walk:
        root, top = str(self.root), str(self.path)
        return TAKEN_WALKS.get((root, top)) or walk_submitter(root, top)

    def under(self, top: str) -> list[Entry]:
        """The walk's entries in one top-level folder (``results``), the folder itself included, in walk order."""
        return self._by_top.get(top, [])

    @cached_property
    def top_entries(self) -> list[Entry]:
        """The walk's entries directly in the submitter folder, in walk order."""
        return [entry for entry in self.entries if len(entry.below) == 1]

    @cached_property
    def _by_top(self) -> dict[str, list[Entry]]:
        grouped: dict[str, list[Entry]] = {}
        for entry in self.entries:
            top = entry.below[0]
            group = grouped.get(top)
            if group is None:
                group = grouped[top] = []
            group.append(entry)
        return grouped


def walk_submitter(root: str, top: str) -> Walk:
    """Every entry under ``top``: one ``scandir`` per folder, one ``stat`` per file, none per folder.

    A folder is *usable* (what ST017 would otherwise ask the kernel with a ``stat`` and an ``access``) when the
    walk listed it and reached through it: a file in it was ``stat``-ed or a subfolder in it listed. Symbolic
    links are never followed into, so a link loop costs one failed ``stat``.
    """
    found: list[Entry] = []
    add = found.append
    make = tuple.__new__  # Entry's own __new__ is a Python function; this walk makes one per file and folder
    listed: set[str] = set()
    searched: set[str] = set()
    prefix = len(root) + 1
    stack: list[tuple[str, tuple[str, ...], str | None]] = [(top, (), None)]
    while stack:
        folder, below, parent = stack.pop()
        try:
            with os.scandir(folder) as listing:
                items = list(listing)
        except OSError:
            continue
        rel_folder = folder[prefix:]
        listed.add(rel_folder)
        if parent is not None:
            searched.add(parent)
        if not items and below:
            add(make(Entry, (rel_folder, below[-1], True, None, None, True, None, False, below)))
        reached = False
        for item in items:
            name = item.name
            path = item.path
            rel = path[prefix:]
            here = (*below, name)
            if item.is_dir(follow_symlinks=False):
                add(make(Entry, (rel, name, True, None, None, False, None, False, here)))
                stack.append((path, here, rel_folder))
                continue
            try:
                info = item.stat()
            except OSError:
                add(make(Entry, (rel, name, False, None, _readlink(path), False, None, item.is_symlink(), here)))
                continue
            reached = True
            add(make(Entry, (rel, name, False, info.st_size, None, False, info.st_mode, item.is_symlink(), here)))
        if reached:
            searched.add(rel_folder)
    return Walk(found, frozenset(listed & searched))


class SystemContext(BaseContext):
    """One ``systems/<system>.json`` with the results that depend on it."""

    def __init__(self, rules: Round, unit: SubmitterUnit, system: str, options: RunOptions | None = None) -> None:
        super().__init__(rules, unit.root, options)
        self.submitter = unit
        self.system = system

    @cached_property
    def json_path(self) -> Path:
        return self.submitter.path.joinpath("systems", f"{self.system}.json")

    @property
    def has_results(self) -> bool:
        return self.system in self.submitter.systems

    @cached_property
    def doc(self) -> JsonDoc:
        return load_json(self.json_path, self.limit("system_json"))

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data or {}

    @property
    def unit_id(self) -> str:
        return f"{self.submitter.rel}/systems/{self.system}"


class ResultContext(BaseContext):
    """One result folder and every parsed artefact a rule may ask for."""

    def __init__(self, rules: Round, unit: ResultUnit, options: RunOptions | None = None) -> None:
        super().__init__(rules, unit.root, options)
        self.unit = unit

    # --- naming -----------------------------------------------------------------------------------
    @property
    def unit_id(self) -> str:
        return self.unit.rel

    @cached_property
    def scenario(self) -> str | None:
        return self.rules.canonical_scenario(self.unit.scenario_dir)

    @cached_property
    def model_mapping(self) -> dict[str, str]:
        if self.unit.division != "open":
            return {}
        return load_model_mapping(self.unit.submitter_dir / "model_mapping.json")

    @cached_property
    def benchmark(self) -> str | None:
        """The official benchmark this folder stands for, or None when it cannot be resolved."""
        return self.rules.resolve_benchmark(self.unit.benchmark, self.model_mapping)

    @cached_property
    def first_scenario_dir(self) -> str:
        """The benchmark's first scenario folder: benchmark-level problems are reported once, on it."""
        return _first_folder(str(self.unit.result_dir.parent)) or self.unit.scenario_dir

    @property
    def model(self) -> dict[str, Any]:
        return self.rules.models.get(self.benchmark or "", {})

    @property
    def measurements_required(self) -> list[str]:
        """The files the result's measurements folder must hold (ME003)."""
        return list(self.rules["files"]["measurements_required"])

    # --- system description -------------------------------------------------------------------------
    @property
    def system_doc(self) -> JsonDoc:
        return load_json(self.unit.system_json, self.limit("system_json"))

    @property
    def system(self) -> dict[str, Any]:
        return self.system_doc.data or {}

    # --- logs -----------------------------------------------------------------------------------------
    @cached_property
    def perf_dir(self) -> Path:
        return self.unit.result_dir.joinpath("performance", "run_1")

    @cached_property
    def accuracy_dir(self) -> Path:
        return self.unit.result_dir / "accuracy"

    @cached_property
    def perf_log(self) -> DetailLog:
        return parse_detail_log(self.perf_dir / "mlperf_log_detail.txt", self.limit("detail_log"))

    @cached_property
    def perf_summary(self) -> SummaryLog:
        return parse_summary_log(self.perf_dir / "mlperf_log_summary.txt", self.limit("summary_log"))

    @cached_property
    def accuracy_log(self) -> DetailLog:
        return parse_detail_log(self.accuracy_dir / "mlperf_log_detail.txt", self.limit("detail_log"))

    @cached_property
    def accuracy_file(self) -> AccuracyFile:
        patterns = self.rules["accuracy_patterns"]
        wanted = {t["metric"] for t in self.model.get("accuracy_targets", [])}
        chosen = {m: p for m, p in patterns.items() if m in wanted} or patterns
        return parse_accuracy_file(
            self.accuracy_dir / "accuracy.txt", chosen, self.rules["accuracy_hash_pattern"], self.limit("accuracy_txt")
        )

    def audit_detail_logs(self) -> dict[str, Path]:
        """Detail logs of the audit runs that carry a performance run (TEST01, TEST04, TEST05)."""
        return dict(self._audit_detail_logs)

    @cached_property
    def _audit_detail_logs(self) -> dict[str, Path]:
        found = {}
        base = self.unit.compliance_dir
        for test in ("TEST01", "TEST04", "TEST05"):
            if is_file(f"{base}/{test}/performance/run_1/mlperf_log_detail.txt"):
                found[test] = base.joinpath(test, "performance", "run_1", "mlperf_log_detail.txt")
        return found

    # --- measurements -----------------------------------------------------------------------------------
    @cached_property
    def measurements_json_path(self) -> Path | None:
        """Merged layout: ``measurements.json``; split: the first ``<system>*.json`` in the folder."""
        folder = self.unit.measurements_dir
        if self.unit.layout == "merged":
            if is_file(f"{folder}/measurements.json"):
                return folder / "measurements.json"
            candidates = [n for n in _file_names(folder) if n.lower() == "measurements.json"]
            return folder / candidates[0] if candidates else None
        system = self.unit.system  # a name ending in ".json" and longer than it: Path.suffix == ".json"
        candidates = [n for n in _file_names(folder) if n.endswith(".json") and len(n) > 5 and n.startswith(system)]
        preferred = [n for n in candidates if n.lower().endswith(f"_{self.unit.scenario_dir.lower()}.json")]
        chosen = preferred or candidates
        return folder / chosen[0] if chosen else None

    @cached_property
    def measurements(self) -> JsonDoc | None:
        path = self.measurements_json_path
        return parse_json_file(path, self.limit("measurements_json")) if path else None

    @cached_property
    def user_conf(self) -> ConfFile:
        return parse_conf(self.unit.measurements_dir / "user.conf", self.limit("conf"))

    @cached_property
    def mlperf_conf(self) -> ConfFile:
        return parse_conf(self.unit.measurements_dir / "mlperf.conf", self.limit("conf"))

    # --- power --------------------------------------------------------------------------------------------
    @cached_property
    def has_power(self) -> bool:
        return is_dir(f"{self.unit.result_dir}/performance/power")

    @property
    def log_scenario(self) -> str | None:
        value = self.perf_log.get("effective_scenario")
        return value if isinstance(value, str) else None


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _file_names(folder: Path) -> list[str]:
    """The names of the files in a folder (links followed), sorted; one ``scandir``, no ``stat`` where avoidable."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entry.name for entry in entries if entry.is_file())
    except OSError:
        return []


@per_run(maxsize=1024)
def _first_folder(parent: str) -> str | None:
    """The first folder in ``parent`` by name (links followed), or None; asked by every result of a benchmark."""
    try:
        return sorted(name for name in os.listdir(parent) if is_dir(os.path.join(parent, name)))[0]
    except (OSError, IndexError):
        return None


def as_bool(value: Any) -> bool | None:
    """LoadGen writes booleans as JSON true/false; some tools write the strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
