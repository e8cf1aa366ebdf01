"""The JSON report validates against its published schema, on real data with findings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from checker.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_json_report_matches_schema(v41: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(v41), "--version", "v4.1", "--format", "json"])
    document = json.loads(result.output)
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
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
