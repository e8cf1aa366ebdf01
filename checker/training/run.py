"""Training orchestrator: discovery -> contexts -> registered rules -> findings, plus the score rows.

Rules are looked up in the registry (suite ``training``); each Problem is stamped into a Finding here, so a
rule never sets its own code. A rule that raises becomes a finding under its own code and the others keep
running. Submitters are independent, so ``jobs > 1`` checks them in worker processes.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker import ruleset
from checker.findings import Finding, Problem, Severity
from checker.registry import REGISTRY, Rule
from checker.training.context import BenchmarkContext, SubmitterContext, SystemContext, TreeContext, load_system_desc
from checker.training.discovery import SubmitterDir, detect_training_tree, discover, discover_submitter
from checker.training.scoring import summary_row, wide_rows

__all__ = ["TrainingReport", "check_training", "detect_training_tree", "training_rules"]


@dataclass
class TrainingReport:
    """Findings of a training check and one score row per system and benchmark."""

    findings: list[Finding] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    benchmarks: list[str] = field(default_factory=list)

    def wide_rows(self) -> list[dict[str, Any]]:
        """The rows in the official summarizer's shape: one per system, benchmarks as columns."""
        return wide_rows(self.rows, self.benchmarks)


def training_rules() -> dict[str, Rule]:
    """Every registered training rule (importing the checks registers them)."""
    import checker.training.checks  # noqa: F401  (import registers the rules)

    return {code: r for code, r in REGISTRY.items() if r.suite == "training"}


def check_training(root: Path, version: str, jobs: int = 1,
                   select: Callable[[str], bool] = lambda c: True) -> TrainingReport:
    """Check a training tree against round ``version`` (e.g. ``v4.1``); raises RulesetError on bad rules."""
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder")
    rules = ruleset.load("training", version)
    codes = sorted(code for code in training_rules() if select(code))
    tree = discover(root)
    report = TrainingReport(benchmarks=list(rules["benchmarks"]))
    report.findings.extend(_apply(_by_scope(codes, "tree"), TreeContext(root, rules, tree), "."))
    paths = [s.path for s in tree.submitters]
    if jobs > 1 and len(paths) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
            parts = list(pool.map(_check_submitter_path, [root] * len(paths), [version] * len(paths), paths,
                                  [codes] * len(paths)))
    else:
        parts = [_check_submitter(root, rules, sub, codes) for sub in tree.submitters]
    for findings, rows in parts:
        report.findings.extend(findings)
        report.rows.extend(rows)
    report.findings.sort(key=lambda f: (f.path, f.line or 0, f.code))
    return report


def _check_submitter_path(root: Path, version: str, path: Path, codes: Sequence[str]) -> tuple[list[Finding],
                                                                                               list[dict[str, Any]]]:
    """Worker entry point: everything it needs is picklable (rules are reloaded, cached per process)."""
    return _check_submitter(root, ruleset.load("training", version), discover_submitter(path), codes)


def _check_submitter(root: Path, rules: Any, sub: SubmitterDir, codes: Sequence[str]) -> tuple[list[Finding],
                                                                                             list[dict[str, Any]]]:
    sub_ctx = SubmitterContext(root, rules, sub)
    findings = _apply(_by_scope(codes, "submitter"), sub_ctx, sub_ctx.rel(sub.path))
    by_json = {s.desc_path: s for s in sub.systems}
    failed_json: set[Path] = set()
    for path in sorted(set(sub.system_jsons) | {p for p in by_json if p.exists()}):
        sys_ctx = SystemContext(root, rules, sub, path, by_json.get(path))
        new = _apply(_by_scope(codes, "system"), sys_ctx, sys_ctx.rel(path))
        if any(f.fails for f in new):
            failed_json.add(path)
        findings.extend(new)
    rows = []
    result_rules = _by_scope(codes, "result")
    for system in sub.systems:
        desc = load_system_desc(system.desc_path)
        for bdir in system.benchmarks:
            ctx = BenchmarkContext(root, rules, bdir, system, desc, submitter_params=sub.params)
            new = _apply(result_rules, ctx, ctx.rel(bdir.path))
            findings.extend(new)
            if ctx.allowed and ctx.runs and desc.data is not None:
                failing = sorted({f.code for f in new if f.fails} | ({"system"} if system.desc_path in failed_json
                                                                      else set()))
                rows.append({**summary_row(ctx), "Valid": not failing, "Findings": " ".join(failing)})
    return findings, rows


def _by_scope(codes: Iterable[str], scope: str) -> list[Rule]:
    rules = training_rules()
    return [rules[c] for c in codes if rules[c].scope == scope]


def _apply(rules: Iterable[Rule], ctx: Any, unit: str) -> list[Finding]:
    """Run rules on one unit; a rule that raises becomes a finding under its own code (as the engine does)."""
    out: list[Finding] = []
    for r in rules:
        try:
            problems = list(r.run(ctx))
        except Exception as exc:  # noqa: BLE001  (a crashing rule must never stop the run)
            last = traceback.format_exc(limit=3).strip().splitlines()[-1]
            problems = [Problem(unit, f"internal error in rule {r.code}: {type(exc).__name__}: {exc}", found=last,
                                severity=Severity.WARNING, fix="Report this to the subcheck maintainers.")]
        out.extend(stamp(r, p, unit) for p in problems)
    return out


def stamp(r: Rule, p: Problem, unit: str = "") -> Finding:
    """Turn a rule's Problem into a Finding with the rule's code, severity and default fix."""
    return Finding(code=r.code, severity=p.severity or r.severity, path=p.path, message=p.message,
                   fix=p.fix or r.fix, unit=p.unit or unit, expected=p.expected, found=p.found, line=p.line,
                   key=p.key)
