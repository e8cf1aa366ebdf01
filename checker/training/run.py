"""``check_training``: the training suite through the one engine, with its per-benchmark score rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.engine import Report, Selection, run_checks
from checker.findings import Finding
from checker.registry import REGISTRY, Rule, load_all
from checker.rounds import Round
from checker.training.discovery import detect_training_tree
from checker.training.scoring import wide_rows

__all__ = ["TrainingReport", "check_training", "detect_training_tree", "training_rules"]


@dataclass
class TrainingReport:
    """Findings of a training check and one score row per system and benchmark."""

    findings: list[Finding] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    benchmarks: list[str] = field(default_factory=list)
    report: Report | None = None

    def wide_rows(self) -> list[dict[str, Any]]:
        """The rows in the official summarizer's shape: one per system, benchmarks as columns."""
        return wide_rows(self.rows, self.benchmarks)


def training_rules() -> dict[str, Rule]:
    """Every registered training rule."""
    load_all()
    return {code: r for code, r in REGISTRY.items() if r.suite == "training"}


def check_training(root: Path, version: str, jobs: int = 1, select: Selection | None = None) -> TrainingReport:
    """Check a training tree against round ``version``; raises DiscoveryError or RulesetError when it cannot."""
    from checker.suites import suite_named

    rules = Round.load("training", version)
    tree = suite_named("training").discover(Path(root), rules, None)
    report = run_checks(tree, rules, jobs=jobs, selection=select)
    return TrainingReport(report.findings, per_benchmark_rows(report), report.benchmarks, report)


def per_benchmark_rows(report: Report) -> list[dict[str, Any]]:
    """The score row of each benchmark folder that has one, with its verdict."""
    return [
        {**row, "Valid": result["Valid"], "Findings": result["Findings"]}
        for result in report.results
        for row in result["rows"]
    ]
