"""Fail-closed cases pinned end to end on the bundled LoadGen fixture and, where the shared data is present, on a
real v4.1 submitter.

Each is a way the official tools (or an earlier subcheck) let a damaged submission pass, hang or flood memory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_OFFLINE, DEMO_RULES, REPO, check_demo_json, copy_submitter

TRAINING_FIXTURE = REPO / "tests" / "training" / "data" / "v4.1"

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


# --- odd files on the paths that read only part of a file, or read our own inputs ----------------------------
CELL_TIMEOUT_S = 60
MEMORY_CAP = 1 << 30  # a run that tried to read a 2 GiB file whole would die of MemoryError under this cap


def _limited() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line in a subprocess, so a hang is a timeout and a flood a MemoryError, not a stuck suite."""
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", *args],
        capture_output=True,
        text=True,
        timeout=CELL_TIMEOUT_S,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        preexec_fn=_limited,
    )


def sparse(path: Path, size: int = 2 << 30) -> None:
    """A 2 GiB file of zeros without a single newline, that takes no disk."""
    path.unlink(missing_ok=True)
    with path.open("wb") as stream:
        stream.truncate(size)


@pytest.fixture(params=["demo", "real"])
def any_tree(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, list[str], str]:
    """(root, round options, a submitter folder): the bundled demo tree and a real v4.1 submitter."""
    if request.param == "demo":
        root = tmp_path / "demo"
        shutil.copytree(REPO / "fixtures" / "valid", root)
        return root, ["--rules", DEMO_RULES], "closed/SubcheckDemo"
    return copy_submitter(tmp_path, "closed", "ConnectTechInc"), ["--version", "v4.1"], "closed/ConnectTechInc"


def test_fifo_without_a_suffix_at_the_submitter_root_fails_without_hanging(any_tree) -> None:
    """RH002 sniffs files without a known text suffix for NUL bytes; opening a FIFO for that used to block."""
    root, rounds, submitter = any_tree
    os.mkfifo(root / submitter / "notes")
    done = run_cli("check", str(root), *rounds, "-j", "1")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{submitter}/notes\n  ST017 error: is a FIFO (named pipe), not a regular file" in done.stdout


def test_round_detection_reads_a_bounded_head_of_each_log(any_tree) -> None:
    """Without --version the round is read from log headers; a 2 GiB log without newlines must not be read whole."""
    root, _, submitter = any_tree
    logs = sorted((root / submitter / "results").glob("*/*/Offline/performance/run_1/mlperf_log_detail.txt"))
    sparse(logs[0])
    done = run_cli("check", str(root), "-j", "1")
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    if done.returncode == 1:  # the other logs named the round: the damaged one is rejected
        assert "file is 2147483648 bytes, above the" in done.stdout


def test_a_pin_file_that_is_a_fifo_is_a_usage_error(any_tree) -> None:
    root, _, _ = any_tree
    os.mkfifo(root / ".subcheck.yaml")
    done = run_cli("check", str(root), "-j", "1")
    assert done.returncode == 2 and "cannot read the round pin: is a FIFO (named pipe)" in done.stderr


@pytest.mark.parametrize("damage", ["fifo", "sparse"])
def test_an_unusable_waiver_file_is_a_usage_error(any_tree, tmp_path: Path, damage: str) -> None:
    root, rounds, _ = any_tree
    waivers = tmp_path / "waivers.yaml"
    os.mkfifo(waivers) if damage == "fifo" else sparse(waivers)
    done = run_cli("check", str(root), *rounds, "-j", "1", "--waivers", str(waivers))
    assert done.returncode == 2 and "WV003 invalid waiver file" in done.stderr and "MemoryError" not in done.stderr


def test_select_that_names_no_rule_of_the_suite_is_a_usage_error() -> None:
    done = run_cli("check", str(TRAINING_FIXTURE), "--version", "v4.1", "--select", "PE")
    assert done.returncode == 2 and "--select PE names no training rule" in done.stderr


def test_training_private_id_fifo_and_huge_params_do_not_hang_or_flood(tmp_path: Path) -> None:
    """privateid.json used to be read with a plain open (a FIFO blocked), package_checker_params read whole."""
    root = tmp_path / "training"
    shutil.copytree(TRAINING_FIXTURE, root)
    system = next((root / "Google" / "results").iterdir())
    benchmark = next(system.iterdir())
    os.mkfifo(system / "privateid.json")  # optional metadata: left out of the table, never waited on
    sparse(benchmark / "package_checker_params")
    done = run_cli("check", str(root), "--suite", "training", "--version", "v4.1", "-j", "1")
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    rel = benchmark.relative_to(root).as_posix()
    assert f"{rel}/package_checker_params\n  TP008 warning: cannot read: file is 2147483648 bytes, above the" in (
        done.stdout
    )
