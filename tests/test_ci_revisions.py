"""`subcheck ci` judges the revisions it names, follows submodules, and never writes to the repository.

Each test runs on a repository holding the real ConnectTechInc copy (v4.1; skipped without the shared data) and on
one holding the bundled demo tree (demo round).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.ci import ci
from checker.gitdiff import affected_by, changed_files
from checker.gitsnapshot import snapshot
from tests import trees
from tests.trees import Tree

IDENTITY = ["-c", "user.name=subcheck test", "-c", "user.email=t@example.invalid", "-c", "protocol.file.allow=always"]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def commit(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)


def run_ci(tree: Tree, repo: str | Path, *args: str) -> tuple[int, dict]:
    argv = ["--repo", str(repo), *tree.round_args, "--format", "json", "-j", "1", *args]
    result = CliRunner().invoke(ci, argv)
    if result.exit_code == 2:
        return 2, {"error": result.output}
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def found(report: dict) -> set[tuple[str, str]]:
    return {(f["code"], f["path"]) for f in report["findings"]}


def seeds(tree: Tree) -> tuple[str, str]:
    """The round's qsl seed as the Offline performance log prints it, and a wrong one (a PE006 error)."""
    seed = tree.qsl_seed
    return seed, seed[:-1] + str((int(seed[-1]) + 1) % 10)


def clean(tree: Tree) -> set[tuple[str, str]]:
    """What ci reports on the untouched Offline result: nothing on the real copy; on the demo tree, the CO008
    notice that its truncated TEST01 logs leave samples uncompared (the verify file's verdict is used)."""
    return set() if tree.real else {("CO008", f"{tree.audit('TEST01')}/verify_accuracy.txt")}


def set_seed(log: Path, old: str, new: str) -> None:
    text = log.read_text()
    assert old in text
    log.write_text(text.replace(old, new))


def _copy(kind: str, base: Path) -> Tree:
    return trees.real_tree(base) if kind == "real" else trees.demo_tree(base)


@pytest.fixture(params=["real", "demo"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    """A repository holding one submitter (real ConnectTechInc, or the demo tree), one valid commit."""
    tree = _copy(request.param, tmp_path)
    git(tree.root, "init", "-q")
    commit(tree.root, "valid results")
    return tree


def test_head_is_judged_from_its_objects_not_the_work_tree(repo: Tree) -> None:
    seed, bad = seeds(repo)
    log = repo.path(repo.perf_detail())
    set_seed(log, seed, bad)
    commit(repo.root, "bad seed")
    set_seed(log, bad, seed)  # the uncommitted fix must not hide the bad commit
    code, report = run_ci(repo, repo.root, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and ("PE006", repo.perf_detail()) in found(report)
    code, report = run_ci(repo, repo.root, "--base", "HEAD~1")  # no --head: the (fixed) work tree is judged
    assert code == 0 and found(report) == clean(repo)


def test_good_commit_with_a_bad_uncommitted_edit_passes_at_head(repo: Tree) -> None:
    seed, bad = seeds(repo)
    log = repo.path(repo.perf_detail())
    log.write_text(log.read_text() + "\n")
    commit(repo.root, "harmless edit")
    set_seed(log, seed, bad)
    assert run_ci(repo, repo.root, "--base", "HEAD~1", "--head", "HEAD")[0] == 0
    assert run_ci(repo, repo.root, "--base", "HEAD~1")[0] == 1


def test_snapshot_keeps_modes_and_links_and_is_removed(repo: Tree) -> None:
    docs = repo.path(repo.documentation)
    docs.mkdir(exist_ok=True)
    script = docs / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    (docs / "readme_link.md").symlink_to("run.sh")
    commit(repo.root, "script and link")
    os.remove(script)  # the work tree no longer has them; the snapshot must
    os.remove(docs / "readme_link.md")
    affected = affected_by(changed_files(repo.root, "HEAD~1", "HEAD"))
    log = repo.perf_detail()
    with snapshot(repo.root, "HEAD", affected) as snap:
        holder = snap.parent
        assert repo.root not in snap.parents and snap != repo.root
        written = snap / repo.documentation
        assert stat.S_IMODE((written / "run.sh").stat().st_mode) == 0o755
        assert os.readlink(written / "readme_link.md") == "run.sh"
        assert (snap / repo.system).read_bytes() == repo.path(repo.system).read_bytes()
        # a result the change does not touch: right name and size, content not read
        assert (snap / log).stat().st_size == repo.path(log).stat().st_size
    assert not holder.exists()
    code, report = run_ci(repo, repo.root, "--base", "HEAD~1", "--head", "HEAD")
    assert ("RH006", f"{repo.documentation}/readme_link.md") in found(report)


@pytest.fixture(params=["real", "demo"])
def super_repo(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    """A results repository whose submitter is a git submodule (added from a local path): real and demo."""
    copy = _copy(request.param, tmp_path / "src")
    source = copy.path(copy.sub)
    git(source, "init", "-q")
    commit(source, "submitter")
    top = tmp_path / "super"
    top.mkdir()
    git(top, "init", "-q")
    (top / "README.md").write_text("results\n")
    git(top, "submodule", "add", "-q", str(source), copy.sub)
    commit(top, "add submitter as submodule")
    return replace(copy, root=top)


def test_submodule_pointer_change_is_followed(super_repo: Tree) -> None:
    seed, bad = seeds(super_repo)
    log = super_repo.perf_detail()
    set_seed(super_repo.path(log), seed, bad)
    commit(super_repo.path(super_repo.sub), "bad seed inside the submodule")
    commit(super_repo.root, "move the submodule pointer")
    code, report = run_ci(super_repo, super_repo.root, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and ("PE006", log) in found(report)
    assert report["summary"]["results_checked"] == 1
    code, report = run_ci(super_repo, super_repo.root, "--base", "HEAD~1")
    assert code == 1 and ("PE006", log) in found(report)


def test_uncommitted_change_inside_a_submodule_is_seen(super_repo: Tree) -> None:
    seed, bad = seeds(super_repo)
    set_seed(super_repo.path(super_repo.perf_detail()), seed, bad)
    code, report = run_ci(super_repo, super_repo.root, "--base", "HEAD")
    assert code == 1 and ("PE006", super_repo.perf_detail()) in found(report)


def test_submodule_without_objects_is_refused(super_repo: Tree, tmp_path: Path) -> None:
    seed, bad = seeds(super_repo)
    set_seed(super_repo.path(super_repo.perf_detail()), seed, bad)
    commit(super_repo.path(super_repo.sub), "bad seed inside the submodule")
    commit(super_repo.root, "move the submodule pointer")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(super_repo.root), str(clone))  # submodule not initialised
    code, report = run_ci(super_repo, clone, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 2
    assert "submodule" in report["error"] and "git submodule update --init" in report["error"]


def test_ci_never_writes_to_the_repository(repo: Tree, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    git(repo.root, "config", "core.fsmonitor", str(hook))
    git(repo.root, "config", "filter.evil.clean", f"touch {marker}; cat")
    (repo.root / ".gitattributes").write_text("* filter=evil\n")
    for path in repo.path(repo.sub).rglob("*.txt"):  # stat-dirty: a plain `git diff` would refresh the index
        os.utime(path, (1_000_000_000, 1_000_000_000))
    seed, bad = seeds(repo)
    set_seed(repo.path(repo.perf_detail()), seed, bad)
    index = repo.root / ".git" / "index"
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    listing = sorted(p.name for p in (repo.root / ".git").iterdir())
    assert run_ci(repo, repo.root, "--base", "HEAD")[0] == 1
    assert run_ci(repo, repo.root, "--base", "HEAD", "--head", "HEAD")[0] == 0
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before
    assert sorted(p.name for p in (repo.root / ".git").iterdir()) == listing
    assert not marker.exists()


def test_relative_repo_paths_give_the_findings_of_the_absolute_path(
    repo: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed, bad = seeds(repo)
    set_seed(repo.path(repo.perf_detail()), seed, bad)
    commit(repo.root, "bad seed")
    repo.path(f"{repo.sub}/results/stray.log").write_text("x\n")
    for head in (("--head", "HEAD"), ()):
        code, absolute = run_ci(repo, repo.root, "--base", "HEAD~1", *head)
        assert code == 1 and absolute["findings"]
        monkeypatch.chdir(repo.root)
        assert _same(run_ci(repo, ".", "--base", "HEAD~1", *head), absolute)
        monkeypatch.chdir(repo.root.parent)
        assert _same(run_ci(repo, repo.root.name, "--base", "HEAD~1", *head), absolute)
        monkeypatch.chdir(repo.path(repo.sub))
        assert _same(run_ci(repo, "../..", "--base", "HEAD~1", *head), absolute)


@pytest.mark.parametrize("kind", ["real", "demo"])
def test_checked_root_below_the_repository_top(tmp_path: Path, kind: str) -> None:
    tree = _copy(kind, tmp_path)
    top = tmp_path
    git(top, "init", "-q")
    commit(top, "valid")
    seed, bad = seeds(tree)
    set_seed(tree.path(tree.perf_detail()), seed, bad)
    commit(top, "bad seed")
    shutil.rmtree(tree.path(f"{tree.sub}/results"))  # the head's objects are judged, not this
    code, report = run_ci(tree, tree.root, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and found(report) == {("PE006", tree.perf_detail())} | clean(tree)


def _same(got: tuple[int, dict], expected: dict) -> bool:
    code, report = got
    return code == 1 and report["findings"] == expected["findings"]
