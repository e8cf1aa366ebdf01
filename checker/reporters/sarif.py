"""SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards.

One run; ``tool.driver.rules`` carries every rule of the report's suite (and any code it reports)
with its documentation and fix, so a dashboard can show *why* a rule exists next to each result.
Waived findings carry a SARIF suppression (kind ``external``: the waiver lives in a separate file)
with the waiver's reason.
A result rejected for a reason no finding on it shows (its system description fails) gets an
error-level result of its own, so SARIF, JUnit and the text report agree on what is rejected.
Text is made printable; artifact URIs percent-encode the file's original bytes.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from checker import __version__
from checker.findings import Finding, Severity
from checker.registry import Rule, load_all
from checker.reporters import reporter
from checker.reporters.github import repo_path
from checker.reporters.human import VALUE_CAP, human, plain
from checker.reporters.safe import printable, uri_path
from checker.reporters.verdicts import uncovered

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note", Severity.REVIEW: "note"}


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """A SARIF reportingDescriptor: id, name, summary, full documentation and the fix as help."""
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": plain(rule.summary)},
        "fullDescription": {"text": plain(rule.doc, lines=True)},
        "help": {"text": f"{plain(rule.doc, lines=True)}\n\nHow to fix: {plain(rule.fix)}"},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"family": rule.family, "scope": rule.scope, "suite": rule.suite},
    }


def sarif_result(finding: Finding, root: str, index: dict[str, int]) -> dict[str, Any]:
    """One SARIF result: rule, level, message (with expected/found and fix) and the file location."""
    text = plain(finding.message)
    if finding.key:
        text += f" [{printable(finding.key)}]"
    if finding.expected is not None or finding.found is not None:
        text += f" (expected: {human(finding.expected, VALUE_CAP)}; found: {human(finding.found, VALUE_CAP)})"
    code = printable(finding.code)
    result: dict[str, Any] = {
        "ruleId": code,
        "level": LEVELS[finding.severity],
        "message": {"text": f"{text}. Fix: {plain(finding.fix)}"},
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    result.update(_location(root, finding.path, finding.line))
    if finding.unit:
        unit = f"{code}:{printable(finding.unit)}:{printable(finding.key or '')}"
        result["partialFingerprints"] = {"subcheckUnit/v1": unit}
    if finding.waived:
        justification = printable(finding.waived)
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    return result


def _location(root: str, path: str, line: int | None = None) -> dict[str, Any]:
    """``{"locations": [...]}`` for a path relative to the checked root, or nothing for the repository itself."""
    uri = repo_path(root, path)
    if not uri:
        return {}
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri_path(uri)}}
    if line is not None and line > 0:
        physical["region"] = {"startLine": line}
    return {"locations": [{"physicalLocation": physical}]}


def rejection_result(rel: str, reason: str, root: str, index: dict[str, int]) -> dict[str, Any]:
    """An error on a result rejected for ``reason`` (``system:SY003``) that no finding on the result shows."""
    code = reason.split(":", 1)[1] if reason.startswith("system:") else reason
    text = f"Result {printable(rel)} is rejected: {printable(reason)}"
    if reason.startswith("system"):
        text += " (its system description fails; see the finding on that file)"
    result: dict[str, Any] = {
        "ruleId": printable(code),
        "level": "error",
        "message": {"text": f"{text}. Fix: correct the cause, then check again."},
    }
    if code in index:
        result["ruleIndex"] = index[code]
    result.update(_location(root, rel))
    result["partialFingerprints"] = {"subcheckUnit/v1": f"rejected:{printable(reason)}:{printable(rel)}"}
    result["properties"] = {"rejectedResult": printable(rel)}
    return result


def as_sarif(report: Any) -> dict[str, Any]:
    """The whole SARIF log of a report."""
    registry = load_all()
    used = {f.code for f in report.findings}
    suite = getattr(report, "suite", None)
    rules = [r for code, r in sorted(registry.items()) if r.suite in (suite, "any") or code in used or suite is None]
    index = {r.code: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "subcheck",
                "version": __version__,
                "rules": [rule_descriptor(r) for r in rules],
            }
        },
        "results": [sarif_result(f, report.root, index) for f in report.findings]
        + [
            rejection_result(rel, reason, report.root, index)
            for rel, reasons in sorted(uncovered(report).items())
            for reason in reasons
        ],
        "columnKind": "utf16CodeUnits",
        "properties": {
            "ruleset": printable(report.version),
            "resultsChecked": report.results_checked,
            "resultsRejected": len(report.rejected),
            "exitCode": report.exit_code,
        },
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


@reporter("sarif")
def write_sarif(report: Any, out: TextIO) -> None:
    out.write(json.dumps(as_sarif(report), indent=2, default=str) + "\n")  # ASCII: valid in any encoding
