"""The compliance rules' cheaper paths give what the exact old code gives, on real and damaged inputs.

* Accuracy JSON logs: the record regexes are possessive (no backtracking into the data); they must read
  every text, damaged or not, as the backtracking patterns did.
* CO002 takes a readable verify file as proof that it is a file (the verdict rules read it anyway) and
  asks the file system only otherwise: what it reports must be what ``Path.is_file()`` says.
* Findings name string paths through ``Path``, so a path outside the checked root is named as before.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.checks import compliance as co
from checker.context import ResultContext, RunOptions, clear_caches
from checker.discovery import discover
from checker.parsers import accuracy_log
from checker.parsers.accuracy_log import AccuracyLog, parse_accuracy_log_text
from tests import trees
from tests.conftest import require_data

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ORACLE = "inference-v4.1/open/Oracle/compliance/GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT"
# A retinanet TEST01 log: records longer than the 4096 characters kept on each side of the truncation mark, so
# both visible ones are cut in the middle of their data (where backtracking patterns step back over all of it).
RETINANET = f"{ORACLE}/retinanet/Offline/TEST01/accuracy/mlperf_log_accuracy.json"
RESNET = f"{ORACLE}/resnet50/Offline/TEST01/accuracy/mlperf_log_accuracy.json"  # short records, many complete
DEMO_LOG = trees.VALID / "closed/SubcheckDemo/results/demo_cpu_numpy/digits/Offline/accuracy/mlperf_log_accuracy.json"
DAMAGE = ['"', "{", "}", "\n", "\t", " ", ",", "x", "é", "\n\n...\n\n", '"data" : "', "0A"]


def fields(log: AccuracyLog) -> tuple[object, ...]:
    return (
        log.size,
        log.entries,
        log.duplicates,
        log.records,
        log.max_seq_id,
        log.truncated,
        log.complete,
        log.error,
        log.kind,
    )


def backtracking(text: str) -> AccuracyLog:
    """The parse with the patterns as they were before (every ``*+`` a plain ``*``)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("_ENTRY", "_PLAIN_LINE_FAST", "_PLAIN_LINE_HEX"):
            pattern = getattr(accuracy_log, name)
            patch.setattr(accuracy_log, name, re.compile(pattern.pattern.replace("*+", "*"), pattern.flags))
        return parse_accuracy_log_text(Path("log.json"), text)


def damaged(text: str, cut: int, inserts: list[tuple[int, str]]) -> str:
    text = text[: cut % (len(text) + 1)]
    for at, piece in inserts:
        at %= len(text) + 1
        text = text[:at] + piece + text[at:]
    return text


@pytest.mark.skipif(sys.version_info < (3, 11), reason="possessive quantifiers need Python 3.11")
def test_patterns_are_possessive() -> None:
    for name in ("_ENTRY", "_PLAIN_LINE_FAST", "_PLAIN_LINE_HEX"):
        assert "*+" in getattr(accuracy_log, name).pattern, name


@pytest.mark.parametrize("source", [RETINANET, RESNET, "demo"])
def test_whole_logs_read_as_before(source: str) -> None:
    text = (DEMO_LOG if source == "demo" else require_data(*source.split("/"))).read_text()
    log = parse_accuracy_log_text(Path("log.json"), text)
    assert fields(log) == fields(backtracking(text))
    assert log.error is None and log.truncated
    assert (log.records == 0) == (source == RETINANET)  # cut records are not read; complete ones are


@FUZZ
@given(
    source=st.sampled_from([RETINANET, RESNET, "demo"]),
    cut=st.integers(0, 1 << 20),
    inserts=st.lists(st.tuples(st.integers(0, 1 << 20), st.sampled_from(DAMAGE)), max_size=4),
)
def test_damaged_logs_read_as_before(source: str, cut: int, inserts: list[tuple[int, str]]) -> None:
    base = DEMO_LOG if source == "demo" else require_data(*source.split("/"))
    text = damaged(base.read_text(), cut, inserts)
    assert fields(parse_accuracy_log_text(Path("log.json"), text)) == fields(backtracking(text))


# --- CO001 / CO002: what is a file is what pathlib says ------------------------------------------------------
def _damage(folder: Path, kind: str) -> None:
    verify = folder / "verify_performance.txt"
    verify.unlink()
    if kind == "directory":
        verify.mkdir()
    elif kind == "empty":
        verify.write_text("")
    elif kind == "binary":
        verify.write_bytes(b"\0\1TEST PASS\n")
    elif kind == "broken-link":
        verify.symlink_to(folder / "nowhere.txt")
    elif kind == "link-to-file":
        verify.symlink_to(folder / "verify_accuracy.txt")
    elif kind == "link-to-folder":
        verify.symlink_to(folder / "accuracy")


@pytest.mark.parametrize(
    "kind", ["missing", "directory", "empty", "binary", "broken-link", "link-to-file", "link-to-folder"]
)
def test_co002_verify_file_is_what_pathlib_says(tmp_path: Path, kind: str) -> None:
    tree = trees.demo_tree(tmp_path)
    folder = tree.path(tree.audit("TEST01"))
    _damage(folder, kind)
    is_file = (folder / "verify_performance.txt").is_file()
    found = [f for f in tree.findings("CO002") if f.expected == "verify_performance.txt"]
    assert len(found) == (0 if is_file else 1), (kind, [f.to_record() for f in found])
    if found:
        assert found[0].path == f"{tree.audit('TEST01')}/verify_performance.txt" and found[0].found == "missing"
    assert is_file == (kind in ("empty", "binary", "link-to-file"))


def test_co001_co002_audit_folder_that_is_a_file(tmp_path: Path) -> None:
    tree = trees.demo_tree(tmp_path)
    folder = tree.path(tree.audit("TEST04"))
    shutil.rmtree(folder)
    folder.write_text("not a folder\n")
    assert not folder.is_dir()
    assert tree.only("CO001").path == tree.audit("TEST04")
    assert not [f for f in tree.findings("CO002") if "/TEST04/" in f.path]


def test_co002_audit_files_checked_in_every_audit(tmp_path: Path) -> None:
    tree = trees.demo_tree(tmp_path)
    removed = []
    for test in ("TEST01", "TEST04"):
        for name in ("verify_performance.txt", "performance/run_1/mlperf_log_summary.txt"):
            (tree.path(tree.audit(test)) / name).unlink()
            removed.append(f"{tree.audit(test)}/{name}")
    assert sorted(f.path for f in tree.findings("CO002")) == sorted(removed)


# --- per-run memory and paths ------------------------------------------------------------------------------
def _context(tree: trees.Tree) -> ResultContext:
    rules = tree.rules()
    units = [u for s in discover(tree.root, rules["layout"]).submitters for u in s.results]
    unit = next(u for u in units if u.rel.endswith(f"{tree.benchmark}/Offline"))
    return ResultContext(rules, unit, RunOptions())


def test_verify_files_and_folders_are_read_again_in_a_new_run(tmp_path: Path) -> None:
    tree = trees.demo_tree(tmp_path)
    ctx = _context(tree)
    verify = tree.path(tree.audit("TEST04")) / "verify_performance.txt"
    assert co.verify_of(ctx, "TEST04", "verify_performance.txt").passed
    assert co.tests_for(ctx) == tuple(ctx.model["compliance_tests"])
    verify.write_text("TEST FAIL\n")
    assert co.verify_of(ctx, "TEST04", "verify_performance.txt").passed  # kept for the run
    shutil.rmtree(verify.parent)
    clear_caches()  # a new run
    assert not co.verify_of(ctx, "TEST04", "verify_performance.txt").exists
    assert [p.path for p in co.compliance_test_missing(ctx)] == [tree.audit("TEST04")]


def test_finding_paths_named_as_pathlib_names_them(tmp_path: Path) -> None:
    ctx = _context(trees.demo_tree(tmp_path))
    inside = f"{ctx.unit.compliance_dir}/TEST01/verify_accuracy.txt"
    assert co.where(ctx, inside) == ctx.rel(Path(inside)) == inside[len(str(ctx.root)) + 1 :]
    outside = os.path.join(os.sep, "elsewhere", "TEST01", "verify_accuracy.txt")
    assert co.where(ctx, outside) == ctx.rel(Path(outside)) == outside
