"""What the engine's verdict on SRC means for OUT: files the layout forbids, and results that fail.

The engine judges SRC read-only (one checker, no second opinion). Findings the planned truncation
fixes (no hash, log not truncated) and the planned inference fixes (a required scenario missing) do not count
against a result: they are fixed in OUT.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from checker.discovery import ResultUnit, Tree
from checker.engine import Report, run_checks
from checker.findings import Finding
from checker.prepare.truncate import Truncation
from checker.rounds import Round

# Files the layout forbids where they stand: stray files (RH001, RH002, ST002, ST003), binaries under results/
# (RH003) and links leaving the submitter (RH009). Removing them loses nothing the submission needs.
REMOVABLE = frozenset({"RH001", "RH002", "RH003", "RH009", "ST002", "ST003"})
TRUNCATION_FIXES = frozenset({"AC004", "AC005", "RH004"})
INFERENCE_FIXES = frozenset({"ST009"})  # a required scenario missing where prepare infers it


@dataclass
class Verdict:
    """Removals (path, why) and failing results (location -> codes) found in SRC."""

    report: Report
    removals: list[tuple[str, str]] = field(default_factory=list)
    failing: dict[str, list[str]] = field(default_factory=dict)


def judge(
    tree: Tree, rules: Round, truncations: list[Truncation], inferred: set[str], jobs: int, rules_path: str | None
) -> Verdict:
    """Check SRC and sort its error findings into removable files and failing results.

    ``inferred``: the benchmark folders where prepare writes inferred results (their ST009 is fixed in OUT).
    """
    report = run_checks(tree, rules, jobs=jobs, rules_path=rules_path)
    fixed_dirs = {posixpath.dirname(t.log) for t in truncations}

    def counts(finding: Finding) -> bool:
        if not finding.fails or finding.code in REMOVABLE:
            return False
        if finding.code in INFERENCE_FIXES and finding.path in inferred:
            return False
        return not (finding.code in TRUNCATION_FIXES and posixpath.dirname(finding.path) in fixed_dirs)

    verdict = Verdict(report)
    seen: set[str] = set()
    for finding in report.findings:
        if finding.fails and finding.code in REMOVABLE and finding.path not in seen:
            seen.add(finding.path)
            verdict.removals.append((finding.path, f"{finding.code}: {finding.message}"))
    own: dict[str, set[str]] = {}
    for finding in report.findings:
        if counts(finding):
            own.setdefault(finding.unit or finding.path, set()).add(finding.code)
    for result in report.results:
        codes = _codes(result, own)
        if codes:
            verdict.failing[result["Location"]] = codes
    return verdict


def _codes(result: dict[str, Any], own: dict[str, set[str]]) -> list[str]:
    """A result's failing codes as the engine's settle() counts them: its own, its system's, engine errors."""
    codes = sorted(own.get(result["Location"], ()))
    for kind, dep in result["depends"]:
        codes += [f"{kind}:{c}" for c in sorted(own.get(dep, ())) if kind == "system" or c.startswith("EN")]
    return codes


def result_folders(result: ResultUnit) -> list[str]:
    """The folders that make up a result in OUT (split layout: results, measurements and compliance)."""
    folders = [result.result_dir]
    if result.layout == "split":
        folders += [result.measurements_dir, result.compliance_dir]
    return [str(f.relative_to(result.root)) for f in folders]


def under(path: str, folders: set[str]) -> bool:
    """``path`` is one of ``folders`` or inside one."""
    parts = path.split("/")
    return any("/".join(parts[:i]) in folders for i in range(1, len(parts) + 1))
