"""ME: the measurements folder: its JSON, ``user.conf`` and ``README.md``."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import ResultContext
from checker.findings import Problem
from checker.registry import rule


@rule(
    "ME001",
    "measurements-json-missing",
    fix=(
        "Add the measurements JSON (merged layout: measurements.json in the scenario folder; split layout: "
        "measurements/<system>/<benchmark>/<scenario>/<system>_<scenario>.json)."
    ),
)
def measurements_json_missing(ctx: ResultContext) -> Iterator[Problem]:
    """The result has no measurements JSON describing its model and data types."""
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
    """The measurements JSON is unreadable, or a required field is missing or empty."""
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
    for name in ctx.rules["measurements"]["required_nonempty_fields"]:
        value = data.get(name)
        if name not in data:
            yield Problem(ctx.rel(doc.path), f"field '{name}' is missing", key=name, expected=name, found="missing")
        elif value is None or (isinstance(value, str) and not value.strip()):
            yield Problem(ctx.rel(doc.path), f"field '{name}' is empty", key=name, expected="a value", found=value)


@rule(
    "ME003",
    "measurements-files-missing",
    fix=(
        "Add the files LoadGen ran with (user.conf, and mlperf.conf where the round requires it) and a README.md "
        "that says how to reproduce the run."
    ),
)
def measurements_files_missing(ctx: ResultContext) -> Iterator[Problem]:
    """``user.conf``, ``README.md`` (and ``mlperf.conf`` in v4.1) are missing or empty."""
    folder = ctx.unit.measurements_dir
    for name in ctx.rules["files"]["measurements_required"]:
        path = folder / name
        if not path.is_file():
            yield Problem(ctx.rel(path), f"{name} is missing", expected=name, found="missing")
        elif path.stat().st_size == 0:
            yield Problem(ctx.rel(path), f"{name} is empty", expected="non-empty file", found="0 bytes")
