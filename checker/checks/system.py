"""SY: the system description ``systems/<system>.json``, validated with the round's JSON Schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from checker.context import SystemContext
from checker.findings import Problem, Severity
from checker.numbers import shown
from checker.registry import rule
from checker.schemas import errors_of, expected_type, load_schema

if TYPE_CHECKING:  # only for the types: a remembered pass (checker.schema_memo) imports no jsonschema
    import jsonschema

# Fields with a rule of their own (SY005-SY009): SY003 leaves their type to that rule, so each problem is said once.
_OWN_RULE = frozenset({"status", "system_type", "submitter", "division"})


def schema_errors(ctx: SystemContext) -> list[jsonschema.ValidationError]:
    """Schema errors of the description, computed once per system and shared by the SY rules."""
    cached = getattr(ctx, "_schema_errors", None)
    if cached is None:
        sd = ctx.rules["system_description"]
        cached = errors_of(sd["schema"], ctx.data, tuple(sd["required_fields"])) if ctx.doc.ok else []
        ctx._schema_errors = cached  # type: ignore[attr-defined]
    return cached


def _field(error: jsonschema.ValidationError) -> str | None:
    return str(error.absolute_path[0]) if error.absolute_path else None


def _describe(ctx: SystemContext) -> bool:
    """Whether the description is judged: it exists and results use it (asked once per system, by eight rules)."""
    cached = getattr(ctx, "_describe", None)
    if cached is None:
        cached = ctx.has_results and ctx.json_path.is_file()
        ctx._describe = cached  # type: ignore[attr-defined]
    return cached


@rule(
    "SY001",
    "system-description-unreadable",
    scope="system",
    fix="Fix the JSON syntax (a JSON linter names the line) and save the file as UTF-8.",
)
def system_description_unreadable(ctx: SystemContext) -> Iterator[Problem]:
    """The system description is not a readable JSON object.

    Fails: a truncated ``{"division": "closed",``. Passes: a JSON object.
    """
    if ctx.json_path.is_file() and not ctx.doc.ok:
        yield Problem(
            ctx.rel(ctx.json_path),
            f"system description {ctx.doc.error}",
            line=ctx.doc.line,
            expected="a JSON object",
            found=ctx.doc.error,
        )


@rule(
    "SY002",
    "system-field-missing",
    scope="system",
    fix="Add the field to the system description; use a short honest value such as 'N/A' only for text fields.",
)
def system_field_missing(ctx: SystemContext) -> Iterator[Problem]:
    """A field the round requires is absent from the system description.

    Fails: a description without ``cooling``. Passes: every field of the round's list.
    """
    if not _describe(ctx):
        return
    for error in schema_errors(ctx):
        if error.validator == "required":
            missing = str(error.message).split("'")[1] if "'" in error.message else error.message
            yield Problem(
                ctx.rel(ctx.json_path),
                f"required field '{missing}' is missing",
                key=missing,
                expected=missing,
                found="missing",
            )


@rule(
    "SY003",
    "system-field-type",
    scope="system",
    fix="Write counts as plain integers (e.g. 1, 8), not text such as 'N/A' or '2x'.",
)
def system_field_type(ctx: SystemContext) -> Iterator[Problem]:
    """A field has the wrong type: a count that is not a positive integer, text that is not a string.

    Counts feed totals in the results table (accelerators = nodes x accelerators per node); a value
    like ``"N/A"`` or 0 nodes makes every such total meaningless. Digit strings (``"8"``) are accepted.
    Text fields must be strings: an object or ``true`` as ``system_name`` or ``framework`` ends up in
    the published table as garbage. Types come from the round's schema (``system_description.schema``);
    blank values are SY004's, and status, system_type, submitter and division have their own rules.

    Fails: ``number_of_nodes: "2x"``. Passes: ``1``, or the digit string ``"1"``.
    """
    if not _describe(ctx):
        return
    sd = ctx.rules["system_description"]
    schema = load_schema(sd["schema"])
    counts = set(sd["integer_fields"])
    reported: set[str] = set()
    for error in schema_errors(ctx):
        name = _field(error)
        if name is None or name in reported or name in _OWN_RULE or error.validator == "required":
            continue
        value = ctx.data.get(name)
        if _blank(value):
            continue  # SY004 reports blanks
        reported.add(name)
        expected = expected_type(schema, name)
        yield Problem(
            ctx.rel(ctx.json_path),
            f"'{name}' must be {_article(expected)} {expected}",
            key=name,
            expected=expected,
            found=shown(value),
            fix=None if name in counts else f"Write '{name}' as {expected}, as {sd['schema']} declares.",
        )


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@rule(
    "SY004",
    "system-field-empty",
    scope="system",
    fix="Fill in the field; reviewers and the results table need it.",
)
def system_field_empty(ctx: SystemContext) -> Iterator[Problem]:
    """A field that must carry information is empty.

    Fails: ``system_name: " "``. Passes: a name; optional notes may stay empty.
    """
    if not _describe(ctx):
        return
    for name in ctx.rules["system_description"]["nonempty_fields"]:
        if name in ctx.data and _blank(ctx.data[name]):
            yield Problem(
                ctx.rel(ctx.json_path),
                f"'{name}' is empty",
                key=name,
                expected="a value",
                found=ctx.data[name],
            )


@rule(
    "SY005",
    "system-status-invalid",
    scope="system",
    fix="Set status to available, preview or rdi (research, development, internal).",
)
def system_status_invalid(ctx: SystemContext) -> Iterator[Problem]:
    """``status`` (availability) is not one of the round's categories.

    Fails: ``status: beta``. Passes: ``available``, ``preview`` or ``rdi`` (case does not matter).
    """
    if not _describe(ctx) or "status" not in ctx.data:
        return
    status = ctx.data["status"]
    allowed = ctx.rules["availabilities"]
    if not isinstance(status, str) or status.strip().lower() not in allowed:
        yield Problem(
            ctx.rel(ctx.json_path),
            f"status '{status}' is not an availability category",
            key="status",
            expected=allowed,
            found=status,
        )


@rule(
    "SY006",
    "system-type-invalid",
    scope="system",
    fix="Set system_type to exactly one of: datacenter, edge, datacenter,edge.",
)
def system_type_invalid(ctx: SystemContext) -> Iterator[Problem]:
    """``system_type`` is not one of the exact strings the round accepts.

    Fails: ``system_type: embedded``. Passes: ``edge`` or ``datacenter,edge``.
    """
    if not _describe(ctx) or "system_type" not in ctx.data:
        return
    value = ctx.data["system_type"]
    if ctx.rules.system_type_key(value) is None:
        yield Problem(
            ctx.rel(ctx.json_path),
            f"system_type '{value}' is not recognised",
            key="system_type",
            expected=sorted(ctx.rules["system_types"]),
            found=value,
        )


@rule(
    "SY007",
    "system-submitter-mismatch",
    scope="system",
    fix="Make 'submitter' equal the submitter folder name (case does not matter), or move the files.",
)
def system_submitter_mismatch(ctx: SystemContext) -> Iterator[Problem]:
    """``submitter`` in the description differs from the submitter folder the system is in.

    Fails: ``submitter: OtherOrg`` in ``closed/SubcheckDemo``. Passes: ``SubcheckDemo`` (or ``subcheckdemo``).
    """
    if not _describe(ctx) or "submitter" not in ctx.data:
        return
    value = ctx.data["submitter"]
    if not isinstance(value, str) or value.strip().lower() != ctx.submitter.submitter.lower():
        yield Problem(
            ctx.rel(ctx.json_path),
            "submitter does not match the folder",
            key="submitter",
            expected=ctx.submitter.submitter,
            found=value,
        )


@rule(
    "SY008",
    "system-division-mismatch",
    scope="system",
    fix="Make 'division' equal the division folder (closed, open or network), or move the submission.",
)
def system_division_mismatch(ctx: SystemContext) -> Iterator[Problem]:
    """``division`` in the description differs from the division folder.

    Fails: ``division: open`` in ``closed/``. Passes: ``closed`` in ``closed/``.
    """
    if not _describe(ctx) or "division" not in ctx.data:
        return
    value = ctx.data["division"]
    if value != ctx.submitter.division:
        yield Problem(
            ctx.rel(ctx.json_path),
            "division does not match the folder",
            key="division",
            expected=ctx.submitter.division,
            found=value,
        )


def is_network(data: dict[str, Any], flag: str) -> bool:
    value = data.get(flag)
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


@rule(
    "SY009",
    "system-network-mode",
    scope="system",
    fix="Set is_network to true only in the network division, and fill in every network field there.",
)
def system_network_mode(ctx: SystemContext) -> Iterator[Problem]:
    """The network flag contradicts the division, or a network-division system lacks network fields.

    Fails: ``is_network: true`` in closed, or a network system lacking ``network_type``. Passes: ``is_network: false``
    in closed.
    """
    if not _describe(ctx):
        return
    flag = ctx.rules["network"]["flag_field"]
    network = is_network(ctx.data, flag)
    division = ctx.submitter.division
    if division == "network" and not network:
        yield Problem(
            ctx.rel(ctx.json_path),
            "network division requires is_network true",
            key=flag,
            expected="true",
            found=ctx.data.get(flag),
        )
    elif division == "closed" and network:
        yield Problem(
            ctx.rel(ctx.json_path),
            "closed division systems must not be network systems",
            key=flag,
            expected="false",
            found=ctx.data.get(flag),
        )
    if network:
        for name in ctx.rules["system_description"]["network_fields"]:
            if name not in ctx.data:
                yield Problem(
                    ctx.rel(ctx.json_path),
                    f"network field '{name}' is missing",
                    key=name,
                    expected=name,
                    found="missing",
                )


@rule(
    "SY010",
    "system-field-unknown",
    scope="system",
    severity=Severity.NOTICE,
    fix="Check the spelling against the round's field list; remove fields that are not part of it.",
)
def system_field_unknown(ctx: SystemContext) -> Iterator[Problem]:
    """A field is not among the round's required, network, power or optional fields (often a misspelling).

    Fails: a misspelt ``acelerators_per_node``. Passes: only fields of the round's lists.
    """
    if not _describe(ctx):
        return
    sd = ctx.rules["system_description"]
    known = set(sd["required_fields"]) | set(sd["network_fields"])
    known |= set(sd.get("power_fields", [])) | set(sd.get("optional_fields", []))
    for name in ctx.data:
        if name not in known:
            yield Problem(
                ctx.rel(ctx.json_path),
                f"field '{name}' is not a known system field",
                key=name,
                expected="a field of the round's list",
                found=name,
            )
