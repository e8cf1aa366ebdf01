"""Parser for LoadGen's ``mlperf_log_detail.txt`` (``:::MLLOG {json}`` lines).

Written here rather than imported from the checker so the reference SUT stays independent.
Repeated keys keep the first value, as the official log parser does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MARKER = ":::MLLOG"


def parse_detail(path: Path) -> dict[str, Any]:
    """Return key -> value for every MLLOG line (first occurrence wins); raises on bad JSON."""
    values: dict[str, Any] = {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith(MARKER):
            continue
        record = json.loads(line[len(MARKER) :].strip())
        values.setdefault(record["key"], record.get("value"))
    return values


def errors(path: Path) -> list[str]:
    """Messages of MLLOG records flagged ``metadata.is_error``."""
    found = []
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(MARKER):
            record = json.loads(line[len(MARKER) :].strip())
            if record.get("metadata", {}).get("is_error"):
                found.append(f"{record['key']}: {record.get('value')}")
    return found
