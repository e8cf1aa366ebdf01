"""The bundled JSON Schemas under ``schemas/``: loaded and compiled once per process, and described in words.

Every validation of evidence (system descriptions, measurements) and of our own inputs (rule, waiver and
audit-threshold files) goes through here, so a schema is read once and its errors are named the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from checker import schema_memo

if TYPE_CHECKING:  # imported where used: loading a stored report needs no schema
    import jsonschema


@lru_cache(maxsize=32)
def load_schema(name: str) -> dict[str, Any]:
    """The schema at ``schemas/<name>`` (e.g. ``inference/measurements.schema.json``); callers must not mutate it."""
    from checker.ruleset import data_dir  # ruleset validates with this module: import it only when used

    return json.loads((data_dir("schemas") / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=32)
def validator(
    name: str, required: tuple[str, ...] | None = None, formats: bool = False
) -> jsonschema.Draft202012Validator:
    """A compiled validator for ``schemas/<name>``; ``required`` replaces the schema's required fields (the
    rounds differ only in that data); ``formats`` also checks ``format`` keywords.
    """
    import jsonschema

    schema = load_schema(name)
    if required is not None:
        schema = {**schema, "required": list(required)}
    checker = jsonschema.FormatChecker() if formats else None
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


def errors_of(
    name: str, data: Any, required: tuple[str, ...] | None = None, formats: bool = False
) -> list[jsonschema.ValidationError]:
    """The schema errors of ``data``, memoised by its content: a round repeats the same measurements and system
    JSON in hundreds of results, and validation costs a millisecond each. Callers must not mutate the errors.
    """
    try:
        content = json.dumps(data, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError, RecursionError):  # not plain JSON data: validate it as it is, uncached
        return list(validator(name, required, formats).iter_errors(data))
    return list(_errors_of(name, content, required, formats))


@lru_cache(maxsize=512)
def _errors_of(
    name: str, content: str, required: tuple[str, ...] | None, formats: bool
) -> tuple[jsonschema.ValidationError, ...]:
    """Validated once per process; with :mod:`checker.schema_memo` on, a pass of an earlier run is not repeated."""
    # not with formats: which formats jsonschema checks depends on the optional libraries installed
    remembered = schema_memo.enabled() and not formats
    memo = schema_memo.key(load_schema(name), content, required, formats) if remembered else None
    if schema_memo.passed_before(memo):
        return ()
    errors = tuple(validator(name, required, formats).iter_errors(json.loads(content)))
    if not errors:
        schema_memo.remember_pass(memo)
    return errors


def expected_type(schema: dict[str, Any], name: str, default: str = "the type the schema declares") -> str:
    """What a field must be, in words: the description of the ``$defs`` entry its property refers to."""
    prop = schema.get("properties", {}).get(name, {})
    ref = str(prop.get("$ref", ""))
    target = schema.get("$defs", {}).get(ref.rsplit("/", 1)[-1], prop) if ref.startswith("#/$defs/") else prop
    if "description" in target:
        return str(target["description"])
    if "enum" in target:
        return "one of " + ", ".join(map(str, target["enum"]))
    return default


def json_path(parts: Iterable[Any]) -> str:
    """``$.models.resnet[0]``: where in a document a schema error is, as our messages name it."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
