"""TS: system description rules (systems/<system>.json), validated by the round's JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import jsonschema

from checker.findings import Problem, Severity
from checker.registry import rule
from checker.ruleset import data_dir
from checker.training.context import SystemContext


@lru_cache(maxsize=8)
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((data_dir("schemas") / "training" / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _key(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    return ".".join(p for p in parts if p) or "$"


@rule("TS001", "system-json-unreadable", scope="system", suite="training",
      fix="Make systems/<system>.json a valid UTF-8 JSON object.")
def system_json_unreadable(ctx: SystemContext) -> Iterator[Problem]:
    """A system description cannot be read as a JSON object.

    Fails: a trailing comma in ``systems/sys.json``. Passes: a valid JSON object.
    """
    if ctx.desc.error and ctx.path.exists():
        yield Problem(ctx.rel(ctx.path), ctx.desc.error, line=ctx.desc.line)


@rule("TS002", "system-field-invalid", scope="system", suite="training",
      fix="Fill every required field; use an allowed status and division (see schemas/training/).")
def system_field_invalid(ctx: SystemContext) -> Iterator[Problem]:
    """A system description lacks a required field or has a value the round does not allow.

    Fails: no ``cooling`` field; ``status`` = "available". Passes: all 33 fields, status "Available cloud".
    """
    if ctx.desc.data is None:
        return
    validator = _validator(ctx.rules["system"]["schema"])
    errors = sorted(validator.iter_errors(ctx.desc.data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for error in errors:
        expected: Any = error.validator_value if error.validator in ("enum", "const", "type") else None
        found = error.instance if error.validator != "required" else None
        yield Problem(ctx.rel(ctx.path), error.message, key=_key(error), expected=expected, found=found)


@rule("TS003", "system-count-not-integer", scope="system", suite="training",
      fix="Write number_of_nodes, host_processors_per_node and accelerators_per_node as whole numbers.")
def system_count_not_integer(ctx: SystemContext) -> Iterator[Problem]:
    """A count field is not an integer (the official summarizer crashes on e.g. "1 node").

    Fails: ``"number_of_nodes": "1 node"``. Passes: ``"number_of_nodes": "1"``.
    """
    data = ctx.desc.data
    if data is None:
        return
    for name in ctx.rules["system"].get("count_fields", []):
        if name not in data:
            continue  # TS002 reports the missing field
        value = data[name]
        try:
            ok = not isinstance(value, bool) and int(value) >= 0
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            yield Problem(ctx.rel(ctx.path), f"{name} {value!r} is not a whole number", key=name, found=value)


@rule("TS004", "system-json-unused", scope="system", suite="training", severity=Severity.NOTICE,
      fix="Remove system descriptions that no results/<system>/ folder uses, or add their results.")
def system_json_unused(ctx: SystemContext) -> Iterator[Problem]:
    """A system description has no results/<system>/ folder (it is still checked, as officially).

    Fails: ``systems/old.json`` without ``results/old/``. Passes: every JSON has results.
    """
    if ctx.system is None and ctx.path.exists():
        yield Problem(ctx.rel(ctx.path), "no results folder uses this system description")
