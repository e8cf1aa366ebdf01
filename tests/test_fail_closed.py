"""Fail-closed cases pinned end to end on the bundled LoadGen fixture (no shared data needed).

Each is a way the official tools (or an earlier subcheck) let a damaged submission pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DEMO_OFFLINE, check_demo_json

OFFLINE = DEMO_OFFLINE


@pytest.fixture
def tree(demo_tree: Path) -> Path:
    return demo_tree


def findings(root: Path, code: str) -> list[dict]:
    return [f for f in check_demo_json(root)[1]["findings"] if f["code"] == code]


def test_ac004_pass_whole_sha256(tree: Path) -> None:
    assert not findings(tree, "AC004")


def test_ac004_fail_hash_cut_short(tree: Path) -> None:
    """The official pattern ``^hash=([\\w\\d]+)$`` accepts ``hash=b3283``; a SHA-256 has 64 hex digits."""
    path = tree / OFFLINE / "accuracy" / "accuracy.txt"
    text = path.read_text()
    whole = text.split("hash=")[1].strip()
    path.write_text(text.replace(whole, whole[:20]))
    got = findings(tree, "AC004")
    assert [(f["path"], f["severity"], f["expected"]) for f in got] == [
        (f"{OFFLINE}/accuracy/accuracy.txt", "error", "hash=<sha256>")
    ]


def test_summary_cut_short_is_not_a_pass(tree: Path) -> None:
    """Half a summary still holds 'Result is' and the metric; LoadGen always ends it with its error count."""
    path = tree / OFFLINE / "performance" / "run_1" / "mlperf_log_summary.txt"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    got = findings(tree, "PE017")
    assert got and got[0]["path"] == f"{OFFLINE}/performance/run_1/mlperf_log_summary.txt"
    assert "truncated" in got[0]["message"]


def test_accuracy_detail_log_cut_mid_line_is_an_error(tree: Path) -> None:
    path = tree / OFFLINE / "accuracy" / "mlperf_log_detail.txt"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 7])
    got = findings(tree, "AC010")
    assert [(f["path"], f["severity"]) for f in got] == [(f"{OFFLINE}/accuracy/mlperf_log_detail.txt", "error")]
    assert got[0]["line"] == data[: len(data) - 7].count(b"\n") + 1
