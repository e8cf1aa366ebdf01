"""The audit thresholds: ``rules/audit/defaults.yaml`` validated by ``schemas/audit.schema.json``.

Thresholds are data so that a review committee can tune them without touching the rule functions.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from checker.parsers.text import INPUT_CAP, ReadFailure, read_text
from checker.ruleset import RulesetError, data_dir
from checker.schemas import json_path, validator


def default_path() -> Path:
    return data_dir("rules") / "audit" / "defaults.yaml"


@lru_cache(maxsize=8)
def load_config(path: str | None = None) -> dict[str, Any]:
    """The validated thresholds; a broken file is a :class:`RulesetError` (exit code 2), never a guess."""
    file = Path(path) if path else default_path()
    read = read_text(file, INPUT_CAP, allow_empty=True, strict=True)  # bounded; a FIFO is refused, not waited on
    if read.kind is ReadFailure.missing:
        raise RulesetError(file, "audit threshold file not found")
    if not read.ok:
        raise RulesetError(file, f"audit threshold file {read.error}")
    try:
        data = yaml.safe_load(read.text)
    except yaml.YAMLError as exc:
        raise RulesetError(file, f"not valid YAML: {exc}") from exc
    errors = sorted(validator("audit.schema.json", formats=True).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise RulesetError(file, errors[0].message, json_path(errors[0].absolute_path))
    return data
