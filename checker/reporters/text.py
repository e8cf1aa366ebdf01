"""The report people read: findings grouped by result, within the width, ending with a count per code.

Each result with something to say gets one header line (where, what was measured, accepted or why not) and its
findings under it, paths relative to the result. Long paths lose their middle, long messages wrap. Notices that
need no action are counted in one line unless asked for, and a fix already shown is not repeated (``-v`` shows
everything). Every path, message and value goes through :func:`~checker.reporters.safe.printable`, so a file name
with a newline or an escape sequence cannot fake a line or recolour the terminal.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Any, TextIO

from checker.findings import Finding
from checker.reporters import reporter
from checker.reporters.human import human, middle, plain
from checker.reporters.safe import printable, write_safely
from checker.reporters.verdicts import rejections
from checker.reporters.view import View, width_for

RESULTS_LISTED = 30  # up to this many results, clean ones are listed too; beyond, they are counted
ORDER = {"error": 0, "warning": 1, "review": 2, "notice": 3}
ROOT_GROUP = "(the whole tree)"
SIBLINGS = ("compliance", "measurements")


def wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """``text`` wrapped to ``width`` with the given indents; long words (paths) are cut, never overflow."""
    return textwrap.wrap(
        text, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False, drop_whitespace=True
    ) or [first.rstrip()]


def _shown(value: Any) -> str:
    return f"{value:,.6g}" if isinstance(value, float) else printable("" if value is None else value)


def _where(finding: Finding, group: str) -> str:
    """The finding's file relative to its group (the result folder), with its line or key."""
    path = finding.path
    if group and path.startswith(group + "/"):
        path = path[len(group) + 1 :]
    elif path == group:
        path = ""
    else:  # the split layout's sibling folders of a result: closed/X/compliance/<system>/<benchmark>/<scenario>/...
        for sibling in SIBLINGS:
            twin = group.replace("/results/", f"/{sibling}/", 1)
            if twin != group and path.startswith(twin + "/"):
                path = f"{sibling}/{path[len(twin) + 1 :]}"
                break
    path = printable(path)
    if finding.line is not None:
        return f"{path}:{finding.line}" if path else f"line {finding.line}"
    if finding.key:
        return f"{path}[{printable(finding.key)}]"
    return path


def format_finding(
    finding: Finding, group: str, width: int, fixes_shown: set[tuple[str, str]] | None = None
) -> list[str]:
    """One finding as indented lines: where and what, expected and found, then the fix (once per code and text)."""
    where = middle(_where(finding, group), max(20, width // 2))
    waived = f" (waived: {printable(finding.waived)})" if finding.waived else ""
    head = f"{where}: " if where else ""
    text = f"{head}{printable(finding.code)} {finding.severity.value}: {plain(finding.message)}{waived}"
    lines = wrap(text, width, "  ", "      ")
    if finding.expected is not None or finding.found is not None:
        room = max(20, width - 24)
        values = f"expected: {human(finding.expected, room)}   found: {human(finding.found, room)}"
        lines += wrap(values, width, "      ", "        ")
    fix = plain(finding.fix)
    if fixes_shown is None or (finding.code, fix) not in fixes_shown:
        lines += wrap(f"fix: {fix}", width, "      ", "        ")
        if fixes_shown is not None:
            fixes_shown.add((finding.code, fix))
    return lines


def _metrics(report: Any) -> dict[str, str]:
    """Result location -> what it measured (a power result adds its power row)."""
    shown: dict[str, list[str]] = {}
    for row in report.rows:
        rel = str(row.get("Location") or "")
        if rel:
            units = printable(row.get("Units") or "")
            shown.setdefault(rel, []).append(f"{_shown(row.get('Result'))} {units}".strip())
    return {rel: ", ".join(values) for rel, values in shown.items()}


@dataclass(frozen=True)
class Columns:
    """Widths that line result headers up: the path (cut in the middle when needed) and the measured value."""

    path: int
    metric: int

    @classmethod
    def fit(cls, rows: list[tuple[str, str, str]], width: int) -> Columns:
        """The widths that line up the most (path, metric, verdict) rows within ``width``; the rest go unaligned."""
        best, most = cls(0, 0), -1
        for path in sorted({len(p) for p, _, _ in rows}):
            for metric in sorted({len(m) for _, m, _ in rows}):
                fits = sum(
                    1 for p, m, v in rows if len(p) <= path and len(m) <= metric and path + metric + len(v) + 4 <= width
                )
                if fits > most:
                    best, most = cls(path, metric), fits
        return best

    def header(self, rel: str, metric: str, verdict: str, width: int) -> str:
        shown = printable(rel)
        line = f"{shown:<{self.path}}  {metric:>{self.metric}}  {verdict}"
        if len(shown) <= self.path and len(metric) <= self.metric and len(line) <= width:
            return line
        room = max(20, width - len(metric) - len(verdict) - 4)
        return f"{middle(shown, room)}  {metric}  {verdict}"[:width]


def _owner(path: str, units: set[str]) -> str:
    """The unit a round-level finding (an audit's) is about: the result folder or system its path lies in."""
    parts = path.removesuffix(".json").split("/")
    for end in range(len(parts), 0, -1):
        if "/".join(parts[:end]) in units:
            return "/".join(parts[:end])
    return ROOT_GROUP


def format_groups(report: Any, view: View) -> tuple[list[str], int]:
    """The grouped findings and result headers; also how many clean results were counted, not listed."""
    rejected = rejections(report)
    metrics = _metrics(report)
    results = set(metrics) | set(rejected)
    groups: dict[str, list[Finding]] = {}
    units = results | {f.unit for f in report.findings}
    for finding in report.findings:
        if view.shows(finding):
            unit = finding.unit if finding.unit not in ("", ".") else _owner(finding.path, units)
            groups.setdefault(unit, []).append(finding)
    listed = view.show_results or len(results) <= RESULTS_LISTED
    keys = set(groups) | set(rejected) | (results if listed else set())
    fixes: set[tuple[str, str]] | None = None if view.show_results else set()
    verdicts = {key: f"REJECTED ({printable(' '.join(rejected[key]))})" if key in rejected else "ok" for key in results}
    columns = Columns.fit([(printable(k), metrics.get(k, ""), verdicts[k]) for k in keys if k in results], view.width)
    lines: list[str] = []
    for key in sorted(keys, key=lambda k: (k != ROOT_GROUP, k)):
        found = sorted(groups.get(key, []), key=lambda f: (ORDER[f.severity.value], f.path, f.line or 0))
        if key in results:
            lines.append(columns.header(key, metrics.get(key, ""), verdicts[key], view.width))
        else:
            paths = {f.path for f in found}
            key = paths.pop() if len(paths) == 1 and key != ROOT_GROUP else key
            lines.append(middle(printable(key), view.width))
        for finding in found:
            lines += format_finding(finding, key, view.width, fixes)
    clean = 0 if listed else len(results - keys)
    return lines, clean


def format_counts(report: Any, width: int) -> list[str]:
    """One line per rule code: severity, how many findings, and the rule's summary."""
    from checker.registry import load_all

    counts = Counter((f.code, f.severity.value) for f in report.findings)
    if not counts:
        return []
    known: dict[str, str] = getattr(report, "summaries", None) or {}
    if all(code in known for code, _ in counts):
        registry = {}
    else:
        registry = load_all(audit=any(code.startswith("AU") for code, _ in counts))
    lines = [f"{'code':<6} {'severity':<8}  {'count':>5}  summary"]
    for (code, severity), count in sorted(counts.items(), key=lambda i: (ORDER[i[0][1]], i[0][0])):
        rule = registry.get(code)
        summary = plain(known[code] if code in known else rule.summary if rule else "")
        line = f"{printable(code):<6} {severity:<8}  {count:>5}  {summary}"
        lines.append(line if len(line) <= width else line[: width - 3] + "...")
    return lines


def verdict_line(report: Any) -> str:
    """The verdict, counts of results and of findings by severity, on one line."""
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
    how = f" ({printable(evidence)})" if detected else ""
    return (
        f"{verdict}: {report.results_checked} results checked against {printable(report.version)}{how}, "
        f"{report.accepted} accepted, {len(report.rejected)} rejected; {severities or 'no findings'}"
    )


def format_summary(report: Any, width: int | None = None) -> str:
    """The verdict paragraph at the end of the report (wrapped when ``width`` is given)."""
    line = verdict_line(report)
    return "\n" + ("\n".join(wrap(line, width, "", "  ")) if width else line) + "\n"


def render(report: Any, view: View) -> str:
    """The whole text report for ``view``."""
    if view.quiet:
        return format_summary(report, view.width).lstrip("\n")
    lines, clean = format_groups(report, view)
    hidden = [f for f in report.findings if not view.shows(f)]
    notes = []
    if clean:
        what = "result" if clean == 1 else "results"
        notes.append(f"{clean} more {what} accepted without findings (-v lists every result)")
    if hidden:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(Counter(f.code for f in hidden).items()))
        what = "notice that needs" if len(hidden) == 1 else "notices that need"
        notes.append(f"{len(hidden)} {what} no action not shown ({codes}); --show notices lists them")
    if notes and lines:
        lines.append("")
    for note in notes:
        lines += wrap(note, view.width, "", "  ")
    counts = format_counts(report, view.width)
    if counts:
        lines += ["", *counts]
    return "\n".join(lines) + "\n" + format_summary(report, view.width) if lines else format_summary(report).lstrip()


@reporter("text", view=True)
def write_text(report: Any, out: TextIO, view: View | None = None) -> None:
    write_safely(out, render(report, view or View(width=width_for(out))))
