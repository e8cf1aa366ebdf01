"""Round detection: the round is read from the tree (or its pin file), never assumed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker import ruleset
from checker.detect import MAX_LOGS, PIN_FILE, RoundDetectionError, _round_robin, detect_round
from tests.conftest import require_data

REPO = Path(__file__).resolve().parent.parent


def _seed(version: str) -> int:
    return ruleset.load("inference", version)["seeds"]["qsl_rng_seed"]


def _record(key: str, value: object) -> str:
    return ":::MLLOG " + json.dumps(
        {
            "key": key,
            "value": value,
            "time_ms": 0.01,
            "namespace": "mlperf::logging",
            "event_type": "POINT_IN_TIME",
            "metadata": {"is_error": False},
        }
    )


def write_log(root: Path, submitter: str, name: str, loadgen: str, seed: int, division: str = "closed") -> Path:
    """A performance detail log header with a LoadGen version and the effective qsl seed (split layout)."""
    log = root / division / submitter / "results" / "sys" / name / "Offline" / "performance" / "run_1"
    log.mkdir(parents=True)
    lines = [_record("loadgen_version", f"{loadgen} @ 0123456789"), _record("test_datetime", "2024-07-01")]
    lines += [_record(f"filler_{i}", i) for i in range(40)] + [_record("effective_qsl_rng_seed", seed)]
    (log / "mlperf_log_detail.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return log


def write_training(root: Path, submitter: str, benchmark: str, logged: str | None = None) -> None:
    folder = root / submitter / "results" / "sys" / benchmark
    folder.mkdir(parents=True)
    (root / submitter / "systems").mkdir(exist_ok=True)
    body = {
        "namespace": "",
        "time_ms": 1,
        "event_type": "POINT_IN_TIME",
        "key": "submission_benchmark",
        "value": logged or benchmark,
        "metadata": {"file": "x.py", "lineno": 1},
    }
    (folder / "result_0.txt").write_text(":::MLLOG " + json.dumps(body) + "\n", encoding="utf-8")


# --- real data -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("part", [(), ("closed",), ("open", "Krai"), ("closed", "AMD")])
def test_real_v41_inference_detects_v41(part: tuple[str, ...]) -> None:
    found = detect_round(require_data("inference-v4.1", *part), "inference")
    assert found.version == "v4.1"
    assert "v4.1 seeds" in found.evidence and "LoadGen" in found.evidence


def test_real_v41_inference_names_both_loadgen_releases() -> None:
    found = detect_round(require_data("inference-v4.1"), "inference")
    assert "LoadGen 4.0" in found.evidence and "LoadGen 4.1" in found.evidence  # v4.1 was run with both


@pytest.mark.parametrize("part", [(), ("Google",)])
def test_real_v41_training_detects_v41(part: tuple[str, ...]) -> None:
    found = detect_round(require_data("training-v4.1", *part), "training")
    assert found.version == "v4.1"
    assert "only v4.1" in found.evidence


def test_real_training_submitter_with_only_bert_is_ambiguous() -> None:
    with pytest.raises(RoundDetectionError, match=r"benchmarks bert: all of them fit v4\.1, v5\.0"):
        detect_round(require_data("training-v4.1", "Krai"), "training")


def test_demo_fixture_made_with_loadgen_60_has_v61_seeds() -> None:
    found = detect_round(REPO / "fixtures" / "valid", "inference")
    assert found.version == "v6.1"
    assert "LoadGen 6.0" in found.evidence and "v6.1 seeds" in found.evidence


def test_overridden_seed_with_shared_loadgen_release_raises() -> None:
    with pytest.raises(RoundDetectionError, match=r"v6\.0 or v6\.1 in 1 log.*--version"):
        detect_round(REPO / "fixtures" / "wrong_seed", "inference")


# --- synthetic inference trees --------------------------------------------------------------------------------


def test_two_rounds_raise_naming_both_with_counts(tmp_path: Path) -> None:
    for i in range(6):
        write_log(tmp_path, "A", f"m{i}", "4.1", _seed("v4.1"))
    for i in range(3):
        write_log(tmp_path, "B", f"m{i}", "5.0", _seed("v5.0"))
    with pytest.raises(RoundDetectionError) as err:
        detect_round(tmp_path, "inference")
    assert "v4.1 in 6 logs" in str(err.value) and "v5.0 in 3 logs" in str(err.value)
    assert "--version" in str(err.value)


def test_small_minority_is_accepted_and_named(tmp_path: Path) -> None:
    for i in range(30):
        write_log(tmp_path, "A", f"m{i}", "4.0", _seed("v4.1"))
    write_log(tmp_path, "B", "m0", "5.0", _seed("v5.0"))
    found = detect_round(tmp_path, "inference")
    assert found.version == "v4.1"
    assert "minority of 1" in found.evidence and "v5.0 in 1 log" in found.evidence


def test_seed_decides_between_rounds_sharing_a_loadgen_release(tmp_path: Path) -> None:
    write_log(tmp_path, "A", "m0", "6.0.17", _seed("v6.0"))
    assert detect_round(tmp_path, "inference").version == "v6.0"


def test_unknown_loadgen_and_seed_raise(tmp_path: Path) -> None:
    write_log(tmp_path, "A", "m0", "3.1", 42)
    with pytest.raises(RoundDetectionError, match="no known round in 1 log"):
        detect_round(tmp_path, "inference")


def test_empty_tree_raises(tmp_path: Path) -> None:
    (tmp_path / "closed" / "A" / "results").mkdir(parents=True)
    with pytest.raises(RoundDetectionError, match=r"no performance/run_1/mlperf_log_detail.txt.*v4\.1"):
        detect_round(tmp_path, "inference")


def test_folder_that_is_no_tree_raises(tmp_path: Path) -> None:
    with pytest.raises(RoundDetectionError, match="--version"):
        detect_round(tmp_path, "inference")


def test_sample_is_spread_over_submitters() -> None:
    many = iter(Path(f"a{i}") for i in range(MAX_LOGS))
    few = iter([Path("b0"), Path("b1")])
    first = list(_round_robin([many, few]))[:4]
    assert first == [Path("a0"), Path("b0"), Path("a1"), Path("b1")]


# --- pin file -------------------------------------------------------------------------------------------------


def test_pin_wins_and_reports_contradicting_evidence(tmp_path: Path) -> None:
    write_log(tmp_path, "A", "m0", "4.1", _seed("v4.1"))
    (tmp_path / PIN_FILE).write_text("version: v5.0\nsuite: inference\n", encoding="utf-8")
    found = detect_round(tmp_path / "closed" / "A", "inference")  # the pin sits at the results root
    assert found.version == "v5.0"
    assert "pinned to v5.0" in found.evidence and "points to v4.1" in found.evidence


def test_pin_agreeing_with_tree_and_without_prefix(tmp_path: Path) -> None:
    write_log(tmp_path, "A", "m0", "4.1", _seed("v4.1"))
    (tmp_path / PIN_FILE).write_text('version: "4.1"\n', encoding="utf-8")
    found = detect_round(tmp_path, "inference")
    assert found.version == "v4.1" and "as the tree shows" in found.evidence


def test_pin_on_empty_tree(tmp_path: Path) -> None:
    (tmp_path / "closed").mkdir()
    (tmp_path / PIN_FILE).write_text("version: v6.0\n", encoding="utf-8")
    assert detect_round(tmp_path, "inference").version == "v6.0"


def test_training_pin(tmp_path: Path) -> None:
    write_training(tmp_path, "Org", "bert")
    (tmp_path / PIN_FILE).write_text("version: v5.0\nsuite: training\n", encoding="utf-8")
    assert detect_round(tmp_path / "Org", "training").version == "v5.0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: v4.1\nround: v4.1\n", "unknown key"),
        ("version: 4.1\n", "quoted round name"),
        ("version: v9.9\n", "unknown inference round v9.9"),
        ("- v4.1\n", "must be a mapping"),
        ("version: [v4.1\n", "cannot read"),
        ("version: v4.1\nsuite: training\n", "pins suite training"),
        ("version: v4.1\nsuite: vision\n", "suite must be one of"),
    ],
)
def test_broken_pin_raises(tmp_path: Path, text: str, message: str) -> None:
    write_log(tmp_path, "A", "m0", "4.1", _seed("v4.1"))
    (tmp_path / PIN_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(RoundDetectionError, match=message):
        detect_round(tmp_path, "inference")


# --- synthetic training trees ---------------------------------------------------------------------------------


def test_training_benchmarks_of_two_rounds_raise(tmp_path: Path) -> None:
    write_training(tmp_path, "Org", "bert")
    with pytest.raises(RoundDetectionError, match=r"all of them fit v4\.1, v5\.0.*--version"):
        detect_round(tmp_path, "training")


def test_training_benchmarks_no_round_has(tmp_path: Path) -> None:
    write_training(tmp_path, "Org", "gpt3")
    write_training(tmp_path, "Other", "rgat")
    with pytest.raises(RoundDetectionError, match="no round has them all"):
        detect_round(tmp_path, "training")


def test_training_uses_logged_benchmark_and_ignores_unknown_folders(tmp_path: Path) -> None:
    write_training(tmp_path, "Org", "flux_run", logged="flux1")
    write_training(tmp_path, "Org", "rgat")
    write_training(tmp_path, "Org", "scratch")
    found = detect_round(tmp_path, "training")
    assert found.version == "v5.1"
    assert "no round knows scratch" in found.evidence


def test_training_empty_tree_raises(tmp_path: Path) -> None:
    (tmp_path / "Org" / "results").mkdir(parents=True)
    with pytest.raises(RoundDetectionError, match="no results/"):
        detect_round(tmp_path, "training")


def test_unknown_suite_raises(tmp_path: Path) -> None:
    with pytest.raises(RoundDetectionError, match="unknown suite"):
        detect_round(tmp_path, "vision")
