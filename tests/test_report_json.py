"""The JSON report validates against its published schema, on real data with findings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from checker.cli import main
from tests.trees import demo_tree

REPO = Path(__file__).resolve().parent.parent


def validate(document: dict) -> None:
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)


def test_json_report_matches_schema(v41: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(v41), "--version", "v4.1", "--format", "json"])
    document = json.loads(result.output)
    validate(document)
    assert document["summary"]["exit_code"] == result.exit_code == 1
    assert document["findings"], "the v4.1 sample has findings"
    sy003 = [f for f in document["findings"] if f["code"] == "SY003"]
    assert sy003 == [
        {
            **sy003[0],
            "path": "closed/AMD/systems/8xMI300X_2xEPYC-TURIN.json",
            "key": "host_processor_core_count",
            "found": "N/A",
            "expected": "positive integer",
        }
    ]


def test_json_report_with_findings_matches_schema_on_the_demo_tree(tmp_path: Path) -> None:
    """The same schema on the bundled demo copy with an error in a log (line) and in a system JSON (key)."""
    demo = demo_tree(tmp_path)
    log_rel = demo.break_seed()
    system = demo.path(demo.system)
    data = json.loads(system.read_text())
    data["host_processor_core_count"] = "N/A"
    system.write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["check", str(demo.root), *demo.round_args, "--format", "json", "-j", "1"])
    document = json.loads(result.output)
    validate(document)
    assert document["summary"]["exit_code"] == result.exit_code == 1
    pe006 = [f for f in document["findings"] if f["code"] == "PE006"]
    assert pe006 and {f["path"] for f in pe006} == {log_rel} and all(f["line"] for f in pe006)
    sy003 = [f for f in document["findings"] if f["code"] == "SY003"]
    assert sy003 == [
        {
            **sy003[0],
            "path": demo.system,
            "key": "host_processor_core_count",
            "found": "N/A",
            "expected": "positive integer",
        }
    ]
