"""Check only what a change touched, and keep only the findings that concern it.

The engine checks whole submitters; a push to a results repository changes a few result folders,
and CI must answer in seconds. This runner applies the same registered rules per scope, but only
to the affected units: submitter rules for each touched submitter, system rules for each touched
system (with the submitter's *full* result list, so ST009 still sees which scenarios exist), result
rules for each touched result. Findings are then kept only when they concern the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.context import RunOptions, TreeContext
from checker.discovery import discover_submitter, top_level
from checker.engine import Job, Report, Selection, apply_rule, check_submitter
from checker.findings import Finding, Problem, Severity
from checker.gitdiff import Affected
from checker.registry import REGISTRY, rule, rules_for
from checker.rounds import Round
from checker.table import columns


@rule(
    "CI001",
    "result-removed",
    scope="tree",
    severity=Severity.NOTICE,
    fix="Nothing to fix when the removal is intended; otherwise restore the result folder.",
)
def result_removed(ctx: TreeContext) -> Iterator[Problem]:
    """``subcheck ci``: the change removes (or moves away) a result folder.

    Reported so reviewers see withdrawn results; a removal that leaves a benchmark without a
    required scenario is reported separately by ST009 for its system.
    """
    return iter(())


@rule(
    "CI002",
    "files-for-missing-result",
    scope="tree",
    severity=Severity.WARNING,
    fix="Add the matching results/<system>/<benchmark>/<scenario> folder, or remove the orphaned files.",
)
def files_for_missing_result(ctx: TreeContext) -> Iterator[Problem]:
    """``subcheck ci``: the change adds measurements or compliance files for a result that has no results folder.

    Files under ``measurements/`` or ``compliance/`` belong to a result; without its ``results/``
    folder they are never checked and never published as a result.
    """
    return iter(())


@dataclass
class Plan:
    """What to check for one change, and the result folders it names that no longer exist."""

    jobs: list[Job]
    checked: set[str]  # ResultUnit.rel of every result checked
    direct: set[str]  # results whose own files (or system description, or model mapping) changed
    missing: dict[str, set[str]]  # rel of a result folder absent at head -> statuses of its changes


def plan(
    root: Path,
    rules: Round,
    affected: Affected,
    selection: Selection,
    options: RunOptions,
    rules_path: str | None = None,
) -> Plan:
    """Discover only the touched submitters and pick their touched systems and results."""
    jobs: list[Job] = []
    checked: set[str] = set()
    direct: set[str] = set()
    present: set[str] = set()
    for division, submitter in sorted(affected.submitters):
        if not (root / division / submitter).is_dir():
            continue
        unit = discover_submitter(root, division, submitter, rules["layout"])
        chosen: list[str] = []
        for result in unit.results:
            present.add(result.rel)
            key = (division, submitter, result.system, result.benchmark, result.scenario_dir)
            is_direct = (
                key in affected.results
                or (division, submitter, result.system) in affected.system_jsons
                or (division, submitter) in affected.whole_submitters
            )
            by_code = (division, submitter, result.benchmark) in affected.code
            if is_direct:
                direct.add(result.rel)
            if is_direct or by_code:
                chosen.append(result.rel)
        checked.update(chosen)
        systems = {r.system for r in unit.results if r.rel in chosen}
        systems |= {s for d, n, s in affected.systems | affected.system_jsons if (d, n) == (division, submitter)}
        systems &= set(unit.systems) | set(unit.system_jsons)
        jobs.append(
            Job(
                rules.suite,
                rules.version,
                rules_path,
                unit,
                selection,
                options,
                only_results=frozenset(chosen),
                only_systems=tuple(sorted(systems)),
            )
        )
    missing = {}
    for key, statuses in affected.result_statuses.items():
        rel = "{}/{}/results/{}/{}/{}".format(*key)
        if rel not in present:
            missing[rel] = statuses
    return Plan(jobs, checked, direct, missing)


def run_incremental(
    root: Path,
    rules: Round,
    affected: Affected,
    *,
    jobs: int = 1,
    selection: Selection | None = None,
    options: RunOptions | None = None,
    rules_path: str | None = None,
) -> Report:
    """Check what ``affected`` names and report only findings that concern the change."""
    selection = selection or Selection()
    options = options or RunOptions()
    work = plan(root, rules, affected, selection, options, rules_path)
    report = Report(str(root), rules.version, columns=columns(rules.version))
    tree = top_level(root)
    tree.submitters = [j.unit for j in work.jobs]
    findings: list[Finding] = []
    tree_ctx = TreeContext(rules, tree, options)
    for r in rules_for(rules.suite, "tree", selection):
        findings += apply_rule(r, tree_ctx, ".")
    workers = max(1, min(jobs, len(work.jobs)))
    outputs: Iterable[tuple[list[Finding], list[dict[str, Any]], list[str]]]
    if workers == 1:
        outputs = list(map(check_submitter, work.jobs))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outputs = list(pool.map(check_submitter, work.jobs))
    for new, rows, rejected in outputs:
        findings += new
        report.rows += rows
        report.rejected += rejected
    report.results_checked = len(work.checked)
    report.findings = [f for f in findings if concerns(f, affected, work.direct)]
    report.findings += removal_findings(work.missing, affected)
    report.findings.sort(key=lambda f: (f.path, f.line or 0, f.code))
    report.rows.sort(key=lambda r: (r["Division"], r["Organization"], r["Platform"], r["Model"], r["Scenario"]))
    return report


def concerns(finding: Finding, affected: Affected, direct: set[str]) -> bool:
    """A finding concerns the change when its result, its system description or its path was changed.

    A path concerns the change when it was changed itself or is a folder (below the submitter's
    top folders) that holds a changed path, e.g. ``results/<system>/<benchmark>`` for ST009.
    """
    if finding.unit in direct:
        return True
    parts = finding.unit.split("/")
    if len(parts) == 4 and parts[2] == "systems" and (parts[0], parts[1], parts[3]) in affected.system_jsons:
        return True
    return finding.path in affected.paths or finding.path in affected.ancestors


def removal_findings(missing: dict[str, set[str]], affected: Affected) -> list[Finding]:
    """CI001 for result folders the change removed; CI002 for files added for a result that does not exist."""
    out: list[Finding] = []
    for rel, statuses in sorted(missing.items()):
        if "D" in statuses:
            moved = _moved_target(rel, affected)
            where = f" (moved to {moved})" if moved else ""
            out.append(
                Finding(
                    code="CI001",
                    severity=Severity.NOTICE,
                    path=rel,
                    message=f"result removed by this change{where}",
                    fix=REGISTRY["CI001"].fix,
                    unit=rel,
                )
            )
        else:
            out.append(
                Finding(
                    code="CI002",
                    severity=Severity.WARNING,
                    path=rel,
                    message="files were added for this result, but it has no results folder",
                    fix=REGISTRY["CI002"].fix,
                    unit=rel,
                    expected="a results folder",
                    found="missing",
                )
            )
    return out


def _moved_target(rel: str, affected: Affected) -> str | None:
    """Where a moved result went: the result folder of the first renamed file that was under it."""
    for old, new in affected.moved_to.items():
        if old.startswith(rel + "/"):
            parts = new.split("/")
            if len(parts) >= 6 and parts[2] in ("results", "measurements", "compliance"):
                return "/".join(parts[:2] + ["results"] + parts[3:6])
    return None
