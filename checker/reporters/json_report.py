"""Machine-readable report: findings and results (schema: ``schemas/report.schema.json``)."""

from __future__ import annotations

import json
import math
from typing import Any, TextIO

from checker import __version__
from checker.reporters import reporter
from checker.reporters.safe import printable


def as_document(report: Any) -> dict[str, Any]:
    """The report as plain JSON values; every string is printable (no control characters, no lone surrogates)."""
    return _plain(
        {
            "tool": {"name": "subcheck", "version": __version__},
            "root": report.root,
            "ruleset": report.version,
            "ruleset_evidence": getattr(report, "evidence", ""),
            "summary": {
                "results_checked": report.results_checked,
                "results_accepted": report.accepted,
                "results_rejected": len(report.rejected),
                "errors": report.errors,
                "findings": len(report.findings),
                "exit_code": report.exit_code,
            },
            "findings": [f.to_record() for f in report.findings],
            "results": report.rows,
            "rejected": sorted(report.rejected),
        }
    )


def _plain(value: Any) -> Any:
    """JSON values only: printable strings (keys too), finite numbers, and any other object as its text."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return {printable(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return printable(value)  # a path, a numpy scalar: its text, as ``default=str`` gave


@reporter("json")
def write_json(report: Any, out: TextIO) -> None:
    out.write(json.dumps(as_document(report), indent=2) + "\n")  # ASCII: valid in any encoding
