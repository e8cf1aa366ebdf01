"""Power logs that cannot measure energy never give an energy (TE004), found by a fail-closed probe.

Before the fix a node log whose window held no ``power_reading`` added 0 J, and a negative reading, efficiency or
switch estimate lowered the energy; the summarizer's arithmetic accepts both, but no meter reads negative watts
and a window without a reading measured nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.findings import Severity

from . import v61
from .harness import bench_dir, edit, findings, run, set_field


@pytest.fixture
def powered(tree: Path) -> Path:
    v61.add_power(bench_dir(tree))
    return tree


def _node(tree: Path) -> Path:
    return bench_dir(tree) / "power" / "result_0" / "node_0.txt"


def _te004_errors(tree: Path) -> list[tuple[str, str | None]]:
    report = run(tree)
    assert not findings(report, "EN001") and report.rows[0]["Energy"] is None
    return [(f.path.rsplit("/", 1)[-1], f.key) for f in findings(report, "TE004") if f.severity is Severity.ERROR]


def test_a_window_without_readings_is_te004(powered: Path) -> None:
    edit([_node(powered)], lambda lines: [x for x in lines if '"power_reading"' not in x])
    assert _te004_errors(powered) == [("node_0.txt", "power_reading")]


@pytest.mark.parametrize("key", ["power_reading", "conversion_eff"])
def test_a_negative_node_value_is_te004(powered: Path, key: str) -> None:
    edit([_node(powered)], set_field(key, -5.0, nth=0))
    assert _te004_errors(powered) == [("node_0.txt", key)]


def test_a_negative_switch_estimate_is_te004(powered: Path) -> None:
    edit([bench_dir(powered) / "power" / "result_0" / "sw_0.txt"], set_field("interconnect_power_est", -250.0))
    assert _te004_errors(powered) == [("sw_0.txt", "interconnect_power_est")]


@pytest.mark.parametrize("kind", ["file", "fifo", "link-loop"])
def test_a_power_entry_that_is_not_a_folder_is_te002(tree: Path, kind: str) -> None:
    """Before the fix a file named power was read as "no power results" and the folder passed."""
    power = bench_dir(tree) / "power"
    if kind == "file":
        power.write_text("x")
    elif kind == "fifo":
        os.mkfifo(power)
    else:
        power.symlink_to("power")
    report = run(tree)
    assert [(f.path.rsplit("/", 1)[-1], f.severity) for f in findings(report, "TE002")] == [("power", Severity.ERROR)]
