"""The published v4.1 sample checked with ``--published``, side by side with the official v4.1 checker."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from click.testing import CliRunner

from checker.cli import main
from tests.conftest import require_data

SDXL_GOOGLE = (
    "closed/Google/results/DGX-H100_H100-SXM-80GBx8_TRT/stable-diffusion-xl/Offline",
    "closed/Google/results/DGX-H100_H100-SXM-80GBx8_TRT/stable-diffusion-xl/Server",
    "closed/Google/results/tpu_v5e_x4_flax/stable-diffusion-xl/offline",
    "closed/Google/results/tpu_v5e_x4_flax/stable-diffusion-xl/server",
    # also PE015 warnings: their TEST01/TEST04 logs come from another commit of LoadGen 4.1
    "closed/Google/results/tpu_v6_x4_flax/stable-diffusion-xl/offline",
    "closed/Google/results/tpu_v6_x4_flax/stable-diffusion-xl/server",
)

# Results the official v4.1 checker accepts but subcheck rejects, with the rules that explain each.
OUR_REJECTIONS = {
    # SY003: host_processor_core_count is "N/A"; counts must be integers.
    "closed/AMD/results/8xMI300X_2xEPYC-TURIN/llama2-70b-99/Offline": "system",
    "closed/AMD/results/8xMI300X_2xEPYC-TURIN/llama2-70b-99/Server": "system",
    "closed/AMD/results/8xMI300X_2xEPYC-TURIN/llama2-70b-99.9/Offline": "system",
    "closed/AMD/results/8xMI300X_2xEPYC-TURIN/llama2-70b-99.9/Server": "system",
    # AC007 + AC006: accuracy/ holds a PerformanceOnly Offline run and an empty ("[ ]") accuracy log, so the
    # Server accuracy claim (accuracy.txt) is not backed by any logged response. The official checker
    # never looks at the accuracy run's mode or at what the accuracy log contains.
    "closed/AMD/results/1xMI300X_2xEPYC-9374F/llama2-70b-99/Server": "AC006 AC007",
    "closed/AMD/results/1xMI300X_2xEPYC-9374F/llama2-70b-99.9/Server": "AC006 AC007",
}

# Results the official checker rejects but subcheck --published accepts.
OUR_ACCEPTANCES = {
    # AC009 (notice with --published): the official checker rejects them only because accuracy/images/ is
    # absent, and the published repository removed every SDXL images folder on purpose.
    *SDXL_GOOGLE,
}


def _codes(findings: str) -> set[str]:
    """Rule codes of a Findings cell; a failed system description counts as 'system' however it is spelled."""
    return {"system" if token.startswith("system") else token for token in findings.split()}


@pytest.fixture(scope="module")
def published() -> tuple[list[dict[str, str]], dict[tuple[str, str], dict[str, str]], dict[str, Any]]:
    root = require_data("inference-v4.1")
    official = list(csv.DictReader(require_data("inference-v4.1.official-summary.csv").open()))
    runner = CliRunner()
    table = runner.invoke(main, ["check", str(root), "--version", "v4.1", "--published", "--format", "csv"])
    ours = {(r["Location"], r["Units"]): r for r in csv.DictReader(io.StringIO(table.output))}
    report = runner.invoke(main, ["check", str(root), "--version", "v4.1", "--published", "--format", "json"])
    return official, ours, json.loads(report.output)


def test_accepted_results_and_accuracy_match_the_official_table(published) -> None:  # type: ignore[no-untyped-def]
    official, ours, _ = published
    for row in official:
        if row["Location"] in OUR_REJECTIONS:
            continue
        mine = ours[(row["Location"], row["Units"])]
        assert mine["Valid"] == "True", (row["Location"], mine["Findings"])
        expected, found = float(row["Result"]), float(mine["Result"])
        assert abs(expected - found) <= 1e-6 * abs(expected), row["Location"]
        expected_acc, found_acc = float(row["Accuracy"]), float(mine["Accuracy"])
        assert abs(expected_acc - found_acc) <= 1e-6 * abs(expected_acc), row["Location"]


def test_verdict_differences_are_the_pinned_ones(published) -> None:  # type: ignore[no-untyped-def]
    official, ours, _ = published
    accepted_by_official = {r["Location"] for r in official}
    rejected = {loc: r["Findings"] for (loc, _), r in ours.items() if r["Valid"] == "False"}
    accepted = {loc for (loc, _), r in ours.items() if r["Valid"] == "True"}
    differ = {loc: _codes(c) for loc, c in rejected.items() if loc in accepted_by_official}
    assert differ == {loc: _codes(c) for loc, c in OUR_REJECTIONS.items()}
    assert accepted - accepted_by_official == OUR_ACCEPTANCES


def test_removed_content_is_a_notice_that_says_why(published) -> None:  # type: ignore[no-untyped-def]
    _, ours, report = published
    notices = [f for f in report["findings"] if f["code"] == "AC009"]
    assert notices and all(f["severity"] == "notice" for f in notices)
    assert all("published" in f["message"] and "images/ is missing" in f["message"] for f in notices)
    # The tpu_v6 SDXL audits were run with another commit of LoadGen 4.1: a warning, not a rejection.
    assert {loc: r["Findings"] for (loc, _), r in ours.items() if "tpu_v6_x4_flax/stable" in loc} == {
        "closed/Google/results/tpu_v6_x4_flax/stable-diffusion-xl/offline": "",
        "closed/Google/results/tpu_v6_x4_flax/stable-diffusion-xl/server": "",
    }
    pe015 = {f["severity"] for f in report["findings"] if f["code"] == "PE015"}
    assert pe015 == {"warning"}


def test_without_published_missing_images_reject_closed_sdxl() -> None:
    root = require_data("inference-v4.1")
    out = CliRunner().invoke(main, ["check", str(root), "--version", "v4.1", "--format", "csv", "--select", "AC"])
    rows = {r["Location"]: r for r in csv.DictReader(io.StringIO(out.output))}
    for location in SDXL_GOOGLE:
        assert rows[location]["Findings"] == "AC009"
    open_sdxl = [r for loc, r in rows.items() if loc.startswith("open/") and "stable-diffusion-xl" in loc]
    assert open_sdxl and all(r["Valid"] == "True" for r in open_sdxl)  # open: a warning, as the official checker
