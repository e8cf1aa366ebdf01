"""Training power: the power/ layout rules (TE001-TE005) and energy to train, against the official summarizer.

No published training power logs are in the v4.1 sample, so ``v61.add_power`` writes node and switch logs
for the real gpt3 fixture runs. OFFICIAL_J is what ``mlperf_logging.result_summarizer`` (PyPI
mlperf-logging 4.1.68, ruleset 4.1.0) prints as ``gpt3:Energy`` for exactly that tree.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.findings import Severity

from . import v61
from .harness import bench_dir, edit, findings, logs, run, set_field

OFFICIAL_J = 16044046.618972061
OFFICIAL_MIN = 27.329533333333334


@pytest.fixture
def powered(tree: Path) -> Path:
    v61.add_power(bench_dir(tree))
    return tree


def _power(tree: Path, k: int) -> Path:
    return bench_dir(tree) / "power" / f"result_{k}"


def test_energy_equals_official_summarizer(powered: Path) -> None:
    report = run(powered)
    assert report.findings == []
    row = report.rows[0]
    assert (row["score"], row["Energy"], row["energy_unit"]) == (OFFICIAL_MIN, OFFICIAL_J, "J")
    wide = report.wide_rows()[0]
    assert wide["gpt3"] == OFFICIAL_MIN and wide["gpt3:Energy"] == OFFICIAL_J
    assert list(wide).index("gpt3:Energy") == list(wide).index("details_url") - 1


def test_no_power_no_energy_columns(tree: Path) -> None:
    report = run(tree)
    assert "Energy" not in report.rows[0] and not any(k.endswith(":Energy") for k in report.wide_rows()[0])


def _official_python() -> str | None:
    if importlib.util.find_spec("mlperf_logging") is not None:
        return sys.executable
    return os.environ.get("MLPERF_LOGGING_PYTHON")


def test_official_summarizer_live(powered: Path, tmp_path: Path) -> None:
    """Runs the official summarizer when it is installed (or MLPERF_LOGGING_PYTHON names an interpreter)."""
    python = _official_python()
    if python is None:
        pytest.skip("mlperf_logging not installed (set MLPERF_LOGGING_PYTHON)")
    out = tmp_path / "sum.csv"
    cmd = [python, "-m", "mlperf_logging.result_summarizer", str(powered / "Google"), "training", "4.1.0", "--csv"]
    subprocess.run([*cmd, str(out)], cwd=tmp_path, check=True, capture_output=True, timeout=600)
    (row,) = csv.DictReader((tmp_path / "sum_detailed.csv").open())
    assert float(row["gpt3:Energy"]) == run(powered).rows[0]["Energy"] == OFFICIAL_J


def test_scaling_factor_scales_energy(powered: Path) -> None:
    (bench_dir(powered) / "scaling.json").write_text(json.dumps({"scaling_factor": 1.1}))
    assert run(powered).rows[0]["Energy"] == OFFICIAL_J * 1.1


def test_energy_ranked_by_time_with_a_dropped_run(powered: Path) -> None:
    """One run fails compliance: of the two left, the slower one's energy counts (as its time does)."""
    edit(logs(powered, [0]), set_field("submission_org", ""))
    row = run(powered).rows[0]
    alone = run_energy_of(powered)
    times = {k: t for k, t in alone}
    slower = max((1, 2), key=lambda k: times[k][0])
    assert row["Energy"] == times[slower][1] and row["dropped_runs"] == 1


def run_energy_of(tree: Path) -> list[tuple[int, tuple[float, float]]]:
    from checker.ruleset import load
    from checker.training.context import BenchmarkContext, load_system_desc
    from checker.training.discovery import discover
    from checker.training.power import run_energy
    from checker.training.scoring import run_window

    system = discover(tree).submitters[0].systems[0]
    ctx = BenchmarkContext(
        tree, load("training", "v4.1"), system.benchmarks[0], system, load_system_desc(system.desc_path)
    )
    out = []
    assert ctx.power_layout is not None
    for k, (run_, rp) in enumerate(zip(ctx.runs, ctx.power_layout.runs, strict=True)):
        w = run_window(run_.log)
        assert w is not None
        out.append((k, (w[1] - w[0], run_energy(rp, w[1] - w[0], tree, 1 << 30).joules or 0.0)))
    return out


def test_te001_missing_run_folder(powered: Path) -> None:
    for f in _power(powered, 2).iterdir():
        f.unlink()
    _power(powered, 2).rmdir()
    report = run(powered)
    (f,) = findings(report, "TE001")
    assert (f.path, f.severity) == (f"Google/results/{v61_system()}/gpt3/power/result_2", Severity.WARNING)
    assert report.rows[0]["Energy"] is None  # the official summarizer crashes here
    assert [x.path for x in findings(report, "TE004")] == [f"Google/results/{v61_system()}/gpt3/power/result_2"]


def test_te001_two_missing_is_tp003(powered: Path) -> None:
    for k in (1, 2):
        for f in _power(powered, k).iterdir():
            f.unlink()
        _power(powered, k).rmdir()
    report = run(powered)
    assert {f.severity for f in findings(report, "TE001")} == {Severity.ERROR}
    assert findings(report, "TP003")[0].found == 2


def test_te002_bad_index_and_stray(powered: Path) -> None:
    (_power(powered, 0) / "node_1.txt").rename(_power(powered, 0) / "node_5.txt")
    (_power(powered, 1) / "readme.txt").write_text("notes")
    got = findings(run(powered), "TE002")
    assert [(f.path.rsplit("/", 2)[-2:], f.severity) for f in got] == [
        (["power", "result_0"], Severity.WARNING),
        (["result_1", "readme.txt"], Severity.WARNING),
    ]
    assert "node_5.txt: index 5 outside 0..1" in got[0].message


def test_te003_node_count_differs(powered: Path) -> None:
    (_power(powered, 2) / "node_1.txt").unlink()
    (f,) = findings(run(powered), "TE003")
    assert f.path.endswith("power/result_2") and "1 node logs where the other runs have 2" in f.message


def test_te004_no_measurement_start(powered: Path) -> None:
    edit([_power(powered, 1) / "node_0.txt"], lambda lines: lines[1:])
    report = run(powered)
    (f,) = findings(report, "TE004")
    assert (f.key, f.severity) == ("power_measurement_start", Severity.ERROR)
    assert report.rows[0]["Energy"] is None


def test_te004_missing_stop_is_a_warning(powered: Path) -> None:
    edit([_power(powered, 1) / "node_0.txt"], lambda lines: lines[:-1])
    report = run(powered)
    (f,) = findings(report, "TE004")
    assert (f.key, f.severity) == ("power_measurement_stop", Severity.WARNING)
    assert report.rows[0]["Energy"] is not None


def test_te005_window_shorter_than_run(powered: Path) -> None:
    node = _power(powered, 0) / "node_0.txt"
    edit([node], set_field("power_measurement_stop", lambda t: t - 600_000, field="time_ms"))
    (f,) = findings(run(powered), "TE005")
    assert f.path.endswith("result_0/node_0.txt") and f.severity is Severity.WARNING


def test_qwen_v61_tree_with_power(tmp_path: Path) -> None:
    v61.build(tmp_path / "t", power=True)
    report = run(tmp_path / "t", "v6.1")
    assert report.findings == [] and report.rows[0]["Energy"] > 0


def v61_system() -> str:
    from .harness import SYSTEM

    return SYSTEM


# --- damaged power logs: a finding or an energy, never a crash ----------------------------------------------------

_KEYS = ["power_measurement_start", "power_measurement_stop", "power_reading", "conversion_eff", "other"]
_VALUES = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=True), st.integers(-(10**30), 10**30), st.text(max_size=5)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(
        st.tuples(st.sampled_from(_KEYS), st.integers(-(10**6), 10**13), _VALUES), min_size=0, max_size=12
    ),
    junk=st.sampled_from(["", ":::MLLOG {broken\n", "\x00\xff\n"]),
)
def test_damaged_node_log_never_crashes(powered: Path, records: list, junk: str) -> None:
    node = _power(powered, 0) / "node_0.txt"
    node.write_text("".join(v61.line(t, k, v) + "\n" for k, t, v in records) + junk, encoding="latin-1")
    report = run(powered)
    assert not findings(report, "EN001")
    energy = report.rows[0]["Energy"]
    assert energy is None or math.isfinite(energy)
    if energy is None:
        assert [f for f in findings(report, "TE004") if f.severity is Severity.ERROR]


def test_energy_overflow_is_te004(powered: Path) -> None:
    edit([_power(powered, 0) / "node_0.txt"], set_field("power_reading", 1e308, nth=None))
    report = run(powered)
    assert report.rows[0]["Energy"] is None
    assert [f.path.rsplit("/", 1)[-1] for f in findings(report, "TE004")] == ["result_0"]
