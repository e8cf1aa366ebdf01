"""What a training rule sees: typed contexts per tree, submitter, system description and benchmark folder.

Contexts parse lazily and cache, so a log is read once however many rules look at it. In the training
suite the *result* scope is a benchmark folder (``results/<system>/<benchmark>/``): the unit that gets a
score. Rules that judge single logs loop over ``ctx.runs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from checker.findings import Problem
from checker.parsers.jsonfile import JSON_LIMIT, parse_json_file
from checker.parsers.mllog import MllogFile, parse_file
from checker.parsers.text import DEFAULT_LIMIT, limit_for
from checker.scope import ContextBase, rel
from checker.training import compliance, power, rcp
from checker.training.discovery import BenchmarkDir, Params, SubmitterDir, SystemDir, TrainingTree


@dataclass(frozen=True)
class SystemDesc:
    """A parsed ``systems/<system>.json``; ``error`` says why it could not be used."""

    path: Path
    data: dict[str, Any] | None
    error: str | None
    line: int | None = None

    @property
    def division(self) -> str | None:
        value = (self.data or {}).get("division")
        return value if isinstance(value, str) else None


def load_system_desc(path: Path, limit: int = JSON_LIMIT) -> SystemDesc:
    """Read a system description with the one JSON loader; a missing, unreadable or broken file is an error value."""
    doc = parse_json_file(path, limit)
    return SystemDesc(path, doc.data, doc.error, doc.line)


@dataclass
class Run:
    """One ``result_<k>.txt`` file, parsed on first use."""

    path: Path
    rel: str
    limit: int = DEFAULT_LIMIT

    @cached_property
    def log(self) -> MllogFile:
        return parse_file(self.path, self.limit)

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass
class TreeContext(ContextBase):
    """The whole checked root."""

    root: Path
    rules: Mapping[str, Any]
    tree: TrainingTree


@dataclass
class SubmitterContext(ContextBase):
    """One submitter folder."""

    root: Path
    rules: Mapping[str, Any]
    submitter: SubmitterDir


@dataclass
class SystemContext(ContextBase):
    """One system description file, used by results or not (the official tool checks every one)."""

    root: Path
    rules: Mapping[str, Any]
    submitter: SubmitterDir
    path: Path
    system: SystemDir | None

    @cached_property
    def desc(self) -> SystemDesc:
        return load_system_desc(self.path, limit_for(self.rules, "system_json"))


@dataclass
class BenchmarkContext(ContextBase):
    """``results/<system>/<benchmark>/`` with everything rules and scoring derive from its runs."""

    root: Path
    rules: Mapping[str, Any]
    bdir: BenchmarkDir
    system: SystemDir
    desc: SystemDesc
    runs: list[Run] = field(default_factory=list)
    submitter_params: Params | None = None

    def __post_init__(self) -> None:
        if not self.runs:
            cap = limit_for(self.rules, "training_log")
            self.runs = [Run(p, rel(self.root, p), cap) for p in self.bdir.result_files]

    @property
    def benchmark(self) -> str:
        return self.bdir.name

    @property
    def allowed(self) -> bool:
        return self.benchmark in self.rules["benchmarks"]

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.rules["benchmarks"].get(self.benchmark, {"runs": 0, "allowed_failures": 0})

    @property
    def closed(self) -> bool:
        """Seeds and RCP are checked only when the JSON says exactly ``closed`` (official gate)."""
        return self.desc.division == "closed"

    def flag(self, name: str) -> bool:
        """A flag set at submitter (read by the official shell script), system or benchmark level."""
        levels = (self.submitter_params, self.system.params, self.bdir.params)
        return any(p is not None and name in p.flags for p in levels)

    @cached_property
    def compliance(self) -> dict[str, list[tuple[str, Problem]]]:
        """Compliance problems per run (keyed by relative path)."""
        return {r.rel: compliance.check_log(self.rules, r.log, r.rel) for r in self.runs}

    def problems(self, code: str) -> list[Problem]:
        return [p for items in self.compliance.values() for c, p in items if c == code]

    @cached_property
    def noncompliant(self) -> list[str]:
        """Runs with at least one compliance error, in run order."""
        return [r.rel for r in self.runs if any(compliance.error_codes(self.compliance[r.rel]))]

    @cached_property
    def power_layout(self) -> power.PowerLayout | None:
        """The ``power/`` folder's layout, or None when the folder has no power results."""
        return power.read_layout(self.bdir.path, [r.name for r in self.runs])

    @cached_property
    def energy(self) -> power.EnergyScore | None:
        return power.energy_score(self)

    @cached_property
    def bad_runs(self) -> list[str]:
        """Runs failing compliance or the power layout: together they use the olympic allowance (as officially)."""
        names = set(self.power_layout.bad_runs) if self.power_layout is not None else set()
        bad = set(self.noncompliant)
        return [r.rel for r in self.runs if r.rel in bad or r.name in names]

    @property
    def tolerated(self) -> bool:
        """Whether the failing runs fit the olympic allowance (then they are warnings, not errors)."""
        return 0 < len(self.bad_runs) <= self.meta["allowed_failures"]

    @cached_property
    def convergences(self) -> list[rcp.Convergence]:
        cfg = self.rules["rcp"]
        method = cfg["convergence"].get(self.benchmark, cfg["convergence"]["default"])
        if self.flag("rcp-bert-train-samples"):
            method = cfg.get("with_train_samples_flag", {}).get(self.benchmark, method)
        return [rcp.convergence(r.log, method, cfg) for r in self.runs]

    @property
    def rcp_applies(self) -> bool:
        cfg = self.rules["rcp"]
        return (
            self.allowed
            and self.closed
            and self.desc.division in cfg["divisions"]
            and self.benchmark not in cfg.get("skip_benchmarks", [])
        )

    @cached_property
    def rcp(self) -> rcp.RcpOutcome | None:
        """The RCP outcome, or None when the RCP test does not apply to this folder."""
        if not self.rcp_applies or not self.runs:
            return None
        cfg = self.rules["rcp"]
        items = tuple(sorted((k, v) for k, v in cfg.items() if isinstance(v, (int, float, str))))
        table = rcp.load_table(cfg["data"], self.benchmark, self.meta["runs"], items)
        return rcp.check(table, self.convergences, self.benchmark, self.rules["ruleset"], cfg, self.flag("rcp-bypass"))

    @cached_property
    def score(self) -> Any:
        from checker.training.scoring import score_benchmark

        return score_benchmark(self)
