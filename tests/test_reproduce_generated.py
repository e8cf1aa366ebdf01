"""`subcheck reproduce` on a tree generated on this machine: valid claims reproduce, claims raised 30 % do not.

The tree is generated once per test session (shared by the xdist workers under a lock). The issue
asks for exit 0 in at least 9 of 10 tries; a valid claim is given a second try here, which a 90 %
pass rate fails with probability 1 %. Every raised claim must exit 1 on its only try.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

pytest.importorskip("mlperf_loadgen")
from reference_sut import SCENARIOS  # noqa: E402
from tests.reproduce_trees import build_tree, raise_claim  # noqa: E402

RESULTS = Path("closed/SubcheckDemo/results/demo_cpu_numpy/digits")
REPEAT = "2"


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tree per session; under xdist the workers share it through the session's common temp folder."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    tree = shared / "reproduce-generated-tree"
    with (shared / "reproduce-generated-tree.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (tree / ".done").exists():
            shutil.rmtree(tree, ignore_errors=True)
            build_tree(tree)
            (tree / ".done").write_text("")
    return tree


def _copy(tree: Path, tmp_path: Path, scenario: str) -> Path:
    """A writable copy of one result with its system description (reproduce needs both)."""
    root = tmp_path / "tree"
    shutil.copytree(tree / RESULTS.parents[2] / "systems", root / RESULTS.parents[2] / "systems")
    shutil.copytree(tree / RESULTS / scenario, root / RESULTS / scenario)
    return root / RESULTS / scenario


def _reproduce(result: Path) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, ["reproduce", str(result), "--repeat", REPEAT])
    return outcome.exit_code, outcome.output


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_generated_claim_reproduces(generated: Path, scenario: str) -> None:
    code, out = _reproduce(generated / RESULTS / scenario)
    if code != 0:
        code, out = _reproduce(generated / RESULTS / scenario)
    assert code == 0, out
    assert out.startswith(f"REPRODUCED digits / {scenario}")
    assert "same hardware: throughput and latency are judged against the claim" in out
    assert "FAIL" not in out


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_generated_claim_raised_30_percent_is_not_reproduced(generated: Path, tmp_path: Path, scenario: str) -> None:
    result = _copy(generated, tmp_path, scenario)
    raise_claim(result, 1.3)
    code, out = _reproduce(result)
    assert code == 1, out
    assert out.startswith(f"NOT REPRODUCED digits / {scenario}")
    if scenario == "Server":  # the scheduled rate contradicts target_qps, and the re-run's schedule
        assert "INCONSISTENT CLAIM: scheduled rate follows target_qps" in out
    else:  # consistent edits: only the re-run catches them
        assert "claim consistency: ok" in out or scenario == "Offline"
        primary = next(line for line in out.splitlines() if "(best)" in line)
        assert primary.rstrip().endswith("FAIL"), out
