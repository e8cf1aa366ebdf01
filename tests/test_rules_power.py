"""PO rules and the power row of the table, from mutated copies of UntetherAI's real power results."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.context import ResultContext, RunOptions
from checker.discovery import discover
from checker.findings import Severity
from checker.metrics import power_metric, primary_metric
from checker.rounds import Round
from checker.table import result_row
from tests.conftest import require_data
from tests.test_rules_accuracy import found, one, set_record

SYSTEM = "r760_u6_slim"
OFFLINE = f"closed/UntetherAI/results/{SYSTEM}/resnet50/offline/performance"


@pytest.fixture
def untether(tmp_path: Path) -> Path:
    """UntetherAI's closed submission reduced to one power system (resnet50 Offline and Server), writable."""
    source = require_data("inference-v4.1", "closed", "UntetherAI")
    others = {p.stem for p in (source / "systems").glob("*.json")} - {SYSTEM}
    root = tmp_path / "tree"
    shutil.copytree(
        source,
        root / "closed" / "UntetherAI",
        ignore=lambda folder, names: [n for n in names if n in others or n.removesuffix(".json") in others],
    )
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def _context(root: Path, scenario: str = "offline") -> ResultContext:
    rules = Round.load("inference", "v4.1")
    units = [u for s in discover(root, "split").submitters for u in s.results]
    unit = next(u for u in units if u.rel.endswith(f"resnet50/{scenario}"))
    return ResultContext(rules, unit, RunOptions())


# --- PO001 files ------------------------------------------------------------------------------------------
def test_po001_pass_real_power_results(untether: Path) -> None:
    assert found(untether, "PO001") == []


@pytest.mark.parametrize("name", ["ranging/spl.txt", "ranging/mlperf_log_detail.txt", "power/server.json"])
def test_po001_fail_missing_file(untether: Path, name: str) -> None:
    (untether / OFFLINE / name).unlink()
    finding = one(untether, "PO001")
    assert finding.path == f"{OFFLINE}/{name}" and finding.fails


# --- PO002 power metric computable ---------------------------------------------------------------------------
def test_po002_pass_and_fail_window_without_samples(untether: Path) -> None:
    assert found(untether, "PO002") == []
    detail = untether / OFFLINE / "run_1" / "mlperf_log_detail.txt"
    set_record(detail, "power_begin", "07-25-2030 11:26:10.805")
    set_record(detail, "power_end", "07-25-2030 11:37:13.840")
    finding = one(untether, "PO002")
    assert finding.found == "none" and finding.fails


def test_po002_fail_only_non_positive_samples(untether: Path) -> None:
    spl = untether / OFFLINE / "run_1" / "spl.txt"
    lines = []
    for line in spl.read_text().splitlines():
        parts = line.split(",")
        if len(parts) > 3:
            parts[3] = "0.000000"
        lines.append(",".join(parts))
    spl.write_text("\n".join(lines) + "\n")
    assert one(untether, "PO002").fails


# --- PO003 PTD errors -----------------------------------------------------------------------------------------
def test_po003_real_ranging_errors_are_warnings(untether: Path) -> None:
    hits = found(untether, "PO003")
    assert hits and all(f.severity is Severity.WARNING for f in hits)
    assert all("during ranging" in f.message and "Bad " in f.message for f in hits)


@pytest.mark.parametrize(("message", "fails"), [("Connection lost to the analyzer", True), ("USB.", False)])
def test_po003_errors_outside_ranging(untether: Path, message: str, fails: bool) -> None:
    ptd = untether / OFFLINE / "power" / "ptd_logs.txt"
    with ptd.open("a") as stream:
        stream.write(f"\n07-25-2024 11:30:00.000: ERROR: {message}\n")
    outside = [f for f in found(untether, "PO003") if "outside ranging" in f.message]
    assert len(outside) == 1 and outside[0].found == message and outside[0].fails is fails


# --- PO004 PTD samples cover the run ---------------------------------------------------------------------------
def test_po004_pass_and_fail_truncated_samples(untether: Path) -> None:
    assert found(untether, "PO004") == []
    spl = untether / OFFLINE / "run_1" / "spl.txt"
    lines = spl.read_text().splitlines()
    spl.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    finding = one(untether, "PO004")
    assert finding.severity is Severity.WARNING


# --- the power row ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("scenario", "units"), [("offline", "Watts"), ("server", "Watts")])
def test_power_row_carries_the_power_metric(untether: Path, scenario: str, units: str) -> None:
    ctx = _context(untether, scenario)
    rows = result_row(ctx)
    power = power_metric(ctx)
    assert power is not None and len(rows) == 2
    performance, energy = rows
    assert performance["Result"] == primary_metric(ctx).value  # type: ignore[union-attr]
    assert (energy["Result"], energy["Units"]) == (power.value, units)
    assert 100 < power.value < 2000  # an R760 with accelerator cards draws hundreds of watts


_STAMP_CHARS = "0123456789-:. T+_x\u0662\uff18"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_STAMP_CHARS, min_size=19, max_size=26), st.sampled_from([0, 2, 5, 10, 13, 16, 19]))
def test_the_fast_stamp_parse_is_the_general_one(noise: str, keep: int) -> None:
    """The C fast path of PTD/LoadGen stamps never reads a stamp otherwise than the general parse does."""
    from checker.metrics import _parse_time, _parse_time_general

    text = "07-15-2024 23:37:18.249"[:keep] + noise[keep:]
    assert _parse_time(text) == _parse_time_general(text.strip())


def test_a_ptd_log_without_errors_is_quiet_and_one_with_an_error_is_not(untether: Path) -> None:
    ptd = untether / OFFLINE / "power" / "ptd_logs.txt"
    lines = [line for line in ptd.read_text().splitlines() if ": ERROR" not in line]
    ptd.write_text("\n".join(lines) + "\n")
    assert [f for f in found(untether, "PO003") if f.path.startswith(OFFLINE)] == []
    lines.insert(len(lines) - 1, "07-25-2024 11:30:00.000: ERROR: Lost connection")
    ptd.write_text("\n".join(lines) + "\n")
    hits = [f for f in found(untether, "PO003") if f.path.startswith(OFFLINE)]
    assert [(f.line, f.found, f.fails) for f in hits] == [(len(lines) - 1, "Lost connection", True)]
