"""How much of a report a person asked to see: width, hidden notices, every result, or only the verdict.

The machine formats always carry every finding at or above ``--min-severity``; the view shapes the text report.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TextIO

from checker.findings import Finding, Severity

DEFAULT_WIDTH = 120  # columns of a report that does not go to a terminal (a file, a CI log)
MIN_WIDTH = 60


@dataclass(frozen=True)
class View:
    """``show_notices``: list notices that need no action; ``show_results``: every result, also clean ones."""

    width: int = DEFAULT_WIDTH
    show_notices: bool = False
    show_results: bool = False
    quiet: bool = False

    def shows(self, finding: Finding) -> bool:
        """Whether the text report lists ``finding`` (the count table counts it either way)."""
        return self.show_notices or not needs_no_action(finding)


def needs_no_action(finding: Finding) -> bool:
    """A notice whose fix says there is nothing to fix (CO008 on truncated logs, DV004 inferred results)."""
    return finding.severity is Severity.NOTICE and finding.fix.lstrip().lower().startswith("nothing to fix:")


def width_for(stream: TextIO) -> int:
    """The terminal's width when ``stream`` is one, else the fixed width of files and CI logs."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH
