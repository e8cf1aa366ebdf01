"""The proof of validity (checker.schemas.proves_valid) never passes what jsonschema fails.

A document the proof shows valid is not given to jsonschema, so the proof must be sound: on the real system
descriptions and measurements of the shared data, on those documents damaged field by field, and on random small
schemas of the keywords it knows, a proven document has no jsonschema error, and errors_of reports exactly
jsonschema's errors. It must also serve the common case: every valid real document is proven.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from functools import lru_cache
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import schemas
from checker.rounds import Round
from tests.conftest import REPO, require_data

Doc = tuple[str, tuple[str, ...] | None, Any]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=1)
def real_documents() -> tuple[Doc, ...]:
    """(schema, required fields, document) of every system description and measurements JSON of the shared data."""
    inference = require_data("inference-v4.1")
    rules = Round.load("inference", "v4.1")
    sd, me = rules["system_description"], rules["measurements"]
    found: list[Doc] = []
    for pattern, name, required in (
        ("*/*/systems/*.json", sd["schema"], tuple(sd["required_fields"])),
        ("*/*/measurements/**/*.json", me["schema"], None),
    ):
        found += [(name, required, doc) for doc in _loaded(inference.glob(pattern))]
    training = require_data("training-v4.1")
    found += [("training/v4.1.json", None, doc) for doc in _loaded(training.glob("*/systems/*.json"))]
    return tuple(found)


def _loaded(paths: Any) -> list[Any]:
    docs = []
    for path in sorted(paths):
        try:
            docs.append(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, UnicodeDecodeError):
            continue  # unreadable evidence is SY001/ME002's, never validated
    return docs


def jsonschema_errors(name: str, data: Any, required: tuple[str, ...] | None) -> list[tuple[str, list[Any], str]]:
    schema = schemas.load_schema(name)
    if required is not None:
        schema = {**schema, "required": list(required)}
    return [_said(e) for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]


def _said(error: jsonschema.ValidationError) -> tuple[str, list[Any], str]:
    return error.message, list(error.absolute_path), str(error.validator)


def assert_sound(name: str, data: Any, required: tuple[str, ...] | None) -> bool:
    """The proof implies no jsonschema error, and errors_of says what jsonschema says; returns the proof."""
    expected = jsonschema_errors(name, data, required)
    proven = schemas.proves_valid(name, data, required)
    assert not (proven and expected), f"proved valid, jsonschema says {expected}"
    # errors_of validates the canonical (key-sorted) form it memoises by, as it did before the proof
    canonical = json.loads(json.dumps(data, sort_keys=True, allow_nan=True))
    assert [_said(e) for e in schemas.errors_of(name, data, required)] == jsonschema_errors(name, canonical, required)
    return proven


def test_every_valid_real_document_is_proven_and_every_invalid_one_keeps_its_errors() -> None:
    docs = real_documents()
    assert len(docs) > 300
    invalid = 0
    for name, required, doc in docs:
        proven = assert_sound(name, doc, required)
        valid = not jsonschema_errors(name, doc, required)
        assert proven == valid, (name, json.dumps(doc)[:300])  # the fast path serves every valid document
        invalid += not valid
    assert invalid, "the shared data holds system descriptions that fail the schema (missing fields)"


# --- damaged real documents ----------------------------------------------------------------------------------------
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=10),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 2.5, -1.0, 8.0]),
    st.sampled_from(["", " ", "\t\n", "0", "8", " 8 ", "007", "00", "2x", "N/A", "true", "False"]),
    st.sampled_from(["edge", "datacenter", "datacenter,edge", "edge,datacenter", "available", "closed"]),
    st.sampled_from(["1e3", "-1", "\u00a0", "x"]),
    st.text(max_size=6),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def damaged(draw: st.DrawFn) -> Doc:
    name, required, doc = draw(st.sampled_from(real_documents()))
    doc = copy.deepcopy(doc)
    if not isinstance(doc, dict):
        return name, required, doc
    fields = sorted(set(doc) | set(schemas.load_schema(name).get("properties", {})) | set(required or ()))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        field = draw(st.sampled_from(fields))
        if draw(st.booleans()) and field in doc:
            del doc[field]
        else:
            doc[field] = draw(JSON_VALUES)
    return name, required, doc


@FUZZ
@given(damaged())
def test_a_damaged_real_document_is_never_proven_when_jsonschema_fails_it(case: Doc) -> None:
    name, required, doc = case
    assert_sound(name, doc, required)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["inference/system-description.schema.json", "inference/measurements.schema.json"]), JSON_VALUES)
def test_any_json_value_as_a_whole_document(name: str, value: Any) -> None:
    assert_sound(name, value, None)


# --- random schemas of the keywords the proof knows ----------------------------------------------------------------
TYPES = st.sampled_from(["string", "integer", "number", "boolean", "null", "object", "array"])
LEAF_SCHEMAS = st.one_of(
    st.builds(lambda t: {"type": t}, st.one_of(TYPES, st.lists(TYPES, min_size=1, max_size=3))),
    st.builds(lambda v: {"enum": v}, st.lists(JSON_SCALARS, min_size=1, max_size=4)),
    st.builds(lambda v: {"const": v}, JSON_SCALARS),
    st.builds(lambda p: {"pattern": p}, st.sampled_from(["\\S", "^\\s*[0-9]+\\s*$", "^a", "x$", "^$"])),
    st.builds(lambda m: {"minimum": m}, st.one_of(st.integers(-2, 2), st.sampled_from([0.5, -0.5]))),
    st.builds(lambda m: {"maximum": m}, st.one_of(st.integers(-2, 2), st.sampled_from([0.5, -0.5]))),
    st.builds(lambda n: {"minLength": n}, st.integers(0, 3)),
    st.builds(lambda n: {"minItems": n}, st.integers(0, 3)),
    st.builds(lambda n: {"minProperties": n}, st.integers(0, 3)),
    st.builds(lambda r: {"required": r}, st.lists(st.sampled_from(["a", "b", ""]), max_size=2)),
    st.sampled_from([True, False, {}, {"description": "text"}]),
)
KEYS = st.sampled_from(["a", "b", "", "c"])
SCHEMAS = st.recursive(
    LEAF_SCHEMAS,
    lambda inner: st.one_of(
        st.builds(lambda s: {"properties": s}, st.dictionaries(KEYS, inner, max_size=3)),
        st.builds(
            lambda s, extra: {"properties": s, "additionalProperties": extra},
            st.dictionaries(KEYS, inner, max_size=2),
            inner,
        ),
        st.builds(lambda s: {"items": s}, inner),
        st.builds(lambda s: {"anyOf": s}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda s: {"allOf": s}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda s: {"$defs": {"d": s}, "$ref": "#/$defs/d"}, inner),
        st.builds(lambda a, b: {**a, **b} if isinstance(a, dict) and isinstance(b, dict) else a, inner, inner),
    ),
    max_leaves=5,
)
INSTANCES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(SCHEMAS, INSTANCES)
def test_a_random_schema_never_proves_what_jsonschema_fails(schema: Any, instance: Any) -> None:
    check = schemas.compile_proof(schema)
    if check is not None and check(instance):
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(instance))
        assert not errors, (schema, instance, [e.message for e in errors])


def test_what_the_proof_does_not_know_goes_to_jsonschema() -> None:
    assert schemas.compile_proof({"type": "string", "format": "date"}) is None
    assert schemas.compile_proof({"oneOf": [{"type": "string"}]}) is None
    assert schemas.compile_proof({"$ref": "other.json#/x"}) is None
    assert schemas.compile_proof({"$ref": "#/$defs/missing", "$defs": {}}) is None
    assert schemas.compile_proof({"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"}) is None
    assert schemas.compile_proof({"properties": {"a": {"$id": "x", "type": "string"}}}) is None
    assert schemas.compile_proof({"minimum": "3"}) is None
    assert schemas.compile_proof({"if": {"type": "string"}, "then": {"minLength": 1}}) is None
    # 1.0 is an integer for jsonschema; the proof does not show it, so jsonschema decides (and passes it)
    check = schemas.compile_proof({"type": "integer"})
    assert check is not None and check(1) and not check(1.0) and not check(True)
    name = "inference/system-description.schema.json"
    assert (
        not schemas.proves_valid(name, {"number_of_nodes": 1.0})
        and schemas.errors_of(name, {"number_of_nodes": 1.0}) == []
    )


def test_a_valid_document_needs_no_jsonschema() -> None:
    """The pass of a round's valid documents costs no import of jsonschema (a tenth of a second per process)."""
    name = "inference/system-description.schema.json"
    _, required, doc = next(d for d in real_documents() if d[0] == name and "cooling" in d[2] and d[1] is not None)
    code = (
        "import json, sys\nfrom checker import schemas\n"
        f"doc = json.loads({json.dumps(json.dumps(doc))})\n"
        f"assert schemas.errors_of('inference/system-description.schema.json', doc, {required!r}) == []\n"
        "assert 'jsonschema' not in sys.modules\n"
        "doc.pop('cooling')\n"
        f"assert schemas.errors_of('inference/system-description.schema.json', doc, {required!r})\n"
        "assert 'jsonschema' in sys.modules\n"
    )
    assert schemas.proves_valid(name, doc, required)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_proven_pass_is_remembered_once_in_ci(tmp_path: Any, monkeypatch: Any) -> None:
    """``ci`` remembers passes across runs; a proven pass is stored as jsonschema's was, and not written again."""
    from checker import schema_memo

    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(tmp_path))
    writes: list[Any] = []
    store = schema_memo.remember_pass
    monkeypatch.setattr(schema_memo, "remember_pass", lambda memo: (writes.append(memo), store(memo)))
    name, required, doc = next(d for d in real_documents() if d[0].startswith("inference/system") and d[1])
    assert schemas.proves_valid(name, doc, required)
    schema_memo.remember_passes(True)
    try:
        assert schemas.errors_of(name, doc, required) == [] and schemas.errors_of(name, doc, required) == []
        assert len(writes) == 1 and schema_memo.passed_before(writes[0])
    finally:
        schema_memo.remember_passes(False)
