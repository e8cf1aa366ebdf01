"""The differential table: each tool's verdict and metric per result beside subcheck's, and why they differ.

Pure logic over :class:`~checker.differential.tools.ToolRun` values, so that it is tested without the official tools.
Known differences are data (``rules/differential.yaml``): each names the subcheck rule and the test that pins it.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from checker.differential.tools import ToolRun, Verdict
from checker.ruleset import data_dir

SUBCHECK = "subcheck"
WHOLE_TREE = "(whole tree)"
KINDS = ("subcheck-rejects", "tool-rejects", "metric", "unknown-result", "crash")
RELATIVE = 1e-6  # metrics agree within this relative difference (the official tables print rounded floats)


@dataclass(frozen=True)
class Explanation:
    """A known difference: which tool, tree, round and results, of which kind, and the rule and test behind it."""

    tool: str
    kind: str
    rule: str
    test: str
    reason: str
    results: str = "*"
    tree: str = "*"
    version: str = "*"

    def matches(self, tool: str, tree: str, version: str, location: str, kind: str, codes: tuple[str, ...]) -> bool:
        """True when this explanation covers the difference.

        Where subcheck rejects, or a tool crashed on the tree, subcheck's findings (on the result; on any result of
        the tree) must include the named rule.
        """
        if kind != self.kind or not fnmatch.fnmatchcase(tool, self.tool):
            return False
        if not (fnmatch.fnmatchcase(tree, self.tree) and fnmatch.fnmatchcase(version, self.version)):
            return False
        if not fnmatch.fnmatchcase(location, self.results):
            return False
        return kind not in ("subcheck-rejects", "crash") or self.rule in {c.partition(":")[2] or c for c in codes}


def load_explanations(path: Path | None = None) -> list[Explanation]:
    """The known differences, validated against ``schemas/differential.schema.json``."""
    path = path or data_dir("rules") / "differential.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = json.loads((data_dir("schemas") / "differential.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    return [Explanation(**entry) for entry in data["explained"]]


@dataclass
class Difference:
    """One place where a tool and subcheck differ, with its explanation or None."""

    tree: str
    location: str
    tool: str
    kind: str
    ours: str
    theirs: str
    explanation: Explanation | None = None


@dataclass
class Comparison:
    """Everything one differential run found on one tree."""

    tree: str
    version: str
    suite: str
    runs: dict[str, ToolRun]
    rows: list[dict[str, str]] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if d.explanation is None]


def cell(verdict: Verdict | None, run: ToolRun) -> str:
    """How a tool's word on one result reads in the table."""
    if run.status != "ran":
        return run.status
    if verdict is None:
        return "no verdict"
    if not verdict.accepted:
        return f"reject ({' '.join(verdict.codes)})" if verdict.codes else "reject"
    metrics = ", ".join(f"{value:g} {unit}" for unit, value in sorted(verdict.metrics.items()))
    return f"accept {metrics}".rstrip()


def metrics_differ(ours: Verdict, theirs: Verdict) -> bool:
    """Both give a value for the same unit and the values differ; a unit only one tool reports differs too."""
    if theirs.metrics and ours.metrics and set(theirs.metrics) != set(ours.metrics):
        return True
    for unit, value in theirs.metrics.items():
        mine = ours.metrics.get(unit)
        if mine is not None and abs(mine - value) > RELATIVE * max(abs(value), 1e-12):
            return True
    return False


def difference_kind(ours: Verdict | None, theirs: Verdict | None) -> str | None:
    """The kind of difference between subcheck's and a tool's verdict on one result (None: they agree)."""
    if ours is None:
        return "unknown-result" if theirs is not None else None
    accepted_by_them = theirs is not None and theirs.accepted
    if ours.accepted and not accepted_by_them:
        return "tool-rejects"
    if not ours.accepted and accepted_by_them:
        return "subcheck-rejects"
    if ours.accepted and theirs is not None and metrics_differ(ours, theirs):
        return "metric"
    return None


def explain(difference: Difference, codes: tuple[str, ...], version: str, known: list[Explanation]) -> None:
    for entry in known:
        if entry.matches(difference.tool, difference.tree, version, difference.location, difference.kind, codes):
            difference.explanation = entry
            return


def compare(tree: str, version: str, suite: str, runs: dict[str, ToolRun], known: list[Explanation]) -> Comparison:
    """Line every tool's verdicts up with subcheck's (``runs[SUBCHECK]``) and explain each difference."""
    result = Comparison(tree, version, suite, runs)
    ours = runs[SUBCHECK]
    tools = [name for name in runs if name != SUBCHECK]
    for name in tools:
        if runs[name].status == "crashed":
            difference = Difference(tree, WHOLE_TREE, name, "crash", "checked", runs[name].note)
            explain(difference, tuple({c for v in ours.verdicts.values() for c in v.codes}), version, known)
            result.differences.append(difference)
    locations = sorted(set(ours.verdicts).union(*(runs[n].verdicts for n in tools if runs[n].status == "ran")))
    for location in locations:
        mine = ours.verdicts.get(location)
        row = {"tree": tree, "result": location, SUBCHECK: cell(mine, ours)}
        notes = []
        for name in tools:
            run = runs[name]
            theirs = run.verdicts.get(location)
            row[name] = cell(theirs, run)
            kind = difference_kind(mine, theirs) if run.status == "ran" else None
            if kind is None:
                continue
            difference = Difference(tree, location, name, kind, row[SUBCHECK], row[name])
            explain(difference, mine.codes if mine else (), version, known)
            result.differences.append(difference)
            entry = difference.explanation
            notes.append(f"{name}: {entry.rule} ({entry.test})" if entry else f"{name}: UNEXPLAINED {kind}")
        row["differences"] = "; ".join(notes)
        result.rows.append(row)
    return result


def summary(comparison: Comparison) -> dict[str, Any]:
    """Counts for the report: results, and per tool its status, agreements, explained and unexplained differences."""
    per_tool: dict[str, dict[str, Any]] = {}
    for name, run in comparison.runs.items():
        if name == SUBCHECK:
            continue
        mine = [d for d in comparison.differences if d.tool == name]
        per_tool[name] = {
            "status": run.status,
            "note": run.note,
            "verdicts": len(run.verdicts),
            "explained": sum(1 for d in mine if d.explanation),
            "unexplained": sum(1 for d in mine if d.explanation is None),
        }
    ours = comparison.runs[SUBCHECK]
    accepted = sum(1 for v in ours.verdicts.values() if v.accepted)
    return {"results": len(comparison.rows), "subcheck_accepted": accepted, "tools": per_tool}
