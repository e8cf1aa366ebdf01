"""GitHub Actions workflow commands: each finding becomes an annotation on the file (and line) it names.

GitHub resolves ``file=`` against the repository root, so paths are prefixed with the checked
tree's place in its git work tree (empty when the tree is the repository root). Text is made
printable, keeping CR and LF, which the runner's own escaping (``%0D``, ``%0A``) carries.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from checker.findings import Finding, Severity
from checker.reporters import reporter
from checker.reporters.human import VALUE_CAP, human, plain
from checker.reporters.safe import printable, write_safely

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice", Severity.REVIEW: "notice"}


def escape_data(text: str) -> str:
    """Escape a message as the runner expects (``%``, CR and LF); other control characters are made printable."""
    return printable(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as a message, plus ``:`` and ``,`` which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@lru_cache(maxsize=16)
def repo_prefix(root: str) -> str:
    """The checked root relative to the enclosing git work tree ('' at the top or outside git)."""
    start = Path(root).resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            rel = start.relative_to(folder).as_posix()
            return "" if rel == "." else rel
    return ""


def repo_path(root: str, path: str) -> str:
    """A finding's path as GitHub wants it: relative to the repository root."""
    prefix = repo_prefix(root)
    if path in ("", "."):
        return prefix
    return f"{prefix}/{path}" if prefix else path


def message_text(finding: Finding) -> str:
    """The annotation body: the message, expected/found, the fix, and the waiver if any."""
    lines = [plain(finding.message, keep="\r\n")]
    if finding.key:
        lines[0] = f"{lines[0]} [{finding.key}]"
    if finding.expected is not None or finding.found is not None:
        lines.append(f"expected: {human(finding.expected, VALUE_CAP)}; found: {human(finding.found, VALUE_CAP)}")
    lines.append("fix: " + plain(finding.fix, keep="\r\n"))
    if finding.waived:
        lines.insert(0, f"[waived: {finding.waived}]")
    return "\n".join(lines)


def annotation(finding: Finding, root: str) -> str:
    """One ``::level file=...,line=...,title=CODE::message`` line; a waived finding is only a notice."""
    level = "notice" if finding.waived else LEVELS[finding.severity]
    props = []
    path = repo_path(root, finding.path)
    if path:
        props.append(f"file={escape_property(path)}")
    if finding.line is not None and finding.line > 0:
        props.append(f"line={finding.line}")
    props.append(f"title={escape_property(str(finding.code))}")
    return f"::{level} {','.join(props)}::{escape_data(message_text(finding))}"


@reporter("github")
def write_github(report: Any, out: TextIO) -> None:
    lines = [annotation(finding, report.root) for finding in report.findings]
    verdict = "FAILED" if report.exit_code else "PASSED"
    summary = (
        f"subcheck {verdict}: {report.results_checked} results checked against {printable(report.version)}, "
        f"{report.errors} errors, {len(report.findings)} findings"
    )
    write_safely(out, "\n".join([*lines, summary]) + "\n")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary and os.environ.get("GITHUB_ACTIONS") == "true":
        try:
            with open(step_summary, "a", encoding="utf-8") as stream:
                stream.write(summary + "\n")
        except OSError:
            pass  # the job summary is a courtesy; the annotations above are the report
