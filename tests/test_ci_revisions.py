"""`subcheck ci` judges the revisions it names, follows submodules, and never writes to the repository."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.ci import ci
from checker.gitdiff import affected_by, changed_files
from checker.gitsnapshot import snapshot
from tests.conftest import copy_submitter

CTT = "closed/ConnectTechInc"
LOG = "results/Orin_TRT/gptj-99/Offline/performance/run_1/mlperf_log_detail.txt"
SEED, BAD_SEED = "3066443479025735752", "3066443479025735753"
IDENTITY = ["-c", "user.name=subcheck test", "-c", "user.email=t@example.invalid", "-c", "protocol.file.allow=always"]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def commit(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)


def run_ci(repo: str | Path, *args: str) -> tuple[int, dict]:
    argv = ["--repo", str(repo), "--version", "v4.1", "--format", "json", "-j", "1", *args]
    result = CliRunner().invoke(ci, argv)
    if result.exit_code == 2:
        return 2, {"error": result.output}
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def found(report: dict) -> set[tuple[str, str]]:
    return {(f["code"], f["path"]) for f in report["findings"]}


def set_seed(log: Path, old: str, new: str) -> None:
    log.write_text(log.read_text().replace(old, new))


@pytest.fixture
def ctt_repo(tmp_path: Path) -> Path:
    """A repository holding the ConnectTechInc submitter, one valid commit."""
    root = copy_submitter(tmp_path, "closed", "ConnectTechInc")
    git(root, "init", "-q")
    commit(root, "valid results")
    return root


def test_head_is_judged_from_its_objects_not_the_work_tree(ctt_repo: Path) -> None:
    log = ctt_repo / CTT / LOG
    set_seed(log, SEED, BAD_SEED)
    commit(ctt_repo, "bad seed")
    set_seed(log, BAD_SEED, SEED)  # the uncommitted fix must not hide the bad commit
    code, report = run_ci(ctt_repo, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and ("PE006", f"{CTT}/{LOG}") in found(report)
    code, report = run_ci(ctt_repo, "--base", "HEAD~1")  # no --head: the (fixed) work tree is judged
    assert code == 0 and not report["findings"]


def test_good_commit_with_a_bad_uncommitted_edit_passes_at_head(ctt_repo: Path) -> None:
    log = ctt_repo / CTT / LOG
    log.write_text(log.read_text() + "\n")
    commit(ctt_repo, "harmless edit")
    set_seed(log, SEED, BAD_SEED)
    assert run_ci(ctt_repo, "--base", "HEAD~1", "--head", "HEAD")[0] == 0
    assert run_ci(ctt_repo, "--base", "HEAD~1")[0] == 1


def test_snapshot_keeps_modes_and_links_and_is_removed(ctt_repo: Path) -> None:
    sub = ctt_repo / CTT
    (sub / "documentation").mkdir(exist_ok=True)
    script = sub / "documentation" / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    (sub / "documentation" / "readme_link.md").symlink_to("run.sh")
    commit(ctt_repo, "script and link")
    os.remove(script)  # the work tree no longer has them; the snapshot must
    os.remove(sub / "documentation" / "readme_link.md")
    affected = affected_by(changed_files(ctt_repo, "HEAD~1", "HEAD"))
    with snapshot(ctt_repo, "HEAD", affected) as tree:
        holder = tree.parent
        assert ctt_repo not in tree.parents and tree != ctt_repo
        written = tree / CTT / "documentation"
        assert stat.S_IMODE((written / "run.sh").stat().st_mode) == 0o755
        assert os.readlink(written / "readme_link.md") == "run.sh"
        system = f"{CTT}/systems/Orin_TRT.json"
        assert (tree / system).read_bytes() == (ctt_repo / system).read_bytes()
        # a result the change does not touch: right name and size, content not read
        assert (tree / CTT / LOG).stat().st_size == (ctt_repo / CTT / LOG).stat().st_size
    assert not holder.exists()
    code, report = run_ci(ctt_repo, "--base", "HEAD~1", "--head", "HEAD")
    assert ("RH006", f"{CTT}/documentation/readme_link.md") in found(report)


@pytest.fixture
def super_repo(tmp_path: Path) -> Path:
    """A results repository whose ConnectTechInc submitter is a git submodule (added from a local path)."""
    source = copy_submitter(tmp_path / "src", "closed", "ConnectTechInc") / CTT
    git(source, "init", "-q")
    commit(source, "submitter")
    top = tmp_path / "super"
    top.mkdir()
    git(top, "init", "-q")
    (top / "README.md").write_text("results\n")
    git(top, "submodule", "add", "-q", str(source), CTT)
    commit(top, "add submitter as submodule")
    return top


def test_submodule_pointer_change_is_followed(super_repo: Path) -> None:
    inner = super_repo / CTT
    set_seed(inner / LOG, SEED, BAD_SEED)
    commit(inner, "bad seed inside the submodule")
    commit(super_repo, "move the submodule pointer")
    code, report = run_ci(super_repo, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and ("PE006", f"{CTT}/{LOG}") in found(report)
    assert report["summary"]["results_checked"] == 1
    code, report = run_ci(super_repo, "--base", "HEAD~1")
    assert code == 1 and ("PE006", f"{CTT}/{LOG}") in found(report)


def test_uncommitted_change_inside_a_submodule_is_seen(super_repo: Path) -> None:
    set_seed(super_repo / CTT / LOG, SEED, BAD_SEED)
    code, report = run_ci(super_repo, "--base", "HEAD")
    assert code == 1 and ("PE006", f"{CTT}/{LOG}") in found(report)


def test_submodule_without_objects_is_refused(super_repo: Path, tmp_path: Path) -> None:
    inner = super_repo / CTT
    set_seed(inner / LOG, SEED, BAD_SEED)
    commit(inner, "bad seed inside the submodule")
    commit(super_repo, "move the submodule pointer")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(super_repo), str(clone))  # submodule not initialised
    code, report = run_ci(clone, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 2
    assert "submodule" in report["error"] and "git submodule update --init" in report["error"]


def test_ci_never_writes_to_the_repository(ctt_repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    git(ctt_repo, "config", "core.fsmonitor", str(hook))
    git(ctt_repo, "config", "filter.evil.clean", f"touch {marker}; cat")
    (ctt_repo / ".gitattributes").write_text("* filter=evil\n")
    for path in (ctt_repo / CTT).rglob("*.txt"):  # stat-dirty: a plain `git diff` would refresh the index
        os.utime(path, (1_000_000_000, 1_000_000_000))
    set_seed(ctt_repo / CTT / LOG, SEED, BAD_SEED)
    index = ctt_repo / ".git" / "index"
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    listing = sorted(p.name for p in (ctt_repo / ".git").iterdir())
    assert run_ci(ctt_repo, "--base", "HEAD")[0] == 1
    assert run_ci(ctt_repo, "--base", "HEAD", "--head", "HEAD")[0] == 0
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before
    assert sorted(p.name for p in (ctt_repo / ".git").iterdir()) == listing
    assert not marker.exists()


def test_relative_repo_paths_give_the_findings_of_the_absolute_path(
    ctt_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_seed(ctt_repo / CTT / LOG, SEED, BAD_SEED)
    commit(ctt_repo, "bad seed")
    (ctt_repo / CTT / "results" / "stray.log").write_text("x\n")
    for head in (("--head", "HEAD"), ()):
        code, absolute = run_ci(ctt_repo, "--base", "HEAD~1", *head)
        assert code == 1 and absolute["findings"]
        monkeypatch.chdir(ctt_repo)
        assert _same(run_ci(".", "--base", "HEAD~1", *head), absolute)
        monkeypatch.chdir(ctt_repo.parent)
        assert _same(run_ci(ctt_repo.name, "--base", "HEAD~1", *head), absolute)
        monkeypatch.chdir(ctt_repo / CTT)
        assert _same(run_ci("../..", "--base", "HEAD~1", *head), absolute)


def test_checked_root_below_the_repository_top(tmp_path: Path) -> None:
    tree = copy_submitter(tmp_path, "closed", "ConnectTechInc")
    top = tmp_path
    git(top, "init", "-q")
    commit(top, "valid")
    set_seed(tree / CTT / LOG, SEED, BAD_SEED)
    commit(top, "bad seed")
    shutil.rmtree(tree / CTT / "results")  # the head's objects are judged, not this
    code, report = run_ci(tree, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and found(report) == {("PE006", f"{CTT}/{LOG}")}


def _same(got: tuple[int, dict], expected: dict) -> bool:
    code, report = got
    return code == 1 and report["findings"] == expected["findings"]
