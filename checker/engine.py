"""Run the registered rules over a discovered tree, in parallel, and collect findings and table rows.

Work is split by submitter: each worker parses one submitter's files once and runs every rule
scope on them, so nothing is parsed twice and workers share no state.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.context import ResultContext, RunOptions, SubmitterContext, SystemContext, TreeContext
from checker.discovery import SubmitterUnit, Tree
from checker.findings import Finding, Problem, Severity
from checker.registry import Rule, rules_for
from checker.rounds import Round
from checker.table import columns, result_row


@dataclass(frozen=True)
class Selection:
    """Which rule codes run: ``--select`` prefixes (all when empty) minus ``--ignore`` prefixes."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def __call__(self, code: str) -> bool:
        if self.select and not any(code.startswith(s) for s in self.select):
            return False
        return not any(code.startswith(i) for i in self.ignore)


@dataclass
class Report:
    """Everything a reporter needs: findings, one row per result with a metric (``Valid`` says if it counts)."""

    root: str
    version: str
    findings: list[Finding] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    results_checked: int = 0
    rejected: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    accepted_count: int | None = None  # set when rows are not one per result (the training summary)

    @property
    def accepted(self) -> int:
        if self.accepted_count is not None:
            return self.accepted_count
        return len({r.get("Location", i) for i, r in enumerate(self.rows) if r.get("Valid")})

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.fails)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def apply_rule(rule: Rule, ctx: Any, unit: str) -> Iterator[Finding]:
    """Run one rule; a bug in a rule becomes a finding on the unit instead of a traceback."""
    try:
        problems: Iterable[Problem] = list(rule.run(ctx))
    except Exception as exc:  # noqa: BLE001 - a crashing rule must never stop the run
        problems = [
            Problem(
                unit,
                f"internal error in rule {rule.code}: {type(exc).__name__}: {exc}",
                severity=Severity.WARNING,
                fix="Report this to the subcheck maintainers.",
            )
        ]
    for problem in problems:
        yield Finding(
            code=rule.code,
            severity=problem.severity or rule.severity,
            path=problem.path,
            message=problem.message,
            fix=problem.fix or rule.fix,
            unit=problem.unit or unit,
            expected=problem.expected,
            found=problem.found,
            line=problem.line,
            key=problem.key,
        )


@dataclass(frozen=True)
class Job:
    """One submitter to check, with everything a worker process needs (it is pickled)."""

    suite: str
    version: str
    rules_path: str | None
    unit: SubmitterUnit
    selection: Selection
    options: RunOptions
    # ``subcheck ci`` checks only what a change touched; None means the whole submitter.
    only_results: frozenset[str] | None = None
    only_systems: tuple[str, ...] | None = None


def check_submitter(job: Job) -> tuple[list[Finding], list[dict[str, Any]], list[str]]:
    """Check one submitter folder completely; runs in a worker process."""
    rules = Round.load(job.suite, job.version, job.rules_path)
    findings: list[Finding] = []
    sub_ctx = SubmitterContext(rules, job.unit, job.options)
    for rule in rules_for(job.suite, "submitter", job.selection):
        findings += apply_rule(rule, sub_ctx, job.unit.rel)
    failed_systems: dict[str, list[str]] = {}
    systems = job.only_systems
    if systems is None:
        systems = tuple(sorted(set(job.unit.systems) | set(job.unit.system_jsons)))
    for system in systems:
        sys_ctx = SystemContext(rules, job.unit, system, job.options)
        for rule in rules_for(job.suite, "system", job.selection):
            new = list(apply_rule(rule, sys_ctx, sys_ctx.unit_id))
            if any(f.fails for f in new):
                failed_systems[system] = sorted({f.code for f in new if f.fails})
            findings += new
    rows, rejected = [], []
    for unit in job.unit.results:
        if job.only_results is not None and unit.rel not in job.only_results:
            continue
        ctx = ResultContext(rules, unit, job.options)
        new = [f for rule in rules_for(job.suite, "result", job.selection) for f in apply_rule(rule, ctx, unit.rel)]
        findings += new
        failing = sorted({f.code for f in new if f.fails})
        failing += [f"system:{code}" for code in failed_systems.get(unit.system, [])]
        if failing:
            rejected.append(unit.rel)
        for row in _rows(ctx, unit.rel):
            rows.append({**row, "Valid": not failing, "Findings": " ".join(failing)})
    return findings, rows, rejected


def _rows(ctx: ResultContext, unit: str) -> list[dict[str, Any]]:
    """Table rows of a result; a value no rule anticipated must not stop the run (the row is then left out)."""
    try:
        return result_row(ctx)
    except Exception:  # noqa: BLE001
        return []


def run_checks(
    tree: Tree,
    rules: Round,
    *,
    jobs: int = 1,
    selection: Selection | None = None,
    rules_path: str | None = None,
    options: RunOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Check every submitter of ``tree``; ``jobs`` > 1 spreads submitters over processes."""
    selection = selection or Selection()
    options = options or RunOptions()
    report = Report(str(tree.root), rules.version, columns=columns(rules.version))
    tree_ctx = TreeContext(rules, tree, options)
    for rule in rules_for(rules.suite, "tree", selection):
        report.findings += apply_rule(rule, tree_ctx, ".")
    work = [
        Job(rules.suite, rules.version, rules_path, unit, selection, options)
        for unit in sorted(tree.submitters, key=lambda u: -len(u.results))
    ]
    report.results_checked = sum(len(u.results) for u in tree.submitters)
    jobs = max(1, min(jobs, len(work) or 1))
    if jobs == 1:
        outputs: Iterable[tuple[list[Finding], list[dict[str, Any]], list[str]]] = map(check_submitter, work)
    else:
        pool = ProcessPoolExecutor(max_workers=jobs)
        outputs = pool.map(check_submitter, work)
    done = 0
    for findings, rows, rejected in outputs:
        report.findings += findings
        report.rows += rows
        report.rejected += rejected
        done += 1
        if progress:
            progress(done, len(work))
    if jobs > 1:
        pool.shutdown()
    report.findings.sort(key=lambda f: (f.path, f.line or 0, f.code))
    report.rows.sort(key=lambda r: (r["Division"], r["Organization"], r["Platform"], r["Model"], r["Scenario"]))
    return report


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def path_of(value: str | Path) -> Path:
    return Path(value).expanduser()
