"""How much of a report a person asked to see: width, hidden notices, every result, or only the verdict.

The machine formats always carry every finding at or above ``--min-severity``; the view shapes the text report.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.findings import Finding, Severity
from checker.width import DEFAULT_WIDTH, MIN_WIDTH, width_for

__all__ = ["DEFAULT_WIDTH", "MIN_WIDTH", "View", "needs_no_action", "width_for"]


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
