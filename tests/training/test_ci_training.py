"""`subcheck ci` on a training results repository: only the benchmark folders a change touched are judged."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.ci import ci

from . import v61
from .conftest import FIXTURE

BENCH = f"{v61.ORG}/results/{v61.SYSTEM}/{v61.BENCH}"
GPT3 = "Google/results/cloud-tpu-trillium-2048-maxtext/gpt3"


def git(root: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two submitters at v6.1; Google's gpt3 folder is no v6.1 benchmark, so a full check would reject it."""
    root = tmp_path / "repo"
    v61.build(root, power=True)
    shutil.copytree(FIXTURE / "Google", root / "Google")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def run_ci(root: Path, *args: str) -> tuple[int, dict]:
    res = CliRunner().invoke(ci, ["--repo", str(root), "--version", "v6.1", "--format", "json", "-j", "1", *args])
    assert res.exit_code != 2, res.output
    return res.exit_code, json.loads(res.output)


def codes(report: dict) -> list[tuple[str, str]]:
    return [(f["code"], f["path"]) for f in report["findings"]]


def _bump_lr(root: Path, run: int = 1) -> None:
    log = root / BENCH / f"result_{run}.txt"
    text = log.read_text()
    assert '"opt_base_learning_rate", "value": 1e-06' in text
    log.write_text(text.replace('"opt_base_learning_rate", "value": 1e-06', '"opt_base_learning_rate", "value": 2e-06'))


def test_untouched_folders_are_not_judged(repo: Path) -> None:
    code, report = run_ci(repo, "--base", "HEAD")
    assert code == 0 and report["findings"] == []
    _bump_lr(repo)
    code, report = run_ci(repo, "--base", "HEAD")
    assert code == 0  # one bad run of three is tolerated
    assert codes(report) == [("TL004", f"{BENCH}/result_1.txt")]
    # Google's gpt3 folder (TP002 in v6.1) is not checked
    assert report["summary"]["results_checked"] == 1 and [r["submitter"] for r in report["results"]] == ["Acme"]


def test_head_judges_the_commit_not_the_work_tree(repo: Path) -> None:
    _bump_lr(repo, 0)
    _bump_lr(repo, 1)
    git(repo, "commit", "-qam", "two bad runs")
    git(repo, "checkout", "-q", "HEAD~1", "--", BENCH)  # the work tree is fixed, the commit is not
    code, report = run_ci(repo, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1
    assert ("TP003", BENCH) in codes(report)
    assert run_ci(repo, "--base", "HEAD")[0] == 0


def test_system_description_change_checks_its_benchmarks(repo: Path) -> None:
    desc = repo / v61.ORG / "systems" / f"{v61.SYSTEM}.json"
    data = json.loads(desc.read_text())
    del data["framework"]
    desc.write_text(json.dumps(data))
    code, report = run_ci(repo, "--base", "HEAD")
    assert code == 1
    assert ("TS002", f"{v61.ORG}/systems/{v61.SYSTEM}.json") in codes(report)
    assert report["summary"]["results_checked"] == 1 and [r["submitter"] for r in report["results"]] == ["Acme"]


def test_power_change_is_judged(repo: Path) -> None:
    (repo / BENCH / "power" / "result_2" / "node_1.txt").unlink()
    code, report = run_ci(repo, "--base", "HEAD")
    assert codes(report) == [("TE003", f"{BENCH}/power/result_2")]


def test_removed_benchmark_folder_is_ci001(repo: Path) -> None:
    git(repo, "rm", "-rq", GPT3)
    code, report = run_ci(repo, "--base", "HEAD")
    assert ("CI001", GPT3) in codes(report)
