"""The parts of reproduce that need no LoadGen run: the verdict over repeated runs, the claim's own
consistency (on the demo logs and on every real v4.1 Server, SingleStream and MultiStream log), and
the claimed hardware beside this machine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checker.parsers.mllog import parse_detail_log
from reference_sut.hardware import differences, format_block, hardware_view, this_machine
from reference_sut.judge import consistency, primary_stats, schedule_match
from tests.conftest import require_data
from tests.mutate import get_record, set_record

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "fixtures/valid/closed/SubcheckDemo/results/demo_cpu_numpy/digits"
DETAIL = Path("performance/run_1/mlperf_log_detail.txt")
GH200 = "inference-v4.1/closed/Oracle/results/GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT/resnet50/Server"


def test_best_run_within_tolerance_reproduces_even_when_runs_vary() -> None:
    stats = primary_stats(100.0, [60.0, 95.0, 80.0], "higher", 0.1)
    assert stats["verdict"] == "ok" and stats["best"] == 95.0 and stats["median"] == 80.0
    assert stats["spread"] == pytest.approx(95 / 60 - 1)


def test_steady_runs_below_the_claim_miss() -> None:
    stats = primary_stats(130.0, [99.0, 100.0, 101.0], "higher", 0.1)
    assert stats["verdict"] == "miss" and stats["spread"] < 0.1


def test_a_miss_within_a_spread_larger_than_the_tolerance_is_inconclusive() -> None:
    assert primary_stats(100.0, [50.0, 85.0], "higher", 0.1)["verdict"] == "inconclusive"
    # latency: lower is better; the best (smallest) run is judged
    assert primary_stats(1.0, [1.05, 3.0], "lower", 0.1)["verdict"] == "ok"
    assert primary_stats(1.0, [1.25, 2.0], "lower", 0.1)["verdict"] == "inconclusive"
    assert primary_stats(1.0, [1.5, 1.55], "lower", 0.1)["verdict"] == "miss"


@pytest.mark.parametrize("scenario", ["Server", "SingleStream", "MultiStream"])
def test_demo_claims_are_consistent(scenario: str) -> None:
    checks = consistency(parse_detail_log(DEMO / scenario / DETAIL).values)
    assert checks and all(c["ok"] for c in checks), checks


def _edited(tmp_path: Path, scenario: str, **scale: float) -> dict:
    detail = tmp_path / "detail.txt"
    shutil.copyfile(DEMO / scenario / DETAIL, detail)
    for key, factor in scale.items():
        set_record(detail, key, get_record(detail, key) * factor)
    return parse_detail_log(detail).values


def test_server_scheduled_rate_raised_30_percent_contradicts_target_qps(tmp_path: Path) -> None:
    log = _edited(tmp_path, "Server", result_scheduled_samples_per_sec=1.3, result_completed_samples_per_sec=1.3)
    broken = [c for c in consistency(log) if not c["ok"]]
    assert [c["check"] for c in broken] == ["scheduled rate follows target_qps"]
    assert "+34.2% from effective_target_qps 1000" in broken[0]["detail"]
    match = schedule_match(float(log["result_scheduled_samples_per_sec"]), [1032.41])
    assert match is not None and match["ok"] is False


def test_server_completed_rate_above_scheduled_is_inconsistent(tmp_path: Path) -> None:
    log = _edited(tmp_path, "Server", result_completed_samples_per_sec=1.3)
    broken = [c["check"] for c in consistency(log) if not c["ok"]]
    assert broken == ["completed rate <= scheduled rate"]


def test_singlestream_claim_below_its_own_percentile_is_inconsistent(tmp_path: Path) -> None:
    log = _edited(tmp_path, "SingleStream", early_stopping_latency_ss=1 / 1.3)
    broken = [c["check"] for c in consistency(log) if not c["ok"]]
    assert broken == ["early_stopping_latency_ss >= result_90.00_percentile_latency_ns"]


@pytest.mark.parametrize("scenario", ["Server", "SingleStream", "MultiStream"])
def test_every_real_v41_log_is_consistent(scenario: str) -> None:
    root = require_data("inference-v4.1")
    logs = sorted(root.glob(f"*/*/results/*/*/{scenario}/performance/run_1/mlperf_log_detail.txt"))
    checked = 0
    for path in logs:
        checks = consistency(parse_detail_log(path).values)
        assert all(c["ok"] for c in checks), (path, checks)
        checked += bool(checks)
    assert checked == len(logs) or scenario == "MultiStream"


def test_same_processor_and_counts_are_the_same_hardware() -> None:
    here = this_machine("numpy", "cpu")
    claimed = {
        **here,
        "accelerator_model_name": "N/A (CPU only)",
        "host_processor_model_name": "  " + here["host_processor_model_name"].upper(),
    }
    assert differences(claimed, here) == []
    assert differences({**claimed, "accelerators_per_node": 8}, here) == ["accelerators/node"]
    assert differences(None, here) == ["no system description"]


def test_hardware_block_for_the_demo_fixture_claim() -> None:
    view = hardware_view(DEMO / "Offline", "numpy", "cpu")
    text = "\n".join(format_block(view))
    assert view["claimed"]["host_processor_model_name"] == "generic x86_64 CPU"
    assert "*processor" in text and "informative only; accuracy must still reproduce" in text


def test_hardware_block_for_a_real_v41_result() -> None:
    view = hardware_view(require_data(GH200), "numpy", "cpu")
    text = "\n".join(format_block(view))
    assert "GH200" in view["claimed"]["accelerator_model_name"]
    assert {"accelerator", "accelerators/node"} <= set(view["differences"])
    assert "*accelerator " in text and "hardware differs" in text
