"""JUnit XML: one test case per result, so CI test dashboards list each result as passed or failed.

A result's test case is ``classname=<division>/<submitter>/<system>``, ``name=<benchmark>/<scenario>``;
each failing finding is a ``<failure>``, and so is each reason a result is rejected that no finding
on the result itself shows (its system description, ``system:SY003``): a rejected result never
passes. Findings on systems, submitters and the tree get test cases of their own; other findings
(warnings, notices, waived errors) go to ``<system-out>``. All text is made printable first: XML 1.0
cannot carry most control characters, not even as character references.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, TextIO

from checker.findings import Finding
from checker.reporters import reporter
from checker.reporters.human import VALUE_CAP, human, plain
from checker.reporters.safe import printable, write_safely
from checker.reporters.verdicts import uncovered


def case_name(unit: str) -> tuple[str, str]:
    """(classname, name) of the test case a finding's unit belongs to."""
    unit = printable(unit)
    parts = unit.split("/")
    if len(parts) == 6 and parts[2] == "results":
        return f"{parts[0]}/{parts[1]}/{parts[3]}", f"{parts[4]}/{parts[5]}"
    if len(parts) == 4 and parts[2] == "systems":
        return f"{parts[0]}/{parts[1]}/{parts[3]}", "system description"
    if len(parts) == 2:
        return unit, "submitter"
    if unit in ("", "."):
        return "repository", "tree"
    return unit, "checks"


def _detail(finding: Finding) -> str:
    lines = [f"{printable(finding.location)}: {printable(finding.code)} {finding.severity.value}: "
             f"{plain(finding.message)}"]  # fmt: skip
    if finding.expected is not None or finding.found is not None:
        lines.append(f"expected: {human(finding.expected, VALUE_CAP)}   found: {human(finding.found, VALUE_CAP)}")
    lines.append(f"fix: {plain(finding.fix)}")
    if finding.waived:
        lines.append(f"waived: {printable(finding.waived)}")
    return "\n".join(lines)


@dataclass
class Case:
    """What one test case holds: its findings and the rejections of its result that no finding shows."""

    findings: list[Finding] = field(default_factory=list)
    rejected: dict[str, list[str]] = field(default_factory=dict)

    @property
    def fails(self) -> bool:
        return bool(self.rejected) or any(f.fails for f in self.findings)


def _cases(report: Any) -> dict[tuple[str, str], Case]:
    cases: dict[tuple[str, str], Case] = {}
    for row in report.rows:
        if row.get("Location"):
            cases.setdefault(case_name(str(row["Location"])), Case())
    for rel in report.rejected:
        cases.setdefault(case_name(rel), Case())
    for finding in report.findings:
        cases.setdefault(case_name(finding.unit or finding.path), Case()).findings.append(finding)
    for rel, reasons in uncovered(report).items():
        cases.setdefault(case_name(rel), Case()).rejected[rel] = reasons
    return cases


def _fill(case: ET.Element, content: Case) -> None:
    """The failures and the system output of one test case."""
    for finding in content.findings:
        if finding.fails:
            code = printable(finding.code)
            failure = ET.SubElement(case, "failure", message=f"{code}: {printable(finding.message)}", type=code)
            failure.text = _detail(finding)
    for rel, reasons in content.rejected.items():
        why = printable(" ".join(reasons))
        failure = ET.SubElement(case, "failure", message=f"result rejected: {why}", type="rejected")
        failure.text = f"{printable(rel)} is rejected: {why}"
        if any(r.startswith("system") for r in reasons):
            failure.text += " (its system description fails; see that test case)"
    others = [f for f in content.findings if not f.fails]
    if others:
        ET.SubElement(case, "system-out").text = "\n\n".join(_detail(f) for f in others)


def build(report: Any) -> ET.Element:
    """The ``<testsuites>`` element of a report."""
    cases = _cases(report)
    suites = ET.Element("testsuites", name="subcheck")
    suite = ET.SubElement(suites, "testsuite", name=f"subcheck {printable(report.version)}")
    failures = 0  # failed test cases, as JUnit counts them
    for (classname, name), content in sorted(cases.items()):
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
        failures += content.fails
        _fill(case, content)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suites.set("tests", str(len(cases)))
    suites.set("failures", str(failures))
    return suites


@reporter("junit")
def write_junit(report: Any, out: TextIO) -> None:
    tree = ET.ElementTree(build(report))
    ET.indent(tree)
    body = ET.tostring(tree.getroot(), encoding="unicode")
    write_safely(out, f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n', errors="xmlcharrefreplace")
