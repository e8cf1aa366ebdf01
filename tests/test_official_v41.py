"""Side by side with the official v4.1 checker's published outputs on the real v4.1 sample."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from tests.conftest import require_data

# Results the official v4.1 checker accepts but subcheck rejects, with the rule that explains each.
OUR_REJECTIONS = {
    # host_processor_core_count is "N/A": counts must be integers (SY003).
    "closed/AMD/results/8xMI300X_2xEPYC-TURIN/llama2-70b-99/Offline": "system:SY003",
    "closed/AMD/results/8xMI300X_2xEPYC-TURIN/llama2-70b-99/Server": "system:SY003",
    "closed/AMD/results/8xMI300X_2xEPYC-TURIN/llama2-70b-99.9/Offline": "system:SY003",
    "closed/AMD/results/8xMI300X_2xEPYC-TURIN/llama2-70b-99.9/Server": "system:SY003",
    # accuracy/ holds a PerformanceOnly Offline run and an empty "[ ]" accuracy log (AC007, AC006).
    "closed/AMD/results/1xMI300X_2xEPYC-9374F/llama2-70b-99/Server": "AC006 AC007",
    "closed/AMD/results/1xMI300X_2xEPYC-9374F/llama2-70b-99.9/Server": "AC006 AC007",
}


@pytest.fixture(scope="module")
def tables() -> tuple[list[dict[str, str]], dict[tuple[str, str], dict[str, str]]]:
    root = require_data("inference-v4.1")
    official = list(csv.DictReader(require_data("inference-v4.1.official-summary.csv").open()))
    result = CliRunner().invoke(main, ["check", str(root), "--version", "v4.1", "--format", "csv"])
    ours = {(r["Location"], r["Units"]): r for r in csv.DictReader(io.StringIO(result.output))}
    return official, ours


def test_every_official_row_has_our_row_with_same_metric_and_units(tables) -> None:  # type: ignore[no-untyped-def]
    official, ours = tables
    assert len(official) == 130
    for row in official:
        mine = ours[(row["Location"], row["Units"])]
        expected, found = float(row["Result"]), float(mine["Result"])
        assert abs(expected - found) <= 1e-6 * abs(expected), row["Location"]
        for column in ("Organization", "Division", "Model", "MlperfModel", "Scenario", "Accuracy", "notes"):
            assert mine[column] == row[column], (row["Location"], column)


def test_verdict_differences_are_the_pinned_ones(tables) -> None:  # type: ignore[no-untyped-def]
    official, ours = tables
    accepted_by_official = {r["Location"] for r in official}
    rejected_by_us = {loc: row["Findings"] for (loc, _), row in ours.items() if row["Valid"] == "False"}
    differ = {loc: codes for loc, codes in rejected_by_us.items() if loc in accepted_by_official}
    assert differ == OUR_REJECTIONS


def test_official_sdxl_rejections_are_accuracy_artefacts(tables) -> None:  # type: ignore[no-untyped-def]
    """The official run rejects six SDXL results for missing accuracy/images (an AC rule, not a PE one)."""
    findings = require_data("inference-v4.1.official-findings.txt").read_text()
    official, ours = tables
    accepted = {r["Location"] for r in official}
    extra = {loc for (loc, _) in ours if loc not in accepted}
    assert extra == {
        "closed/Google/results/DGX-H100_H100-SXM-80GBx8_TRT/stable-diffusion-xl/Offline",
        "closed/Google/results/DGX-H100_H100-SXM-80GBx8_TRT/stable-diffusion-xl/Server",
        "closed/Google/results/tpu_v5e_x4_flax/stable-diffusion-xl/offline",
        "closed/Google/results/tpu_v5e_x4_flax/stable-diffusion-xl/server",
        "closed/Google/results/tpu_v6_x4_flax/stable-diffusion-xl/offline",
        "closed/Google/results/tpu_v6_x4_flax/stable-diffusion-xl/server",
    }
    for location in extra:
        assert f"NoResults {location}" in findings
    # All six fail AC009 (images missing, as the official run says).
    assert {loc: ours[(loc, u)]["Findings"] for (loc, u) in ours if "tpu_v6_x4_flax/stable-diffusion-xl" in loc} == {
        "closed/Google/results/tpu_v6_x4_flax/stable-diffusion-xl/offline": "AC009",
        "closed/Google/results/tpu_v6_x4_flax/stable-diffusion-xl/server": "AC009",
    }


def test_whole_tree_exit_code(v41: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(v41), "--version", "v4.1"])
    assert result.exit_code == 1
