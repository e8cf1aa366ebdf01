"""Human-readable report: one block per finding, grouped by severity, then a one-line summary."""

from __future__ import annotations

from typing import Any, TextIO

from checker.findings import Finding
from checker.reporters import reporter


def _value(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def format_finding(finding: Finding) -> str:
    waived = f" (waived: {finding.waived})" if finding.waived else ""
    lines = [f"{finding.location}: {finding.code} {finding.severity.value}: {finding.message}{waived}"]
    if finding.expected is not None or finding.found is not None:
        lines.append(f"    expected: {_value(finding.expected)}   found: {_value(finding.found)}")
    lines.append(f"    fix: {finding.fix}")
    return "\n".join(lines)


RESULTS_SHOWN = 200


def format_results(rows: list[dict[str, Any]]) -> str:
    """A compact results table: where, what was measured, and whether it counts."""
    if not rows or "Location" not in rows[0]:
        return ""
    if len(rows) > RESULTS_SHOWN:
        return f"{len(rows)} result rows (use --format csv for the table)\n\n"
    width = max(len(r["Location"]) for r in rows)
    lines = ["Results:"]
    for row in rows:
        verdict = "ok" if row.get("Valid") else f"REJECTED ({row.get('Findings')})"
        value = row["Result"]
        shown = f"{value:,.6g}" if isinstance(value, float) else str(value)
        lines.append(f"  {row['Location']:<{width}}  {shown:>12} {row['Units']:<14} {verdict}")
    return "\n".join(lines) + "\n\n"


@reporter("text")
def write_text(report: Any, out: TextIO) -> None:
    order = {"error": 0, "warning": 1, "review": 2, "notice": 3, "waived": 4}
    out.write(format_results(report.rows))
    for finding in sorted(report.findings, key=lambda f: (order[f.severity.value], f.path, f.line or 0)):
        out.write(format_finding(finding) + "\n")
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
    accepted = report.accepted
    verdict = "FAILED" if report.exit_code else "PASSED"
    out.write(
        f"\n{verdict}: {report.results_checked} results checked against {report.version}, {accepted} accepted, "
        f"{len(report.rejected)} rejected; {severities or 'no findings'}\n"
    )
