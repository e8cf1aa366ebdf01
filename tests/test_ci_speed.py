"""What makes `subcheck ci` fast must never change what it says: remembered schema passes, rule files parsed once,
and checking ``--head`` in place.

A remembered pass (checker.schema_memo) is only a pass of exactly the same document against exactly the same
schema: one byte that breaks the document brings its finding back, and a damaged entry is no pass. ``--head`` is
checked in the work tree only when git proves the work tree holds it (checker.gitinplace); every doubt writes the
snapshot, and both ways give the same report byte for byte.
"""

from __future__ import annotations

import json
import marshal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker import gitinplace, ruleset, schema_memo, schemas, yaml_memo
from checker.ci import ci
from checker.gitdiff import affected_by, changes_between
from checker.gitrepo import open_change
from tests import trees
from tests.trees import Tree

IDENTITY = ["-c", "user.name=subcheck test", "-c", "user.email=t@example.invalid"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def commit(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)


def run_ci(tree: Tree, *args: str) -> tuple[int, str]:
    argv = ["--repo", str(tree.root), *tree.round_args, "--format", "json", "-j", "1", *args]
    result = CliRunner().invoke(ci, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def codes(output: str) -> set[tuple[str, str, str | None]]:
    return {(f["code"], f["path"], f["key"]) for f in json.loads(output)["findings"]}


@pytest.fixture(params=["real", "demo"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    tree = trees.real_tree(tmp_path) if request.param == "real" else trees.demo_tree(tmp_path)
    git(tree.root, "init", "-q")
    commit(tree.root, "valid results")
    return tree


@pytest.fixture
def memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache of our own; the process memo of validations is cleared so only the stored one can answer."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(folder))
    schemas._errors_of.cache_clear()
    ruleset.load.cache_clear()  # so that this run reads its rule files
    schema_memo.remember_passes(False)  # an in-process ci run earlier in this worker leaves it on (engine sets it)
    yield folder / "schema-passes"
    schemas._errors_of.cache_clear()
    schema_memo.remember_passes(False)


def _set_nodes(tree: Tree, old: str, new: str) -> None:
    path = tree.path(tree.system)
    text = path.read_text()
    assert f'"number_of_nodes": {old}' in text
    path.write_text(text.replace(f'"number_of_nodes": {old}', f'"number_of_nodes": {new}', 1))  # one byte


# --- remembered schema passes --------------------------------------------------------------------------------
def test_a_remembered_pass_never_hides_a_one_byte_break(repo: Tree, memo: Path) -> None:
    path = repo.path(repo.system)
    path.write_text(path.read_text().replace("{", "{ ", 1))  # the system description is part of the change
    code, first = run_ci(repo, "--base", "HEAD")
    assert code == 0 and not {c for c, _, _ in codes(first)} & {"SY001", "SY003"}
    stored = sorted(memo.rglob("*"))
    assert any(p.is_file() for p in stored), "the pass of the system description was not remembered"
    assert any((memo.parent / "parsed-yaml").rglob("*")), "ci parses its rule files once"
    schemas._errors_of.cache_clear()
    assert run_ci(repo, "--base", "HEAD")[1] == first  # answered from the memo: the same report, byte for byte

    _set_nodes(repo, "1", "0")
    schemas._errors_of.cache_clear()
    code, broken = run_ci(repo, "--base", "HEAD")
    assert code == 1 and ("SY003", repo.system, "number_of_nodes") in codes(broken)
    assert sorted(memo.rglob("*")) == stored, "a failing document must never be remembered"


def _system_key(tree: Tree) -> tuple[str, dict, tuple[str, ...]]:
    spec = tree.rules()["system_description"]
    return spec["schema"], json.loads(tree.path(tree.system).read_text()), tuple(spec["required_fields"])


def test_a_damaged_or_foreign_entry_is_no_pass(repo: Tree, memo: Path) -> None:
    schema_memo.remember_passes(True)
    name, data, required = _system_key(repo)
    assert schemas.errors_of(name, data, required) == []
    good = schema_memo.key(schemas.load_schema(name), json.dumps(data, sort_keys=True, allow_nan=True), required, False)
    entry = next(p for p in memo.rglob("*") if p.is_file() and p.name == good)

    data["number_of_nodes"] = 0
    bad = schema_memo.key(schemas.load_schema(name), json.dumps(data, sort_keys=True, allow_nan=True), required, False)
    bad_entry = entry.parent.parent / bad[:2] / bad
    bad_entry.parent.mkdir(parents=True, exist_ok=True)
    for damaged in (entry.read_bytes(), b"", entry.read_bytes()[:-1], b"subcheck-schema-pass\n" + bad.encode()):
        bad_entry.write_bytes(damaged)  # another document's pass, empty, truncated, without its newline
        schemas._errors_of.cache_clear()
        found = schemas.errors_of(name, data, required)
        assert [list(e.absolute_path) for e in found] == [["number_of_nodes"]]
        assert bad_entry.read_bytes() == damaged  # a failure is not written over it

    data["number_of_nodes"] = 1
    entry.write_bytes(b"garbage")
    schemas._errors_of.cache_clear()
    assert schemas.errors_of(name, data, required) == []  # validated again, and the entry repaired
    assert entry.read_bytes() == b"subcheck-schema-pass\n" + good.encode() + b"\n"


def test_the_key_names_the_schema_and_the_required_fields(repo: Tree) -> None:
    name, data, required = _system_key(repo)
    schema = schemas.load_schema(name)
    content = json.dumps(data, sort_keys=True, allow_nan=True)
    base = schema_memo.key(schema, content, required, False)
    assert base != schema_memo.key({**schema, "required": ["x"]}, content, required, False)
    assert base != schema_memo.key(schema, content, (*required, "x"), False)
    assert base != schema_memo.key(schema, content, required, True)
    assert base != schema_memo.key(schema, content.replace("1", "2", 1), required, False)


def test_the_memo_is_off_unless_asked(repo: Tree, memo: Path) -> None:
    name, data, required = _system_key(repo)
    assert schemas.errors_of(name, data, required) == []
    assert not memo.exists()


# --- --head checked in place ---------------------------------------------------------------------------------
def _holds(tree: Tree, base: str = "HEAD~1", head: str = "HEAD") -> bool:
    git_repo, prefix, (old, new) = open_change(tree.root, (base, head))
    affected = affected_by(changes_between(git_repo, prefix, old, new))
    return gitinplace.holds_head(git_repo, prefix, new, affected)


def _bad_commit(tree: Tree) -> None:
    tree.break_seed()
    commit(tree.root, "bad seed")


def test_in_place_and_snapshot_give_the_same_report(repo: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    _bad_commit(repo)
    assert _holds(repo)
    code, in_place = run_ci(repo, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and ("PE006", repo.perf_detail(), None) in {(c, p, None) for c, p, _ in codes(in_place)}
    monkeypatch.setattr("checker.gitinplace.InPlace.answer", lambda self, ready=None: False)  # the snapshot
    assert run_ci(repo, "--base", "HEAD~1", "--head", "HEAD") == (code, in_place)


def _untracked(tree: Tree) -> None:
    tree.path(f"{tree.results}/stray.txt").write_text("x\n")


def _ignored(tree: Tree) -> None:
    tree.path(".gitignore").write_text("*.bak\n")
    commit(tree.root, "ignore backups")
    tree.path(f"{tree.results}/old.bak").write_text("x\n")


def _empty_folder(tree: Tree) -> None:
    tree.path(f"{tree.results}/Empty").mkdir()


def _edited(tree: Tree) -> None:
    """The uncommitted fix of the bad commit: the same size, so only git's own comparison can see it."""
    log = tree.path(tree.perf_detail())
    good = tree.qsl_seed
    log.write_text(log.read_text().replace(good[:-1] + str((int(good[-1]) + 1) % 10), good))


def _executable(tree: Tree) -> None:
    tree.path(tree.perf_detail()).chmod(0o755)


def _assume_unchanged(tree: Tree) -> None:
    git(tree.root, "update-index", "--assume-unchanged", tree.perf_detail())


def _filtered(tree: Tree) -> None:
    tree.path(".gitattributes").write_text("*.json ident\n")
    commit(tree.root, "attributes")


@pytest.mark.parametrize(
    "doubt", [_untracked, _ignored, _empty_folder, _edited, _executable, _assume_unchanged, _filtered]
)
def test_any_doubt_writes_the_snapshot(repo: Tree, doubt) -> None:  # type: ignore[no-untyped-def]
    _bad_commit(repo)
    assert _holds(repo)
    doubt(repo)
    assert not _holds(repo, "HEAD~1" if doubt not in (_ignored, _filtered) else "HEAD~2")


def test_a_file_git_is_told_to_ignore_is_still_judged_at_head(repo: Tree) -> None:
    """assume-unchanged hides a work-tree edit from git; the fixed work tree must not pass the bad commit."""
    _bad_commit(repo)
    git(repo.root, "update-index", "--assume-unchanged", repo.perf_detail())
    _edited(repo)
    code, report = run_ci(repo, "--base", "HEAD~1", "--head", "HEAD")
    assert code == 1 and "PE006" in {c for c, _, _ in codes(report)}
    assert run_ci(repo, "--base", "HEAD~1")[0] == 0  # the work tree itself is fixed


# --- rule files parsed once ----------------------------------------------------------------------------------
@pytest.fixture
def parsed_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(tmp_path / "cache"))
    yaml_memo.use(True)
    yield tmp_path / "cache" / "parsed-yaml"
    yaml_memo.use(False)


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_an_edited_rule_file_is_parsed_again(tmp_path: Path, parsed_yaml: Path) -> None:
    rules = tmp_path / "mine.yaml"
    rules.write_text("extends: v4.1\nmodels:\n  resnet:\n    min_query_count: 24576\n")
    assert ruleset._read_yaml(rules)["models"]["resnet"]["min_query_count"] == 24576
    assert len(_entries(parsed_yaml)) == 1
    assert ruleset._read_yaml(rules)["models"]["resnet"]["min_query_count"] == 24576  # from the entry
    rules.write_text("extends: v4.1\nmodels:\n  resnet:\n    min_query_count: 24577\n")  # one byte
    assert ruleset._read_yaml(rules)["models"]["resnet"]["min_query_count"] == 24577
    assert len(_entries(parsed_yaml)) == 2


def test_a_damaged_or_foreign_parsed_entry_is_ignored(tmp_path: Path, parsed_yaml: Path) -> None:
    rules = tmp_path / "mine.yaml"
    rules.write_text("extends: v4.1\nround: mine\n")
    first = ruleset._read_yaml(rules)
    (entry,) = _entries(parsed_yaml)
    good = entry.read_bytes()
    head = good[: good.index(b"\n", len(b"subcheck-parsed-yaml\n")) + 1]
    other = head.replace(entry.name.encode(), b"0" * len(entry.name))
    for damaged in (b"", good[:-3], b"garbage", other + good[len(head) :],
                    head + marshal.dumps({"extends": ("v4.1",)}), head + marshal.dumps(["not", "a", "mapping"]),
                    head + marshal.dumps({"extends": "v5.0", "round": "forged"})[:-1]):  # fmt: skip
        entry.write_bytes(damaged)
        assert ruleset._read_yaml(rules) == first
        assert entry.read_bytes() == good  # replaced by what the text gives


def test_a_rule_file_that_is_not_plain_data_is_not_stored(tmp_path: Path, parsed_yaml: Path) -> None:
    rules = tmp_path / "mine.yaml"
    rules.write_text("extends: v4.1\nreleased: 2024-08-28\n")  # a YAML date
    assert str(ruleset._read_yaml(rules)["released"]) == "2024-08-28"
    assert _entries(parsed_yaml) == []
    rules.write_text("extends: v4.1\nmodels: [\n")
    with pytest.raises(ruleset.RulesetError, match="not valid YAML"):
        ruleset._read_yaml(rules)
    assert _entries(parsed_yaml) == []


def test_parsed_rule_files_are_off_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(tmp_path / "cache"))
    rules = tmp_path / "mine.yaml"
    rules.write_text("extends: v4.1\n")
    assert ruleset._read_yaml(rules) == {"extends": "v4.1"}
    assert not (tmp_path / "cache").exists()
