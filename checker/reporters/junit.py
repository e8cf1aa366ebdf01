"""JUnit XML: one test case per result, so CI test dashboards list each result as passed or failed.

A result's test case is ``classname=<division>/<submitter>/<system>``, ``name=<benchmark>/<scenario>``;
each failing finding is a ``<failure>``. Findings on systems, submitters and the tree get test
cases of their own; other findings (warnings, notices, waived errors) go to ``<system-out>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, TextIO

from checker.findings import Finding
from checker.reporters import reporter


def case_name(unit: str) -> tuple[str, str]:
    """(classname, name) of the test case a finding's unit belongs to."""
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
    lines = [f"{finding.location}: {finding.code} {finding.severity.value}: {finding.message}"]
    if finding.expected is not None or finding.found is not None:
        lines.append(f"expected: {finding.expected}   found: {finding.found}")
    lines.append(f"fix: {finding.fix}")
    if finding.waived:
        lines.append(f"waived: {finding.waived}")
    return "\n".join(lines)


def build(report: Any) -> ET.Element:
    """The ``<testsuites>`` element of a report."""
    cases: dict[tuple[str, str], list[Finding]] = {}
    for row in report.rows:
        if row.get("Location"):
            cases.setdefault(case_name(str(row["Location"])), [])
    for rel in report.rejected:
        cases.setdefault(case_name(rel), [])
    for finding in report.findings:
        cases.setdefault(case_name(finding.unit or finding.path), []).append(finding)
    suites = ET.Element("testsuites", name="subcheck")
    suite = ET.SubElement(suites, "testsuite", name=f"subcheck {report.version}")
    failures = 0  # failed test cases, as JUnit counts them
    for (classname, name), findings in sorted(cases.items()):
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
        failures += any(f.fails for f in findings)
        for finding in findings:
            if finding.fails:
                failure = ET.SubElement(
                    case, "failure", message=f"{finding.code}: {finding.message}", type=finding.code
                )
                failure.text = _detail(finding)
        others = [f for f in findings if not f.fails]
        if others:
            ET.SubElement(case, "system-out").text = "\n\n".join(_detail(f) for f in others)
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
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    tree.write(out, encoding="unicode")
    out.write("\n")
