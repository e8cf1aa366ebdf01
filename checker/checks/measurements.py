"""ME: the measurements folder: its JSON, ``user.conf`` and ``README.md``."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from checker.context import ResultContext
from checker.findings import Problem
from checker.numbers import shown
from checker.registry import rule
from checker.schemas import errors_of, expected_type, load_schema


@rule(
    "ME001",
    "measurements-json-missing",
    fix=(
        "Add the measurements JSON (merged layout: measurements.json in the scenario folder; split layout: "
        "measurements/<system>/<benchmark>/<scenario>/<system>_<scenario>.json)."
    ),
)
def measurements_json_missing(ctx: ResultContext) -> Iterator[Problem]:
    """The result has no measurements JSON describing its model and data types.

    Fails: a merged-layout result without ``measurements.json``. Passes: ``measurements.json`` in the scenario folder.
    """
    if ctx.measurements_json_path is None:
        folder = ctx.unit.measurements_dir
        expected = "measurements.json" if ctx.unit.layout == "merged" else f"{ctx.unit.system}_<scenario>.json"
        yield Problem(ctx.rel(folder), "no measurements JSON", expected=expected, found="missing")


@rule(
    "ME002",
    "measurements-json-invalid",
    fix=(
        "Fix the JSON and fill in input_data_types, retraining, starting_weights_filename, weight_data_types "
        "and weight_transformations."
    ),
)
def measurements_json_invalid(ctx: ResultContext) -> Iterator[Problem]:
    """The measurements JSON is unreadable, a required field is missing or empty, or a field has the wrong type.

    Types come from the round's schema (``measurements.schema``): ``"retraining": NaN`` or a number where
    text belongs is not a description a reviewer can read.

    Fails: ``measurements.json`` without ``retraining``, or not JSON. Passes: every required field filled in.
    """
    doc = ctx.measurements
    if doc is None:
        return
    if not doc.ok:
        yield Problem(
            ctx.rel(doc.path),
            f"measurements JSON {doc.error}",
            line=doc.line,
            expected="a JSON object",
            found=doc.error,
        )
        return
    data = doc.data or {}
    spec = ctx.rules["measurements"]
    for name in spec["required_nonempty_fields"]:
        value = data.get(name)
        if name not in data:
            yield Problem(ctx.rel(doc.path), f"field '{name}' is missing", key=name, expected=name, found="missing")
        elif value is None or (isinstance(value, str) and not value.strip()):
            yield Problem(ctx.rel(doc.path), f"field '{name}' is empty", key=name, expected="a value", found=value)
    yield from _type_errors(ctx.rel(doc.path), data, spec["schema"])


def _type_errors(path: str, data: dict[str, object], schema_name: str) -> Iterator[Problem]:
    """Fields of the wrong type (a number, a list, NaN where text belongs), one finding per field."""
    schema = load_schema(schema_name)
    reported: set[str] = set()
    for error in errors_of(schema_name, data):
        name = str(error.absolute_path[0]) if error.absolute_path else None
        value = data.get(name) if name else None
        if name is None or name in reported or value is None or (isinstance(value, str) and not value.strip()):
            continue  # blanks are reported above as empty
        reported.add(name)
        expected = expected_type(schema, name)
        yield Problem(
            path,
            f"field '{name}' must be {expected}",
            key=name,
            expected=expected,
            found=shown(value),
        )


@rule(
    "ME003",
    "measurements-files-missing",
    fix=(
        "Add the files LoadGen ran with (user.conf, and mlperf.conf where the round requires it) and a README.md "
        "that says how to reproduce the run."
    ),
)
def measurements_files_missing(ctx: ResultContext) -> Iterator[Problem]:
    """``user.conf``, ``README.md`` (and ``mlperf.conf`` in v4.1) are missing or empty.

    Fails: an empty ``user.conf`` or no ``README.md``. Passes: both present and non-empty.
    """
    folder = ctx.unit.measurements_dir
    for name in ctx.measurements_required:
        try:  # one stat of a string path for the usual regular file; anything else is asked again of pathlib
            info = os.stat(f"{folder}/{name}")
            if stat.S_ISREG(info.st_mode) and info.st_size > 0:
                continue
        except OSError:
            pass
        path = folder / name
        if not path.is_file():
            yield Problem(ctx.rel(path), f"{name} is missing", expected=name, found="missing")
        elif path.stat().st_size == 0:
            yield Problem(ctx.rel(path), f"{name} is empty", expected="non-empty file", found="0 bytes")
