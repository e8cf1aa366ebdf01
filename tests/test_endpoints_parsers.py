"""The Endpoints client's file parsers: both shapes of each file, and damaged input as an error value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from checker.parsers.endpoints import accuracy, read_json, read_yaml, summary

STANDALONE = {
    "n_samples_issued": 100,
    "n_samples_completed": 99,
    "n_samples_failed": 1,
    "duration_ns": 2_000_000_000,
    "output_sequence_lengths": {"total": 5000, "percentiles": {}},
    "ttft": {"percentiles": {"50": 40_000_000.0}},
    "tpot": {"percentiles": {"50": 4_000_000.0, "90": 5_000_000.0}},
    "system_tps": 2500.0,
    "tps_per_user": 200.0,
}
CLIENT = {  # the raw client's shape, as inference v6.1 publishes it: "90.0" keys, tps, run_config
    "n_samples_issued": 100,
    "n_samples_completed": 100,
    "n_samples_failed": 0,
    "duration_ns": 4_000_000_000,
    "output_sequence_lengths": {"total": 8000},
    "ttft": {"percentiles": {"50.0": 200_000_000.0, "99.0": 300_000_000.0}},
    "tpot": {"percentiles": {"90.0": 40_000_000.0}},
    "qps": 25.0,
    "tps": 2000.0,
    "run_config": {"load_pattern": {"type": "poisson", "target_qps": 25.0}},
}


def test_summary_reads_the_standalone_shape() -> None:
    s = summary(STANDALONE)
    assert (s.issued, s.completed, s.failed, s.problems) == (100, 99, 1, ())
    assert s.derived_system_tps == 2500.0 and s.stored_system_tps == 2500.0
    assert s.tpot_ms(90.0) == 5.0 and s.ttft_ms(50.0) == 40.0 and s.stored_tps_per_user == 200.0


def test_summary_reads_the_client_shape_of_inference_v61() -> None:
    s = summary(CLIENT)
    assert s.derived_system_tps == 2000.0 and s.stored_system_tps == 2000.0 and s.qps == 25.0
    assert s.tpot_ms(90.0) == 40.0 and s.ttft_ms(50.0) == 200.0 and s.load_pattern == "poisson"


def test_summary_names_missing_and_mistyped_fields() -> None:
    s = summary({"n_samples_issued": "100", "n_samples_completed": True, "duration_ns": float("nan")})
    assert s.problems == (
        "n_samples_issued",
        "n_samples_completed",
        "n_samples_failed",
        "duration_ns",
        "output_sequence_lengths.total",
    )
    assert s.derived_system_tps is None


def test_accuracy_reads_a_mapping_of_datasets_with_string_scores_and_repeats() -> None:
    acc = accuracy({"ds": {"dataset_name": "ds", "num_samples": 10, "n_repeats": 3, "score": {"ROUGE1": "38.9"}}})
    assert acc.score("rouge1") == 38.9 and acc.samples == 30 and acc.problems == ()


def test_accuracy_reads_the_client_list_with_an_unnamed_score() -> None:
    acc = accuracy({"accuracy_scores": [{"dataset_name": "r1", "score": 81.4, "total_samples": 4388}]})
    assert acc.score("score") == 81.4 and acc.samples == 4388 and acc.entries[0].dataset == "r1"


def test_accuracy_without_entries_is_a_problem() -> None:
    assert accuracy({"accuracy_scores": "none"}).problems and accuracy({}).problems == ("no accuracy entry",)


def test_read_yaml_and_json_return_errors_with_kind_and_line(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("a: [1,\n")
    (tmp_path / "l.yaml").write_text("- 1\n")
    (tmp_path / "s.json").write_text('{"a": NaN}')
    broken, listed, nan = read_yaml(tmp_path / "p.yaml"), read_yaml(tmp_path / "l.yaml"), read_json(tmp_path / "s.json")
    assert not broken.ok and broken.line == 2 and "YAML" in (broken.error or "")
    assert "mapping" in (listed.error or "") and not nan.ok
    assert read_yaml(tmp_path / "none.yaml").missing


def _json() -> st.SearchStrategy[Any]:
    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    )


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([*STANDALONE, *CLIENT, "accuracy_scores", "score"]), _json(), max_size=8))
def test_damaged_files_never_raise(data: dict[str, Any]) -> None:
    s = summary(data)
    assert s.derived_system_tps is None or s.duration_ns
    accuracy(data)
    json.dumps(s.problems)


REPORT = """----------------- Summary -----------------
Version: 0.1.0
Run config:
  scheduler_random_seed: 16159082839903944936
Total samples issued: 600000
Total samples completed: 600000
Total samples failed: 0
Duration: 2318.93 seconds
QPS: 310.08
TPS: 1175890.22
Accuracy:
  Average: 81.43

------------------- Latency Breakdowns -------------------
TPS: 1
"""


def test_report_totals_reads_the_summary_block_only() -> None:
    from checker.parsers.endpoints_files import report_totals

    assert report_totals(REPORT) == {
        "issued": 600000.0,
        "completed": 600000.0,
        "failed": 0.0,
        "duration_s": 2318.93,
        "qps": 310.08,
        "tps": 1175890.22,
    }


def test_snapshot_reads_counters_and_series() -> None:
    from checker.parsers.endpoints_files import snapshot

    snap = snapshot(
        {
            "state": "complete",
            "metrics": [
                {"type": "counter", "name": "total_samples_failed", "value": 0},
                {"type": "series", "name": "tpot_ns", "percentiles": {"99.0": 161422662.0}},
                {"type": "counter", "name": "bad", "value": "x"},
                "junk",
            ],
        }
    )
    assert snap.state == "complete" and snap.counters == {"total_samples_failed": 0.0}
    assert snap.series == {"tpot_ns": {99.0: 161422662.0}}
    assert snapshot({"metrics": "none"}).counters == {}
