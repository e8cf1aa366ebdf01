"""The bundled JSON Schemas under ``schemas/``: loaded and compiled once per process, and described in words.

Every validation of evidence (system descriptions, measurements) and of our own inputs (rule, waiver and
audit-threshold files) goes through here, so a schema is read once and its errors are named the same way.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable, Iterable
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

    A document :func:`proves_valid` shows valid has no errors, and jsonschema is not asked (nor imported): that
    is most documents of a round. Every other one is validated by jsonschema, which names its errors.
    """
    if not formats and proves_valid(name, data, required):
        if schema_memo.enabled():  # a pass, remembered as jsonschema's pass would be
            _remember(name, data, required)
        return []
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


def _remember(name: str, data: Any, required: tuple[str, ...] | None) -> None:
    """Store the pass unless it is stored already (a missing or damaged entry is written again)."""
    try:
        content = json.dumps(data, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        return
    memo = schema_memo.key(load_schema(name), content, required, False)
    if not schema_memo.passed_before(memo):
        schema_memo.remember_pass(memo)


# --- the proof of validity ------------------------------------------------------------------------------------------
# A compiled check answers True only where jsonschema (Draft 2020-12, no format checks) finds no error; False means
# "not shown", never "invalid". It knows a few keywords, each exactly as jsonschema's own code reads it (and a little
# stricter where that is simpler: 1.0 is no proven integer); a schema with any other keyword gets no check at all.
Check = Callable[[Any], bool]
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_ANNOTATIONS = frozenset({"description", "title", "$comment", "default", "examples"})
_KEYWORDS = frozenset(
    {"type", "enum", "const", "pattern", "minimum", "maximum", "minLength", "minItems", "minProperties", "required"}
    | {"properties", "additionalProperties", "items", "anyOf", "allOf", "$ref"}
)
_TYPES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "integer": lambda x: type(x) is int,
    "number": lambda x: type(x) is int or type(x) is float,
}


class _Unsupported(Exception):
    """The schema uses something the proof does not know: every document goes to jsonschema."""


def proves_valid(name: str, data: Any, required: tuple[str, ...] | None = None) -> bool:
    """Whether ``data`` is shown valid against ``schemas/<name>`` (with ``required``) without jsonschema."""
    check = _proof(name, required)
    if check is None:
        return False
    try:
        return check(data)
    except RecursionError:  # absurdly deep nesting: jsonschema decides
        return False


@lru_cache(maxsize=32)
def _proof(name: str, required: tuple[str, ...] | None) -> Check | None:
    schema = load_schema(name)
    if required is not None:
        schema = {**schema, "required": list(required)}
    return compile_proof(schema)


def compile_proof(schema: Any) -> Check | None:
    """The check of a whole schema, or None when it holds a keyword (or form) the proof does not know."""
    if not isinstance(schema, dict) or schema.get("$schema", _DRAFT) != _DRAFT:
        return None
    defs = schema.get("$defs", {})
    if not isinstance(schema.get("$id", ""), str) or not isinstance(defs, dict):
        return None
    body = {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
    try:
        return _Compiler(defs).compile(body)
    except _Unsupported:
        return None


class _Compiler:
    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.compiled: dict[str, list[Check]] = {}  # a $defs entry compiled once; a cell, so a cycle may refer to it

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda x: True
        if schema is False:
            return lambda x: False  # nothing is valid
        if not isinstance(schema, dict):
            raise _Unsupported(schema)
        checks = [self.keyword(key, value, schema) for key, value in schema.items() if key not in _ANNOTATIONS]
        checks = [c for c in checks if c is not None]
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:  # the usual pair (type and pattern, type and minimum), without a generator
            first, second = checks
            return lambda x: first(x) and second(x)
        return lambda x: all(check(x) for check in checks)

    def keyword(self, key: str, value: Any, schema: dict[str, Any]) -> Check | None:
        if key not in _KEYWORDS:
            raise _Unsupported(key)
        return getattr(self, "k_" + key.lstrip("$"))(value, schema)

    def k_type(self, value: Any, schema: dict[str, Any]) -> Check:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n in _TYPES for n in names):
            raise _Unsupported(value)
        tests = [_TYPES[n] for n in names]
        return tests[0] if len(tests) == 1 else lambda x: any(test(x) for test in tests)

    def k_enum(self, value: Any, schema: dict[str, Any]) -> Check:
        if not isinstance(value, list):
            raise _Unsupported(value)
        texts = frozenset(v for v in value if type(v) is str)
        others = [v for v in value if type(v) in (bool, int, type(None))]
        # jsonschema's equal(): text equals text only, True is not 1; so a member of the same type is a match
        return lambda x: x in texts if type(x) is str else any(type(v) is type(x) and v == x for v in others)

    def k_const(self, value: Any, schema: dict[str, Any]) -> Check:
        return self.k_enum([value], schema)

    def k_pattern(self, value: Any, schema: dict[str, Any]) -> Check:
        try:
            search = re.compile(value).search  # jsonschema: re.search(pattern, instance)
        except (TypeError, re.error):
            raise _Unsupported(value) from None
        return lambda x: not isinstance(x, str) or search(x) is not None

    def k_minimum(self, value: Any, schema: dict[str, Any]) -> Check:
        limit = _number(value)
        return lambda x: x >= limit if type(x) is int or type(x) is float else _not_a_number(x)

    def k_maximum(self, value: Any, schema: dict[str, Any]) -> Check:
        limit = _number(value)
        return lambda x: x <= limit if type(x) is int or type(x) is float else _not_a_number(x)

    def k_minLength(self, value: Any, schema: dict[str, Any]) -> Check:
        least = _count(value)
        return lambda x: not isinstance(x, str) or len(x) >= least

    def k_minItems(self, value: Any, schema: dict[str, Any]) -> Check:
        least = _count(value)
        return lambda x: not isinstance(x, list) or len(x) >= least

    def k_minProperties(self, value: Any, schema: dict[str, Any]) -> Check:
        least = _count(value)
        return lambda x: not isinstance(x, dict) or len(x) >= least

    def k_required(self, value: Any, schema: dict[str, Any]) -> Check:
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise _Unsupported(value)
        names = tuple(value)
        return lambda x: not isinstance(x, dict) or all(n in x for n in names)

    def k_properties(self, value: Any, schema: dict[str, Any]) -> Check:
        if not isinstance(value, dict):
            raise _Unsupported(value)
        checks = tuple((name, self.compile(sub)) for name, sub in value.items())

        def holds(x: Any) -> bool:
            if isinstance(x, dict):
                for name, check in checks:
                    if name in x and not check(x[name]):
                        return False
            return True

        return holds

    def k_additionalProperties(self, value: Any, schema: dict[str, Any]) -> Check | None:
        if value is True:
            return None
        if "patternProperties" in schema or not isinstance(schema.get("properties", {}), dict):
            raise _Unsupported(value)
        known = frozenset(schema.get("properties", {}))
        if value is False:
            return lambda x: not isinstance(x, dict) or all(k in known for k in x)
        check = self.compile(value)
        return lambda x: not isinstance(x, dict) or all(check(v) for k, v in x.items() if k not in known)

    def k_items(self, value: Any, schema: dict[str, Any]) -> Check:
        if "prefixItems" in schema:
            raise _Unsupported(value)
        check = self.compile(value)
        return lambda x: not isinstance(x, list) or all(check(v) for v in x)

    def k_anyOf(self, value: Any, schema: dict[str, Any]) -> Check:
        checks = self._list(value)
        return lambda x: any(check(x) for check in checks)  # one shown valid: anyOf holds

    def k_allOf(self, value: Any, schema: dict[str, Any]) -> Check:
        checks = self._list(value)
        return lambda x: all(check(x) for check in checks)

    def _list(self, value: Any) -> tuple[Check, ...]:
        if not isinstance(value, list) or not value:
            raise _Unsupported(value)
        return tuple(self.compile(sub) for sub in value)

    def k_ref(self, value: Any, schema: dict[str, Any]) -> Check:
        """Only ``#/$defs/<name>`` of the root, with no escapes in the name."""
        name = value[len("#/$defs/") :] if isinstance(value, str) and value.startswith("#/$defs/") else ""
        if not name or any(c in name for c in "~%/#") or name not in self.defs:
            raise _Unsupported(value)
        cell = self.compiled.get(name)
        if cell is None:
            cell = self.compiled[name] = []
            cell.append(self.compile(self.defs[name]))
        if cell:
            return cell[0]  # compiled: the entry's own check, called directly
        return lambda x: cell[0](x)  # a cycle: the entry refers to itself while it is compiled


def _number(value: Any) -> int | float:
    if type(value) not in (int, float):
        raise _Unsupported(value)
    return value


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise _Unsupported(value)
    return value


def _not_a_number(x: Any) -> bool:
    """A limit holds for what jsonschema does not take for a number (text, True); any other number: not shown."""
    return isinstance(x, bool) or not isinstance(x, numbers.Number)


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
