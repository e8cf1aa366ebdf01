"""Speed work must not change what subcheck decides: the table, the verdicts and the findings on the shared v4.1
sample are those the code gave before it (``tests/golden/v41_sample_verdicts.json``, made by commit 4194135), and
the whole JSON report, every message, expected and found value included, is the one commit 6dd8c82 gave
(``tests/golden/v41_sample_report.json``), before the parsing work of issue 18.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from checker.cli import main

from .conftest import REPO, require_data

GOLDEN = REPO / "tests" / "golden" / "v41_sample_verdicts.json"
WHOLE = REPO / "tests" / "golden" / "v41_sample_report.json"


def _check(root: Path, *extra: str) -> dict:
    argv = ["check", str(root), "--version", "v4.1", "--format", "json", *extra]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


def _compact(report: dict, golden: dict) -> dict:
    keep = list(golden["results"][0])
    return {
        "summary": report["summary"],
        "results": [{key: row.get(key) for key in keep} for row in report["results"]],
        "findings": sorted(
            ([f["code"], f["severity"], f["path"], f.get("line"), f.get("key")] for f in report["findings"]),
            key=lambda item: [str(value) for value in item],
        ),
    }


def test_table_verdicts_and_findings_are_unchanged() -> None:
    golden = json.loads(GOLDEN.read_text())
    for jobs in ("1", "2"):
        now = _compact(_check(require_data("inference-v4.1"), "-j", jobs), golden)
        assert now["summary"] == golden["summary"]
        assert now["results"] == golden["results"]
        assert now["findings"] == golden["findings"]


def test_the_whole_json_report_is_unchanged() -> None:
    golden = json.loads(WHOLE.read_text())
    for jobs in ("1", "2"):
        now = _check(require_data("inference-v4.1"), "-j", jobs, "--no-cache")
        now.pop("tool")
        now["root"] = "<root>"
        for key in golden:
            assert now[key] == golden[key], key
        assert set(now) == set(golden)


def test_a_submitter_shared_out_between_workers_reports_as_one(demo_tree: Path) -> None:
    """With two workers the demo submitter is split into shares of its results; nothing else may change."""
    from .conftest import check_demo_json

    assert check_demo_json(demo_tree, "--no-cache") == check_demo_json(demo_tree, "--no-cache", "-j", "2")
