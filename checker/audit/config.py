"""The audit thresholds: ``rules/audit/defaults.yaml`` validated by ``schemas/audit.schema.json``.

Thresholds are data so that a review committee can tune them without touching the rule functions.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from checker.ruleset import RulesetError, data_dir


def default_path() -> Path:
    return data_dir("rules") / "audit" / "defaults.yaml"


@lru_cache(maxsize=8)
def load_config(path: str | None = None) -> dict[str, Any]:
    """The validated thresholds; a broken file is a :class:`RulesetError` (exit code 2), never a guess."""
    file = Path(path) if path else default_path()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesetError(file, "audit threshold file not found") from exc
    except yaml.YAMLError as exc:
        raise RulesetError(file, f"not valid YAML: {exc}") from exc
    schema = json.loads((data_dir("schemas") / "audit.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.absolute_path)
        raise RulesetError(file, first.message, where)
    return data
