"""`subcheck ci` overlaps its imports with git's work, and imports nothing its run does not use.

The rule modules import on a second thread while git computes the change; the main thread meanwhile imports only
modules that import no rule module, so the two threads can never wait on each other's import (a deadlock would be
a traceback). Modules only a snapshot, an index copy, a misspelled code or a crash needs are imported there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from checker import context
from checker.context import walk_submitter
from checker.engine import Selection, SelectionError, crash_finding
from checker.gitinplace import _same_entries, _walk_holds
from checker.registry import REGISTRY, load_suite
from tests import trees
from tests.test_ci_speed import _holds, commit, git, run_ci

REPO = Path(__file__).resolve().parents[1]
# what the rule modules import on their way: the main thread must not import any of these while they load
RULE_CHAIN = ("checker.checks", "checker.context", "checker.suites", "checker.registry", "checker.engine",
              "checker.plugins", "checker.metrics")  # fmt: skip

WATCH = textwrap.dedent(
    """
    import gc, json, sys, threading
    import checker.cli as cli
    concurrent = []

    def hook(event, args):
        if event != "import" or args[0] in sys.modules or threading.current_thread() is not threading.main_thread():
            return
        if any(t.name == "subcheck-rule-imports" for t in threading.enumerate()):
            concurrent.append(args[0])

    sys.addaudithook(hook)
    collections = []
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(threading.active_count()))
    sys.argv = ["subcheck", "ci", *sys.argv[1:]]
    try:
        cli.program()
    except SystemExit as exc:
        code = exc.code
    during = sum(1 for count in collections if count > 1)  # while the import thread ran
    print(json.dumps({"code": code, "concurrent": concurrent, "loaded": sorted(sys.modules), "collections": during}),
          file=sys.stderr)
    """
)


def _watched(root: Path, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", WATCH, "--repo", str(root), "-j", "1", "-q", *args],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.fixture
def changed(tmp_path: Path) -> trees.Tree:
    tree = trees.real_tree(tmp_path)
    git(tree.root, "init", "-q")
    commit(tree.root, "valid results")
    tree.break_seed()
    commit(tree.root, "bad seed")
    return tree


@pytest.mark.parametrize("given", [False, True], ids=["detected", "given"])
def test_the_main_thread_imports_no_rule_module_while_they_load(changed: trees.Tree, given: bool) -> None:
    args = ["--base", "HEAD~1", "--head", "HEAD", *(changed.round_args if given else ())]
    seen = _watched(changed.root, *args)
    assert seen["code"] == 1  # the bad seed, found in place
    assert not [m for m in seen["concurrent"] if m.startswith(RULE_CHAIN)]
    assert "checker.checks.performance" in seen["loaded"]
    assert seen["collections"] <= 2  # the collector runs every 50,000 allocations from the start (8 to 21 times before)
    if not given:
        assert "checker.detect" in seen["loaded"]


def test_a_ci_run_in_place_imports_no_snapshot_or_crash_module(changed: trees.Tree) -> None:
    """Once the plugin scan is remembered (a first run reads the installed distributions, zipfile and all). Where a
    plugin is installed (``make test`` installs the Dice example), every run scans, and importlib.metadata brings
    tempfile and shutil itself: then only the snapshot and crash modules are asked about."""
    args = ("--base", "HEAD~1", "--head", "HEAD", *changed.round_args)
    assert _watched(changed.root, *args)["code"] == 1
    seen = _watched(changed.root, *args)
    assert seen["code"] == 1
    scanned = "importlib.metadata" in seen["loaded"]
    unwanted = {"checker.gitsnapshot", "traceback"} | (set() if scanned else {"tempfile", "shutil"})
    assert sorted(unwanted & set(seen["loaded"])) == []


def test_the_snapshot_still_finds_what_is_in_place(changed: trees.Tree) -> None:
    """A head not checked out is written to a temporary folder (tempfile and shutil imported there)."""
    base, head = git(changed.root, "rev-parse", "HEAD~1", "HEAD").split()
    git(changed.root, "checkout", "-q", base)
    seen = _watched(changed.root, "--base", base, "--head", head, *changed.round_args)
    assert seen["code"] == 1 and "tempfile" in seen["loaded"]


def test_a_crash_still_carries_its_traceback_and_a_typo_its_suggestion() -> None:
    load_suite("inference")
    rule = next(iter(REGISTRY.values()))
    try:
        raise KeyError("boom")
    except KeyError as exc:
        finding = crash_finding(rule, exc, "a/b", "a/b", debug=True)
    assert finding.code == "EN001" and "KeyError" in finding.extra["traceback"]
    assert finding.found.startswith("test_ci_overlap.py:")
    with pytest.raises(SelectionError, match="did you mean"):
        Selection(select=(rule.code[:-1] + "x",)).validate()


def test_a_folder_is_compared_by_its_kind_without_a_stat(tmp_path: Path) -> None:
    """A folder in head must be a folder in the work tree: a link to one, or a file, is no match."""
    region = {"": {"d": ("040000", 0)}, "d": {}}
    (tmp_path / "d").mkdir()
    assert _same_entries(str(tmp_path), region, allow_git=False)
    (tmp_path / "d").rmdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "d").symlink_to(tmp_path / "elsewhere")
    assert not _same_entries(str(tmp_path), {"": {"d": ("040000", 0), "elsewhere": ("040000", 0)}, "d": {}}, False)
    (tmp_path / "d").unlink()
    (tmp_path / "d").write_text("")
    assert not _same_entries(str(tmp_path), {"": {"d": ("040000", 0), "elsewhere": ("040000", 0)}, "d": {}}, False)


# --- the proof's walk of the touched submitters is the checks' walk ------------------------------------------
def _replace_with_link(tree: trees.Tree) -> None:
    """A log replaced by a link to a copy of itself outside the tree: the same content, not what head holds."""
    log = tree.path(tree.perf_detail())
    copy = tree.root.parent / "copy.txt"
    copy.write_bytes(log.read_bytes())
    log.unlink()
    log.symlink_to(copy)


def _folder_for_file(tree: trees.Tree) -> None:
    log = tree.path(tree.perf_detail())
    log.unlink()
    log.mkdir()


def _linked_folder(tree: trees.Tree) -> None:
    """A result folder replaced by a link to a copy of it: every file the same, the folder not one."""
    folder = tree.path(tree.perf_detail()).parent
    copy = tree.root.parent / "run_1"
    folder.rename(copy)
    folder.symlink_to(copy)


@pytest.mark.parametrize("doubt", [_replace_with_link, _folder_for_file, _linked_folder])
def test_a_walked_submitter_unlike_head_is_no_proof(changed: trees.Tree, doubt) -> None:  # type: ignore[no-untyped-def]
    assert _holds(changed)
    doubt(changed)
    assert not _holds(changed)


def test_the_checks_read_the_walk_the_proof_took(changed: trees.Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = changed
    walked: list[str] = []
    real = context.walk_submitter
    monkeypatch.setattr(context, "walk_submitter", lambda root, top: walked.append(top) or real(root, top))
    code, in_place = run_ci(repo, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and walked == [str(repo.root / repo.sub)]  # once: by the proof, not again by the checks
    assert context.TAKEN_WALKS == {}  # forgotten after the run
    monkeypatch.setattr("checker.gitinplace.InPlace.answer", lambda self, ready=None: False)  # the snapshot
    assert run_ci(repo, "--base", "HEAD~1", "--head", "HEAD") == (code, in_place)


def test_a_walk_holds_head_only_with_its_names_kinds_sizes_and_modes(tmp_path: Path) -> None:
    sub = tmp_path / "closed" / "S"
    (sub / "results").mkdir(parents=True)
    (sub / "results" / "log.txt").write_text("abc")
    os.symlink("log.txt", sub / "results" / "link")
    results = {"log.txt": ("100644", 3), "link": ("120000", 7)}
    head = {"closed/S": {"results": ("040000", 0)}, "closed/S/results": results}

    def holds(region: dict = head) -> bool:
        return _walk_holds(str(tmp_path), walk_submitter(str(tmp_path), str(sub)), region, "closed/S")

    assert holds()
    assert not holds({**head, "closed/S/results": {**results, "log.txt": ("100755", 3)}})
    assert not holds({**head, "closed/S/results": {**results, "log.txt": ("100644", 4)}})
    assert not holds({**head, "closed/S/results": {**results, "link": ("120000", 3)}})
    assert not holds({**head, "closed/S/results": {**results, "link": ("100644", 3)}})
    assert not holds({**head, "closed/S/results": {**results, "gone": ("100644", 3)}})
    (sub / "results" / "Empty").mkdir()  # an empty folder head cannot hold
    assert not holds()
    (sub / "results" / "Empty").rmdir()
    (sub / "results" / "log.txt").chmod(0o755)
    assert not holds()
