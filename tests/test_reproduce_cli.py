"""`subcheck reproduce` via the CLI: a real LoadGen re-run of a demo result, and a result it cannot run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from tests.conftest import require_data

pytest.importorskip("mlperf_loadgen")
REPO = Path(__file__).resolve().parent.parent
SERVER = REPO / "fixtures/valid/closed/SubcheckDemo/results/demo_cpu_numpy/digits/Server"


def test_reproduce_demo_result_exit_0() -> None:
    result = CliRunner().invoke(main, ["reproduce", str(SERVER)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("REPRODUCED digits / Server")


def test_reproduce_inflated_claim_exit_1(tmp_path: Path) -> None:
    copy = tmp_path / "digits" / "Server"
    shutil.copytree(SERVER, copy)
    log = copy / "performance/run_1/mlperf_log_detail.txt"
    lines = []
    for line in log.read_text().splitlines():
        if '"key": "result_completed_samples_per_sec"' in line:
            head, value = line.split('"value": ', 1)
            number, rest = value.split(",", 1)
            line = f'{head}"value": {float(number) * 1.3}, {rest.lstrip()}'
        lines.append(line)
    log.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["reproduce", str(copy), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert '"reproduced": false' in result.output


def test_reproduce_real_benchmark_says_what_it_needs() -> None:
    result_dir = require_data("inference-v4.1/closed/ConnectTechInc/results/Orin_TRT/gptj-99/Offline")
    result = CliRunner().invoke(main, ["reproduce", str(result_dir)])
    assert result.exit_code == 2
    assert "CANNOT REPRODUCE gptj-99" in result.output and "CNN/DailyMail" in result.output
