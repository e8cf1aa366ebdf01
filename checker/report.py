"""The result of a run (:class:`Report`): findings, table rows and verdicts, in a module that imports nothing
heavy, so that a stored report (:mod:`checker.recheck`) can be loaded and written without the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checker.findings import Finding


@dataclass
class Report:
    """Everything a reporter needs: findings, the table rows, and which results were checked and rejected."""

    root: str
    version: str
    findings: list[Finding] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    results_checked: int = 0
    rejected: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    suite: str = "inference"
    # One verdict record per checked result: its Location, the units it depends on, its own row(s).
    results: list[dict[str, Any]] = field(default_factory=list)
    evidence: str = ""  # how the round was chosen, for the verdict line
    benchmarks: list[str] = field(default_factory=list)  # training: the round's benchmarks (table columns)
    # The summary of each rule code found, kept with a stored report (checker.recheck) so that writing it needs
    # no rule module; empty for a fresh report, whose reporter asks the registry.
    summaries: dict[str, str] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if r.get("Valid"))

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.fails)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0
