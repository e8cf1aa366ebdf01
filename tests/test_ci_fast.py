"""What makes a one-result `subcheck ci` fast must never change what it says: a round detection remembered by what
it read, a small change checked without a pool, the training test without the training discovery, and git's filter
list asked beside the first git calls.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker import detect, detect_memo, incremental, ruleset
from checker.ci import ci
from checker.detect import RoundDetectionError, detect_round
from checker.gitdiff import affected_by, changes_between
from checker.gitinplace import holds_head
from checker.gitrepo import GitRepo, open_change
from checker.suites import _may_hold_systems, is_training_tree
from checker.training.discovery import detect_training_tree
from tests import trees
from tests.test_detect import _seed, write_log, write_training

IDENTITY = ["-c", "user.name=subcheck test", "-c", "user.email=t@example.invalid"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


# --- round detection remembered ------------------------------------------------------------------------------
@pytest.fixture
def memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The memo on, in a cache of our own; logs written a moment ago count as settled."""
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(detect_memo, "_FRESH_NS", -(10**12))
    before = detect_memo.use(True)
    yield tmp_path / "cache" / "round-detection"
    detect_memo.use(before)


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for n in range(3):
        write_log(root, "Acme", f"bench{n}", "4.1", _seed("v4.1"))
    write_log(root, "Other", "bench0", "4.0", _seed("v4.1"))
    return root


def _unread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any log read from here on fails the test: the answer must come from the memo."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a remembered detection read a log")

    monkeypatch.setattr(detect, "read_header_value", refuse)


def _fresh(root: Path) -> detect.Detection:
    before = detect_memo.use(False)
    try:
        return detect_round(root, "inference")
    finally:
        detect_memo.use(before)


def test_a_detection_is_answered_from_the_memo_until_a_sampled_log_changes(
    tmp_path: Path, memo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    first = detect_round(root, "inference")
    assert first == _fresh(root) and first.version == "v4.1"
    assert "from 4 sampled LoadGen logs of 2 submitters" in first.evidence
    assert len(_entries(memo)) == 1
    with monkeypatch.context() as patch:
        _unread(patch)
        assert detect_round(root, "inference") == first

    log = root / "closed" / "Other" / "results" / "sys" / "bench0" / "Offline" / "performance" / "run_1"
    text = (log / "mlperf_log_detail.txt").read_text()
    (log / "mlperf_log_detail.txt").write_text(text.replace('"4.0 @', '"4.1 @'))  # the same size
    again = detect_round(root, "inference")
    assert again == _fresh(root) and "LoadGen 4.1 in 4" in again.evidence
    assert len(_entries(memo)) == 2


@pytest.mark.parametrize("change", ["added", "removed", "submitter", "rules"])
def test_any_other_input_changed_is_detected_again(
    tmp_path: Path, memo: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    root = _tree(tmp_path)
    detect_round(root, "inference")
    if change == "added":
        write_log(root, "Acme", "bench9", "4.1", _seed("v4.1"))
    elif change == "removed":
        (root / "closed/Acme/results/sys/bench2/Offline/performance/run_1/mlperf_log_detail.txt").unlink()
    elif change == "submitter":
        (root / "open" / "Empty").mkdir(parents=True)  # a submitter without logs: the evidence counts it
    else:
        rules = tmp_path / "rules"
        (rules / "inference").mkdir(parents=True)
        for file in (ruleset.data_dir("rules") / "inference").glob("*.yaml"):
            (rules / "inference" / file.name).write_bytes(file.read_bytes())
        with (rules / "inference" / "v6.1.yaml").open("a") as stream:
            stream.write("\n# one more line\n")
        monkeypatch.setattr(ruleset, "data_dir", lambda name: rules if name == "rules" else Path("/nonexistent"))
    stored = _entries(memo)
    assert detect_round(root, "inference") == _fresh(root)
    assert len(_entries(memo)) == len(stored) + 1


def test_a_damaged_or_foreign_entry_is_ignored_and_rebuilt(tmp_path: Path, memo: Path) -> None:
    root = _tree(tmp_path)
    first = detect_round(root, "inference")
    (entry,) = _entries(memo)
    good = entry.read_bytes()
    head = good[: good.index(b"\n", len(b"subcheck-round-detection\n")) + 1]
    other = head.replace(entry.name.encode(), b"0" * len(entry.name)) + good[len(head) :]  # another key's entry
    forged = (b'["v9.9", "forged"]', b'["v4.1"]', b'{"version": "v4.1"}', b'["v4.1", ""]')
    for damaged in (b"", b"garbage", good[:-2], other, *(head + body for body in forged)):
        entry.write_bytes(damaged)
        assert detect_round(root, "inference") == first
        assert entry.read_bytes() == good


def test_conflicting_evidence_is_never_remembered(tmp_path: Path, memo: Path) -> None:
    root = tmp_path / "tree"
    write_log(root, "Acme", "a", "4.1", _seed("v4.1"))
    write_log(root, "Other", "b", "5.0", _seed("v5.0"))
    for _ in range(2):
        with pytest.raises(RoundDetectionError, match="cannot tell the round"):
            detect_round(root, "inference")
    assert _entries(memo) == []


def test_a_log_written_within_the_second_is_not_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(tmp_path / "cache"))
    before = detect_memo.use(True)
    try:
        root = _tree(tmp_path)
        assert detect_round(root, "inference").version == "v4.1"
    finally:
        detect_memo.use(before)
    assert _entries(tmp_path / "cache" / "round-detection") == []


def test_the_memo_is_off_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(detect_memo, "_FRESH_NS", -(10**12))
    assert detect_round(_tree(tmp_path), "inference").version == "v4.1"
    assert not (tmp_path / "cache").exists()


def test_bundled_inference_rounds_extend_only_their_siblings() -> None:
    """The memo keys the rule texts of rules/inference only: every file a bundled round is made of is there."""
    folder = (ruleset.data_dir("rules") / "inference").resolve()
    for version in ruleset.available_versions("inference"):
        assert {p.parent for p in ruleset.extends_chain(folder / f"{version}.yaml")} == {folder}


# --- a small change checked in this process ------------------------------------------------------------------
def _run_ci(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(ci, ["--repo", str(root), "--version", "v4.1", "--format", "json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_in_process_and_pool_give_the_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = trees.real_tree(tmp_path)
    git(tree.root, "init", "-q")
    git(tree.root, "add", "-A")
    git(tree.root, "commit", "-q", "-m", "valid")
    tree.break_seed()
    summary = tree.path(tree.perf_summary())
    summary.write_text(summary.read_text().replace("Result is : VALID", "Result is : INVALID"))
    jobs: list[int] = []
    real = incremental.run_checks

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        jobs.append(kwargs["jobs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(incremental, "run_checks", counted)
    code, in_process = _run_ci(tree.root, "--base", "HEAD", "-j", "2")
    monkeypatch.setattr(incremental, "IN_PROCESS", 0)
    assert _run_ci(tree.root, "--base", "HEAD", "-j", "2") == (code, in_process)
    assert jobs == [1, 2]
    found = {(f["code"], f["path"]) for f in json.loads(in_process)["findings"]}
    assert code == 1 and ("PE006", tree.perf_detail()) in found


# --- training told apart without the training discovery -------------------------------------------------------
def test_the_cheap_training_test_answers_as_the_discovery(tmp_path: Path) -> None:
    inference = tmp_path / "inference"
    write_log(inference, "Acme", "a", "4.1", _seed("v4.1"))
    (inference / "closed" / "Acme" / "systems").mkdir()  # a submitter's systems folder is two levels down
    training = tmp_path / "training"
    write_training(training, "Acme", "bert")
    single = training / "Acme"
    for root, expected in ((inference, False), (training, True), (single, True), (tmp_path / "none", False)):
        assert is_training_tree(root) is expected is (root.is_dir() and detect_training_tree(root))
    assert not _may_hold_systems(inference) and _may_hold_systems(training) and _may_hold_systems(single)


# --- git's filter list asked beside the first calls ----------------------------------------------------------
def test_the_filter_list_asked_beside_ls_tree_is_the_one_git_config_gives(tmp_path: Path) -> None:
    tree = trees.real_tree(tmp_path)
    git(tree.root, "init", "-q")
    git(tree.root, "config", "filter.strip.clean", "cat")
    git(tree.root, "config", "filter.strip.smudge", "cat")
    git(tree.root, "add", "-A")
    git(tree.root, "commit", "-q", "-m", "valid")
    tree.break_seed()
    git(tree.root, "commit", "-q", "-am", "bad seed")
    for filtered in (False, True):
        if filtered:
            tree.path(".gitattributes").write_text("*.txt filter=strip\n")
            git(tree.root, "add", "-A")
            git(tree.root, "commit", "-q", "-m", "attributes")
        repo, prefix, (old, new) = open_change(tree.root, ("HEAD~2" if filtered else "HEAD~1", "HEAD"))
        affected = affected_by(changes_between(repo, prefix, old, new))
        assert holds_head(repo, prefix, new, affected) is not filtered  # a filter attribute: the snapshot
        asked = vars(repo)["filter_overrides"]
        assert asked == GitRepo(repo.work_tree).filter_overrides
        assert "filter.strip.clean=" in asked and "filter.strip.required=false" in asked


def test_no_filter_in_the_config_is_known_as_none(tmp_path: Path) -> None:
    tree = trees.real_tree(tmp_path)
    git(tree.root, "init", "-q")
    git(tree.root, "add", "-A")
    git(tree.root, "commit", "-q", "-m", "valid")
    tree.break_seed()
    git(tree.root, "commit", "-q", "-am", "bad seed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    assert "filter." not in subprocess.run(["git", "config", "--list"], cwd=tree.root, env=env, capture_output=True,
                                           text=True).stdout  # fmt: skip
    repo, prefix, (old, new) = open_change(tree.root, ("HEAD~1", "HEAD"))
    assert holds_head(repo, prefix, new, affected_by(changes_between(repo, prefix, old, new)))
    assert vars(repo)["filter_overrides"] == ()


# --- git started before the round is chosen ------------------------------------------------------------------
def test_a_round_that_cannot_be_chosen_is_still_reported_before_a_bad_revision(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "closed" / "Acme" / "systems").mkdir(parents=True)
    (root / "closed" / "Acme" / "systems" / "sys.json").write_text("{}\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "no logs")
    result = CliRunner().invoke(ci, ["--repo", str(root), "--base", "no-such-revision", "--head", "HEAD"])
    assert result.exit_code == 2 and "cannot tell the round" in result.output
    assert "no-such-revision" not in result.output
    code, output = _run_ci(root, "--base", "no-such-revision", "--head", "HEAD")  # with a round: git's message
    assert code == 2 and "no-such-revision" in output
