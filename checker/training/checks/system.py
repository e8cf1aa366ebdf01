"""TS: system description rules (systems/<system>.json), validated by the round's JSON Schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from checker.findings import Problem, Severity
from checker.numbers import shown
from checker.registry import rule
from checker.schemas import errors_of, expected_type, load_schema
from checker.training.context import SystemContext

if TYPE_CHECKING:  # only for the types: a remembered pass (checker.schema_memo) imports no jsonschema
    import jsonschema


def _schema(name: str) -> dict[str, Any]:
    return load_schema(f"training/{name}")


def _errors(ctx: SystemContext) -> list[jsonschema.ValidationError]:
    """Schema errors of the description, in a stable order (field, then message)."""
    errors = errors_of(f"training/{ctx.rules['system']['schema']}", ctx.desc.data)
    return sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message))


def _count_error(ctx: SystemContext, error: jsonschema.ValidationError) -> bool:
    """A wrong value (not a missing key) of a count field: TS003's, not TS002's."""
    return bool(error.absolute_path) and str(error.absolute_path[0]) in ctx.rules["system"].get("count_fields", [])


def _expected(schema: dict[str, Any], name: str) -> str:
    return expected_type(schema, name, default="whole number")


def _key(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    return ".".join(p for p in parts if p) or "$"


@rule(
    "TS001",
    "system-json-unreadable",
    scope="system",
    suite="training",
    fix="Make systems/<system>.json a valid UTF-8 JSON object.",
)
def system_json_unreadable(ctx: SystemContext) -> Iterator[Problem]:
    """A system description cannot be read as a JSON object.

    Fails: a trailing comma in ``systems/sys.json``. Passes: a valid JSON object.
    """
    if ctx.desc.error and ctx.path.exists():
        yield Problem(ctx.rel(ctx.path), ctx.desc.error, line=ctx.desc.line)


@rule(
    "TS002",
    "system-field-invalid",
    scope="system",
    suite="training",
    fix="Fill every required field; use an allowed status and division (see schemas/training/).",
)
def system_field_invalid(ctx: SystemContext) -> Iterator[Problem]:
    """A system description lacks a required field or has a value the round does not allow.

    Fails: no ``cooling`` field; ``status`` = "available". Passes: all 33 fields, status "Available cloud".
    """
    if ctx.desc.data is None:
        return
    schema = _schema(ctx.rules["system"]["schema"])
    for error in _errors(ctx):
        if _count_error(ctx, error):
            continue  # TS003
        expected: Any = error.validator_value if error.validator in ("enum", "const", "type") else None
        message = error.message
        if error.absolute_path and error.validator in ("anyOf", "pattern", "type"):
            expected = _expected(schema, str(error.absolute_path[0]))
            message = f"{_key(error)} must be {expected}"
        found = shown(error.instance) if error.validator != "required" else None
        yield Problem(ctx.rel(ctx.path), message, key=_key(error), expected=expected, found=found)


@rule(
    "TS003",
    "system-count-not-integer",
    scope="system",
    suite="training",
    fix="Write number_of_nodes, host_processors_per_node and accelerators_per_node as whole numbers.",
)
def system_count_not_integer(ctx: SystemContext) -> Iterator[Problem]:
    """A count field is not a whole number, or there are 0 nodes (the official summarizer crashes on e.g. "1 node").

    Fails: ``"number_of_nodes": "1 node"``; ``"number_of_nodes": 0``. Passes: ``"number_of_nodes": "1"``.
    The fields are ``system.count_fields`` of the rule file; their types come from the round's schema.
    """
    data = ctx.desc.data
    if data is None:
        return
    schema = _schema(ctx.rules["system"]["schema"])
    reported: set[str] = set()
    for error in _errors(ctx):
        if not _count_error(ctx, error):
            continue
        name = str(error.absolute_path[0])
        if name in reported:
            continue
        reported.add(name)
        value, expected = data.get(name), _expected(schema, name)
        yield Problem(
            ctx.rel(ctx.path),
            f"{name} {shown(value)!r} is not a {expected}",
            key=name,
            expected=expected,
            found=shown(value),
        )


@rule(
    "TS004",
    "system-json-unused",
    scope="system",
    suite="training",
    severity=Severity.NOTICE,
    fix="Remove system descriptions that no results/<system>/ folder uses, or add their results.",
)
def system_json_unused(ctx: SystemContext) -> Iterator[Problem]:
    """A system description has no results/<system>/ folder (it is still checked, as officially).

    Fails: ``systems/old.json`` without ``results/old/``. Passes: every JSON has results.
    """
    if ctx.system is None and ctx.path.exists():
        yield Problem(ctx.rel(ctx.path), "no results folder uses this system description")
