"""`subcheck reproduce` via the CLI: real LoadGen re-runs of the demo results, the issue's Server tampering,
and every case that cannot run: exit 2 with one line that says how to fix it, never a traceback."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from tests.conftest import require_data
from tests.mutate import drop_record, get_record, set_record, set_summary

REPO = Path(__file__).resolve().parent.parent
SUBMITTER = REPO / "fixtures/valid/closed/SubcheckDemo"
RESULTS = Path("results/demo_cpu_numpy/digits")
SERVER = SUBMITTER / RESULTS / "Server"
OFFLINE = SUBMITTER / RESULTS / "Offline"
DETAIL = Path("performance/run_1/mlperf_log_detail.txt")


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["reproduce", *args])
    return result.exit_code, result.output


def _copy(tmp_path: Path, scenario: str) -> Path:
    """The demo result and its system description in a writable tree."""
    root = tmp_path / "SubcheckDemo"
    shutil.copytree(SUBMITTER / "systems", root / "systems")
    shutil.copytree(SUBMITTER / RESULTS / scenario, root / RESULTS / scenario)
    return root / RESULTS / scenario


def _one_line_fix(code: int, out: str, *needles: str) -> None:
    assert code == 2, out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1, out
    for needle in needles:
        assert needle in out, out


@pytest.mark.slow
def test_reproduce_demo_server_shows_table_metric_units_and_hardware() -> None:
    pytest.importorskip("mlperf_loadgen")
    code, out = _invoke(str(SERVER), "--repeat", "2")
    assert code == 0, out
    assert out.startswith("REPRODUCED digits / Server")
    assert "2 runs (Queries/s): min" in out and "Queries/s (best)" in out
    assert "*processor          generic x86_64 CPU" in out  # the demo claim names no real processor
    assert "throughput/latency comparison is informative only; accuracy must still reproduce" in out
    assert "FAIL (info)" not in out and "claim consistency: ok (3 checks" in out


@pytest.mark.slow
def test_reproduce_server_scheduled_rate_raised_30_percent_exit_1(tmp_path: Path) -> None:
    """The issue's tampering: scheduled (and completed) rate x1.3 in the detail and summary logs alike."""
    pytest.importorskip("mlperf_loadgen")
    result = _copy(tmp_path, "Server")
    detail, summary = result / DETAIL, result / "performance/run_1/mlperf_log_summary.txt"
    for key, name in (
        ("result_scheduled_samples_per_sec", "Scheduled samples per second"),
        ("result_completed_samples_per_sec", "Completed samples per second"),
    ):
        raised = round(get_record(detail, key) * 1.3, 2)
        set_record(detail, key, raised)
        set_summary(summary, name, str(raised))
    code, out = _invoke(str(result), "--repeat", "1", "--format", "json")
    assert code == 1, out
    report = json.loads(out)
    assert report["status"] == "not_reproduced" and report["reproduced"] is False
    broken = {c["check"]: c["detail"] for c in report["consistency"] if not c["ok"]}
    assert "+34.2% from effective_target_qps 1000" in broken["scheduled rate follows target_qps"]
    assert "scheduled 1032.41 here" in broken["scheduled rate matches the re-run"]
    assert report["primary"]["key"] == "result_completed_samples_per_sec"


@pytest.mark.slow
def test_reproduce_singlestream_reports_latency_in_ms() -> None:
    pytest.importorskip("mlperf_loadgen")
    code, out = _invoke(str(SUBMITTER / RESULTS / "SingleStream"), "--repeat", "1", "--format", "json")
    assert code in (0, 3), out  # the demo claim was made on another machine: latency is informative
    report = json.loads(out)
    primary = report["items"][0]
    assert (primary["name"], primary["key"]) == ("Latency (ms)", "early_stopping_latency_ss")
    assert primary["claimed"] == pytest.approx(8843 / 1e6)
    assert report["primary"]["units"] == "Latency (ms)"


def test_real_benchmark_says_what_it_needs_and_shows_both_systems() -> None:
    pytest.importorskip("mlperf_loadgen")
    result_dir = require_data("inference-v4.1/closed/ConnectTechInc/results/Orin_TRT/gptj-99/Offline")
    code, out = _invoke(str(result_dir))
    assert code == 2, out
    assert "CANNOT REPRODUCE gptj-99" in out and "CNN/DailyMail" in out
    assert "NVIDIA Jetson AGX Orin" in out and "this machine" in out and "hardware differs" in out


def test_not_a_result_folder_exit_2() -> None:
    _one_line_fix(
        *_invoke(str(REPO / "fixtures/valid")), "not a result folder", "results/<system>/<benchmark>/<scenario>"
    )


def test_result_folder_without_its_log_exit_2(tmp_path: Path) -> None:
    result = _copy(tmp_path, "Offline")
    (result / DETAIL).unlink()
    _one_line_fix(*_invoke(str(result)), "not a result folder", "performance/run_1/mlperf_log_detail.txt")


def test_onnxruntime_without_model_exit_2() -> None:
    _one_line_fix(*_invoke(str(OFFLINE), "--backend", "onnxruntime"), "--onnx-model FILE", "export_onnx")


@pytest.mark.parametrize("args", [("--device", "cuda"), ("--backend", "torch")])
def test_torch_missing_exit_2(monkeypatch: pytest.MonkeyPatch, args: tuple[str, str]) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as on an install without the [torch] extra
    _one_line_fix(
        *_invoke(str(OFFLINE), *args), f"{' '.join(args)} needs PyTorch", "pip install 'mlperf-subcheck[torch]'"
    )


def test_without_sut_extra_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlperf_loadgen", None)  # as on an install without the [sut] extra
    _one_line_fix(*_invoke(str(OFFLINE)), "needs the [sut] extra", "pip install 'mlperf-subcheck[sut]'")


def test_numpy_on_cuda_exit_2() -> None:
    _one_line_fix(*_invoke(str(OFFLINE), "--backend", "numpy", "--device", "cuda"), "--backend numpy runs on cpu only")


def test_claimed_log_without_a_setting_exit_2(tmp_path: Path) -> None:
    pytest.importorskip("mlperf_loadgen")
    result = _copy(tmp_path, "Offline")
    drop_record(result / DETAIL, "effective_min_duration_ms")
    code, out = _invoke(str(result))
    assert code == 2 and "Traceback" not in out, out
    assert "lacks a usable LoadGen setting ('effective_min_duration_ms')" in out


def test_missing_claimed_accuracy_exit_2(tmp_path: Path) -> None:
    pytest.importorskip("mlperf_loadgen")
    result = _copy(tmp_path, "Offline")
    (result / "accuracy/accuracy.txt").unlink()
    code, out = _invoke(str(result))
    assert code == 2 and "no claimed accuracy" in out, out


@pytest.mark.parametrize(
    ("scenario", "key", "damage"),
    [
        ("SingleStream", "early_stopping_latency_ss", None),
        ("Offline", "result_samples_per_second", "inf"),
        ("MultiStream", "early_stopping_latency_ms", "fast"),
    ],
)
def test_a_claim_without_its_table_metric_is_never_reproduced(
    tmp_path: Path, scenario: str, key: str, damage: str | None
) -> None:
    """Nothing to compare a re-run with (the key gone, or a value that is no finite number): exit 2, not a pass."""
    pytest.importorskip("mlperf_loadgen")
    result = _copy(tmp_path, scenario)
    if damage is None:
        drop_record(result / DETAIL, key)
    else:
        set_record(result / DETAIL, key, damage)
    code, out = _invoke(str(result))
    assert code == 2 and "Traceback" not in out, out
    assert f"the claimed log has no usable {key} (the results table's metric)" in out


def test_a_pace_no_rerun_could_keep_exit_2(tmp_path: Path) -> None:
    """A tampered sut_name cannot make the re-run sleep for hours, nor pass as unpaced."""
    pytest.importorskip("mlperf_loadgen")
    result = _copy(tmp_path, "SingleStream")
    set_record(result / DETAIL, "sut_name", "reference_sut digits backend=numpy device=cpu pace=1e9+8us")
    code, out = _invoke(str(result))
    assert code == 2 and "Traceback" not in out, out
    assert "it names the pace 'pace=1e9+8us', which a re-run cannot keep" in out


def test_help_documents_every_exit_status() -> None:
    out = CliRunner().invoke(main, ["reproduce", "--help"]).output
    assert "--repeat" in out and "3 inconclusive" in out and "1 not reproduced" in out


def test_result_named_relative_to_results_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mlperf_loadgen")
    results = require_data("inference-v4.1/closed/ConnectTechInc/results")
    monkeypatch.chdir(results)
    code, out = _invoke("Orin_TRT/gptj-99/Offline")
    assert code == 2 and "CANNOT REPRODUCE gptj-99 / Offline (Orin_TRT/gptj-99/Offline)" in out, out
    assert "NVIDIA Jetson AGX Orin 64G" in out
