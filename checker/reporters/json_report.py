"""Machine-readable report: findings and results (schema: ``schemas/report.schema.json``)."""

from __future__ import annotations

import json
import math
from typing import Any, TextIO

from checker import __version__
from checker.reporters import reporter


def as_document(report: Any) -> dict[str, Any]:
    return {
        "tool": {"name": "subcheck", "version": __version__},
        "root": report.root,
        "ruleset": report.version,
        "summary": {
            "results_checked": report.results_checked,
            "results_accepted": report.accepted,
            "results_rejected": len(report.rejected),
            "errors": report.errors,
            "findings": len(report.findings),
            "exit_code": report.exit_code,
        },
        "findings": [f.to_record() for f in report.findings],
        "results": [{k: _plain(v) for k, v in row.items()} for row in report.rows],
        "rejected": sorted(report.rejected),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@reporter("json")
def write_json(report: Any, out: TextIO) -> None:
    json.dump(as_document(report), out, indent=2, default=str)
    out.write("\n")
