"""Human-readable report: one block per finding, grouped by severity, then a one-line summary.

Every path, message and cell goes through :func:`~checker.reporters.safe.printable`, so a file name
with a newline or an escape sequence cannot fake a line or recolour the terminal. Paths are printed
whole, exactly as the report holds them.
"""

from __future__ import annotations

from typing import Any, TextIO

from checker.findings import Finding
from checker.reporters import reporter
from checker.reporters.safe import printable, write_safely
from checker.reporters.verdicts import rejections


def _value(value: Any) -> str:
    text = printable(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _location(finding: Finding) -> str:
    location = printable(finding.path)
    if finding.line is not None:
        return f"{location}:{finding.line}"
    if finding.key:
        return f"{location}[{printable(finding.key)}]"
    return location


def format_finding(finding: Finding) -> str:
    waived = f" (waived: {printable(finding.waived)})" if finding.waived else ""
    head = f"{_location(finding)}: {printable(finding.code)} {finding.severity.value}: {printable(finding.message)}"
    lines = [head + waived]
    if finding.expected is not None or finding.found is not None:
        lines.append(f"    expected: {_value(finding.expected)}   found: {_value(finding.found)}")
    lines.append(f"    fix: {printable(finding.fix)}")
    return "\n".join(lines)


RESULTS_SHOWN = 200


def _shown(value: Any) -> str:
    return f"{value:,.6g}" if isinstance(value, float) else printable("" if value is None else value)


def format_results(report: Any) -> str:
    """A compact results table: where, what was measured, and whether it counts (as JUnit and SARIF judge it)."""
    rows: list[dict[str, Any]] = [r for r in report.rows if r.get("Location")]
    if not rows:
        return ""
    if len(report.rows) > RESULTS_SHOWN:
        return f"{len(report.rows)} result rows (use --format csv for the table)\n\n"
    rejected = rejections(report)
    listed = {str(r["Location"]) for r in rows}
    rows += [{"Location": rel, "Result": "-", "Units": ""} for rel in sorted(rejected) if rel not in listed]
    width = max(len(printable(r["Location"])) for r in rows)
    lines = ["Results:"]
    for row in rows:
        rel = str(row["Location"])
        verdict = f"REJECTED ({printable(' '.join(rejected[rel]))})" if rel in rejected else "ok"
        units = printable(row.get("Units") or "")
        lines.append(f"  {printable(rel):<{width}}  {_shown(row.get('Result')):>12} {units:<14} {verdict}")
    return "\n".join(lines) + "\n\n"


def format_summary(report: Any) -> str:
    """The last line: verdict, counts of results and of findings by severity."""
    order = {"error": 0, "warning": 1, "review": 2, "notice": 3, "waived": 4}
    counts: dict[str, int] = {}
    for finding in report.findings:
        if not finding.waived:
            counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
    waived = sum(1 for f in report.findings if f.waived)
    if waived:
        counts["waived"] = waived
    severities = ", ".join(
        f"{n} {s}{'s' if n != 1 and s != 'waived' else ''}"
        for s, n in sorted(counts.items(), key=lambda i: order[i[0]])
    )
    verdict = "FAILED" if report.exit_code else "PASSED"
    evidence = getattr(report, "evidence", "")
    detected = evidence and evidence != "as given" and not evidence.startswith("from ")
    detected = evidence and evidence != "as given" and not evidence.startswith("from ")
    how = f" ({printable(evidence)})" if detected else ""
    return (
        f"\n{verdict}: {report.results_checked} results checked against {printable(report.version)}{how}, "
        f"{report.accepted} accepted, {len(report.rejected)} rejected; {severities or 'no findings'}\n"
    )


@reporter("text")
def write_text(report: Any, out: TextIO) -> None:
    order = {"error": 0, "warning": 1, "review": 2, "notice": 3}
    parts = [format_results(report)]
    for finding in sorted(report.findings, key=lambda f: (order[f.severity.value], f.path, f.line or 0)):
        parts.append(format_finding(finding) + "\n")
    parts.append(format_summary(report))
    write_safely(out, "".join(parts))
