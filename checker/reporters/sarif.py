"""SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards.

One run; ``tool.driver.rules`` carries every registered rule with its documentation and fix, so
a dashboard can show *why* a rule exists next to each result. Waived findings carry a SARIF
suppression (kind ``external``: the waiver lives in a separate file) with the waiver's reason.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from checker import __version__
from checker.findings import Finding, Severity
from checker.registry import Rule, load_all
from checker.reporters import reporter
from checker.reporters.github import repo_path

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note", Severity.REVIEW: "note"}


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """A SARIF reportingDescriptor: id, name, summary, full documentation and the fix as help."""
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc},
        "help": {"text": f"{rule.doc}\n\nHow to fix: {rule.fix}"},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"family": rule.family, "scope": rule.scope, "suite": rule.suite},
    }


def sarif_result(finding: Finding, root: str, index: dict[str, int]) -> dict[str, Any]:
    """One SARIF result: rule, level, message (with expected/found and fix) and the file location."""
    text = finding.message
    if finding.key:
        text += f" [{finding.key}]"
    if finding.expected is not None or finding.found is not None:
        text += f" (expected: {finding.expected}; found: {finding.found})"
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS[finding.severity],
        "message": {"text": f"{text}. Fix: {finding.fix}"},
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    uri = repo_path(root, finding.path)
    if uri:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if finding.line is not None and finding.line > 0:
            physical["region"] = {"startLine": finding.line}
        result["locations"] = [{"physicalLocation": physical}]
    if finding.unit:
        result["partialFingerprints"] = {"subcheckUnit/v1": f"{finding.code}:{finding.unit}:{finding.key or ''}"}
    if finding.waived:
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": finding.waived}]
    return result


def as_sarif(report: Any) -> dict[str, Any]:
    """The whole SARIF log of a report."""
    registry = load_all()
    rules = [registry[code] for code in sorted(registry)]
    index = {r.code: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "subcheck",
                "version": __version__,
                "rules": [rule_descriptor(r) for r in rules],
            }
        },
        "results": [sarif_result(f, report.root, index) for f in report.findings],
        "columnKind": "utf16CodeUnits",
        "properties": {
            "ruleset": report.version,
            "resultsChecked": report.results_checked,
            "resultsRejected": len(report.rejected),
            "exitCode": report.exit_code,
        },
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


@reporter("sarif")
def write_sarif(report: Any, out: TextIO) -> None:
    json.dump(as_sarif(report), out, indent=2, default=str)
    out.write("\n")
