"""Check only what a change touched, and keep only the findings that concern it.

The engine checks whole submitters; a push to a results repository changes a few result folders,
and CI must answer in seconds. This runner applies the same registered rules per scope, but only
to the affected units: submitter rules for each touched submitter, system rules for each touched
system (with the submitter's *full* result list, so ST009 still sees which scenarios exist), result
rules for each touched result. Findings are then kept only when they concern the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from checker.discovery import SubmitterUnit, discover_submitter, top_level
from checker.engine import Focus, Report, Selection, emit, run_checks
from checker.findings import Finding, Problem
from checker.gitdiff import Affected
from checker.options import RunOptions
from checker.rounds import Round

# Results checked in this process rather than by a pool: starting the workers (0.06 s) costs more than a second
# core saves on a few results; a pool or not, the findings are the same (tests/test_ci_fast.py).
IN_PROCESS = 4


@dataclass
class Plan:
    """What to check for one change, and the result folders it names that no longer exist."""

    submitters: list[SubmitterUnit]
    focus: dict[str, Focus]  # submitter rel -> the results and systems to check in it
    checked: set[str]  # ResultUnit.rel of every result checked
    direct: set[str]  # results whose own files (or system description, or model mapping) changed
    missing: dict[str, set[str]]  # rel of a result folder absent at head -> statuses of its changes


def plan(root: Path, rules: Round, affected: Affected) -> Plan:
    """Discover only the touched submitters and pick their touched systems and results."""
    work = Plan([], {}, set(), set(), {})
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
            if is_direct:
                work.direct.add(result.rel)
            if is_direct or (division, submitter, result.benchmark) in affected.code:
                chosen.append(result.rel)
        work.checked.update(chosen)
        systems = {r.system for r in unit.results if r.rel in chosen}
        systems |= {s for d, n, s in affected.systems | affected.system_jsons if (d, n) == (division, submitter)}
        systems &= set(unit.systems) | set(unit.system_jsons)
        work.submitters.append(unit)
        work.focus[unit.rel] = Focus(frozenset(chosen), tuple(sorted(systems)))
    for key, statuses in affected.result_statuses.items():
        rel = "{}/{}/results/{}/{}/{}".format(*key)
        if rel not in present:
            work.missing[rel] = statuses
    return work


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
    """Check what ``affected`` names (the engine's run loop, focused) and report only findings about the change."""
    selection = selection or Selection()
    work = plan(root, rules, affected)
    tree = top_level(root)
    tree.submitters = work.submitters
    report = run_checks(
        tree,
        rules,
        jobs=jobs if len(work.checked) > IN_PROCESS else 1,
        selection=selection,
        options=options,
        rules_path=rules_path,
        focus=work.focus,
        require_results=False,
    )
    report.findings = [f for f in report.findings if f.code == "EN001" or concerns(f, affected, work.direct)]
    report.findings += removal_findings(work.missing, affected, selection)
    report.findings.sort(key=lambda f: (f.path, f.line or 0, f.code))
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


def removal_findings(
    missing: dict[str, set[str]], affected: Affected, selection: Selection | None = None
) -> list[Finding]:
    """CI001 for result folders the change removed; CI002 for files added for a result that does not exist."""
    selection = selection or Selection()
    out: list[Finding] = []
    for rel, statuses in sorted(missing.items()):
        if "D" in statuses:
            moved = _moved_target(rel, affected)
            where = f" (moved to {moved})" if moved else ""
            out += emit("CI001", Problem(rel, f"result removed by this change{where}"), rel, selection)
        else:
            problem = Problem(
                rel,
                "files were added for this result, but it has no results folder",
                expected="a results folder",
                found="missing",
            )
            out += emit("CI002", problem, rel, selection)
    return out


def _moved_target(rel: str, affected: Affected) -> str | None:
    """Where a moved result went: the result folder of the first renamed file that was under it."""
    for old, new in affected.moved_to.items():
        if old.startswith(rel + "/"):
            parts = new.split("/")
            if len(parts) >= 6 and parts[2] in ("results", "measurements", "compliance"):
                return "/".join(parts[:2] + ["results"] + parts[3:6])
    return None
