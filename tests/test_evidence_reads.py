"""Bounded, typed evidence reads and the rules that fail closed on broken evidence (AC010, ST017, ST018, RH007-9)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from checker.parsers.accuracy import parse_accuracy_file
from checker.parsers.accuracy_log import read_accuracy_log, read_detail_keys
from checker.parsers.conf import parse_conf
from checker.parsers.jsonfile import parse_json_file, parse_json_text
from checker.parsers.summary import parse_summary_log
from checker.parsers.text import ReadFailure, limit_for, read_bytes_bounded, read_text
from tests import trees
from tests.conftest import REPO
from tests.trees import Tree

tree = trees.tree  # each rule test runs on the real ConnectTechInc copy (v4.1) and on the demo copy


# --- the reader -----------------------------------------------------------------------------------------------
def test_kinds_are_strings_callers_can_compare() -> None:
    assert ReadFailure.missing == "missing" and str(ReadFailure.not_regular) == "not_regular"


def test_missing_folder_fifo_and_device_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    zero = tmp_path / "zero"
    zero.symlink_to("/dev/zero")
    cases = {tmp_path / "absent": ReadFailure.missing, tmp_path: ReadFailure.not_regular}
    cases |= {fifo: ReadFailure.not_regular, zero: ReadFailure.not_regular}
    for path, kind in cases.items():
        read = read_text(path)
        assert (read.ok, read.kind) == (False, kind), path
    assert read_text(tmp_path).error == "is a folder, not a file"
    assert read_text(fifo).error == "is a FIFO (named pipe), not a regular file"
    assert read_text(zero).error == "is a character device, not a regular file"


def test_reads_stop_at_the_cap(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse.txt"
    with sparse.open("wb") as stream:
        stream.truncate(2 << 30)  # 2 GiB of nothing: refused by size, never read
    read = read_bytes_bounded(sparse, 1 << 20)
    assert (read.kind, read.size) == (ReadFailure.too_large, 2 << 30)
    assert read.error == f"file is {2 << 30} bytes, above the {1 << 20}-byte cap"
    small = tmp_path / "small.txt"
    small.write_bytes(b"x" * 100)
    assert read_bytes_bounded(small, 100).data == b"x" * 100
    assert read_bytes_bounded(small, 99).kind is ReadFailure.too_large


def test_empty_binary_and_utf16_are_not_text(tmp_path: Path) -> None:
    cases = {b"": ReadFailure.empty, b" \n": ReadFailure.empty, b"a\0b": ReadFailure.not_text}
    cases[("caf\u00e9\n").encode("utf-16")] = ReadFailure.not_text
    for number, (data, kind) in enumerate(cases.items()):
        path = tmp_path / f"{number}.txt"
        path.write_bytes(data)
        assert read_text(path).kind is kind, data
    empty = tmp_path / "0.txt"
    assert read_text(empty, allow_empty=True).ok


def test_stray_bad_bytes_are_noted_or_refused_when_strict(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(b"caf\xe9\n")
    assert (read_text(path).ok, read_text(path).bad_bytes_at) == (True, 3)
    strict = read_text(path, strict=True)
    assert (strict.kind, strict.error) == (ReadFailure.not_text, "not valid UTF-8 (first bad byte at offset 3)")


def test_limit_for_reads_the_rounds_caps() -> None:
    assert limit_for({"limits": {"conf": 2048}}, "conf", 1) == 2048
    assert limit_for({"limits": {"conf": True}}, "conf", 7) == 7
    assert limit_for({}, "conf", 7) == 7


# --- parsers ----------------------------------------------------------------------------------------------------
def test_json_rejects_what_json_does_not_allow() -> None:
    for text in ('{"a": NaN}', '{"a": -Infinity}', '{"a": 1e400}', '{"a": ' + "9" * 400 + "}", "[" * 100000):
        doc = parse_json_text(Path("x.json"), text)
        assert (doc.ok, doc.kind) == (False, ReadFailure.bad_format), text[:20]
    assert parse_json_text(Path("x.json"), '{"a": 1.5, "b": 12}').data == {"a": 1.5, "b": 12}


def test_json_keeps_the_last_duplicate_and_names_every_one() -> None:
    doc = parse_json_text(Path("x.json"), '{"a": 1, "b": {"c": 1, "c": 2}, "a": [{"d": 1, "d": 3}]}')
    assert doc.data == {"a": [{"d": 3}], "b": {"c": 2}}
    assert sorted(doc.duplicates) == ["a", "a[0].d", "b.c"]


def test_parsers_carry_the_failure_kind(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage"
    garbage.write_bytes(bytes(range(256)) * 4)
    assert parse_json_file(garbage).kind is ReadFailure.not_text
    assert parse_accuracy_file(garbage, {"acc": "^acc=(.*)"}, "^hash=(.*)").read_kind is ReadFailure.not_text
    assert parse_conf(garbage).read_kind is ReadFailure.not_text
    assert parse_summary_log(garbage).read_kind is ReadFailure.not_text
    assert read_detail_keys(garbage, frozenset({"x"})).read_kind is ReadFailure.not_text
    assert read_accuracy_log(garbage).kind is ReadFailure.not_text
    words = tmp_path / "words.txt"
    words.write_text("no fields here\n")
    assert parse_summary_log(words).read_kind is ReadFailure.bad_format


def test_accuracy_log_empty_and_cut_in_half(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert read_accuracy_log(empty).kind is ReadFailure.empty
    whole = '[\n{"seq_id" : 0, "qsl_idx" : 5, "data" : "00FF"},\n{"seq_id" : 1, "qsl_idx" : 6, "data" : "01"}\n]\n'
    cut = tmp_path / "cut.json"
    cut.write_text(whole[: len(whole) // 2 + 10])
    assert read_accuracy_log(cut).kind is ReadFailure.bad_format
    fine = tmp_path / "fine.json"
    fine.write_text(whole)
    assert (read_accuracy_log(fine).kind, read_accuracy_log(fine).complete) == (None, True)
    no_records = tmp_path / "none.json"
    no_records.write_text("[\n]\n")
    assert read_accuracy_log(no_records).error is None


# --- rules ------------------------------------------------------------------------------------------------------
def _result(tree: Tree) -> str:
    """The Offline result folder (performance, accuracy; and the audits in the merged layout)."""
    return f"{tree.results}/Offline"


def test_ac010_pass_clean_copy(tree: Tree) -> None:
    assert tree.findings("AC010") == []


def test_st017_pass_clean_copy(tree: Tree) -> None:
    assert tree.findings("ST017") == []


def test_st018_pass_clean_copy(tree: Tree) -> None:
    assert tree.findings("ST018") == []


def test_rh007_pass_rh008_pass_rh009_pass_rh010_pass_clean_copy(tree: Tree) -> None:
    for code in ("RH007", "RH008", "RH009", "RH010"):
        assert tree.findings(code) == [], code


def test_ac010_fail_accuracy_txt_of_random_bytes(tree: Tree) -> None:
    result = _result(tree)
    tree.path(f"{result}/accuracy/accuracy.txt").write_bytes(bytes(range(256)))
    finding = tree.only("AC010")
    assert (finding.path, finding.found) == (
        f"{result}/accuracy/accuracy.txt",
        "is binary, not text (NUL byte at offset 0)",
    )
    assert finding.expected == "UTF-8 text with the metric lines"


def test_ac010_fail_accuracy_log_empty_and_detail_log_cut(tree: Tree) -> None:
    result = _result(tree)
    tree.path(f"{result}/accuracy/mlperf_log_accuracy.json").write_bytes(b"")
    detail = tree.path(f"{result}/accuracy/mlperf_log_detail.txt")
    text = detail.read_bytes()
    detail.write_bytes(text[: len(text) // 2])
    by_path = {f.path: f for f in tree.findings("AC010")}
    assert set(by_path) == {f"{result}/accuracy/mlperf_log_accuracy.json", f"{result}/accuracy/mlperf_log_detail.txt"}
    assert by_path[f"{result}/accuracy/mlperf_log_accuracy.json"].found == "file is empty"
    cut = by_path[f"{result}/accuracy/mlperf_log_detail.txt"]
    assert cut.line == text[: len(text) // 2].count(b"\n") + 1 and cut.expected == ":::MLLOG records"


def test_st017_fail_fifo_where_a_file_should_be(tree: Tree) -> None:
    result = _result(tree)
    path = tree.path(f"{result}/accuracy/accuracy.txt")
    path.unlink()
    os.mkfifo(path)
    finding = tree.only("ST011")
    assert (finding.path, finding.found) == (
        f"{result}/accuracy/accuracy.txt",
        "is a FIFO (named pipe), not a regular file",
    )
    st017 = tree.only("ST017")
    assert (st017.path, st017.expected) == (f"{result}/accuracy/accuracy.txt", "a readable regular file or folder")


def test_st018_fail_submitter_without_results(tree: Tree) -> None:
    shutil.rmtree(tree.path(f"{tree.sub}/results"))
    finding = tree.only("ST018")
    assert (finding.path, finding.found) == (f"{tree.sub}/results", "missing")


def test_rh007_fail_rh008_fail_duplicate_keys(tree: Tree) -> None:
    system = tree.path(tree.system)
    system.write_text('{"status": "preview", ' + system.read_text(encoding="utf-8").lstrip()[1:])
    finding = tree.only("RH007")
    assert (finding.path, finding.key, finding.found) == (tree.system, "status", ["status"])
    measurements = tree.path(tree.measurements_json())
    measurements.write_text('{"retraining": "yes", ' + measurements.read_text(encoding="utf-8").lstrip()[1:])
    finding = tree.only("RH008")
    assert (finding.path, finding.found) == (tree.measurements_json(), ["retraining"])


def test_rh009_fail_link_out_of_the_submitter(tree: Tree, tmp_path: Path) -> None:
    conf = f"{tree.measurements()}/user.conf"
    path = tree.path(conf)
    outside = tmp_path / "user.conf"
    shutil.copy(path, outside)
    path.unlink()
    path.symlink_to(outside)
    finding = tree.only("RH009")
    assert (finding.path, finding.found, finding.severity.value) == (conf, str(outside), "error")
    assert tree.findings("RH006") == []  # a link inside the submitter stays RH006's warning


# --- unreadable evidence, checked as an unprivileged user (root reads everything) ----------------------------
SETPRIV = shutil.which("setpriv")


@pytest.fixture(params=["real", "demo"])
def world_tree(request: pytest.FixtureRequest) -> Iterator[Tree]:
    """A copy in a world-traversable temporary folder (pytest's own is private to its user): real and demo."""
    base = Path(tempfile.mkdtemp(prefix="subcheck-evidence-"))
    try:
        base.chmod(0o755)
        copy = trees.real_tree(base) if request.param == "real" else trees.demo_tree(base)
        for path in [base, *base.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
            elif not path.is_symlink():
                path.chmod(0o644)
        yield copy
    finally:
        for path in base.rglob("*"):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(base)


def _check_as_nobody(tree: Tree, select: str) -> list[dict[str, object]]:
    if SETPRIV is None or os.geteuid() != 0:
        pytest.skip("needs setpriv and root to drop to an unprivileged user (root would read a mode-000 file)")
    command = [SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "checker.cli"]
    done = subprocess.run(
        [*command, "check", str(tree.root), *tree.round_args, "--jobs", "1", "--select", select, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    return [f for f in json.loads(done.stdout)["findings"] if f["code"] in select.split(",")]


def test_unreadable_accuracy_txt_fails(world_tree: Tree) -> None:
    accuracy = f"{_result(world_tree)}/accuracy/accuracy.txt"
    world_tree.path(accuracy).chmod(0)
    found = {(f["code"], f["path"]) for f in _check_as_nobody(world_tree, "AC010,ST017")}
    assert found == {("AC010", accuracy), ("ST017", accuracy)}


def test_unreadable_systems_folder_fails(world_tree: Tree) -> None:
    world_tree.path(f"{world_tree.sub}/systems").chmod(0)
    found = _check_as_nobody(world_tree, "ST017")
    assert [(f["path"], f["found"]) for f in found] == [
        (f"{world_tree.sub}/systems", "folder cannot be listed (permission denied)")
    ]


def test_listable_but_not_searchable_folder_fails(world_tree: Tree) -> None:
    """Read permission without search: the walk lists the names but reaches no file, so ST017 asks the kernel."""
    world_tree.path(f"{world_tree.sub}/systems").chmod(0o644)
    found = _check_as_nobody(world_tree, "ST017")
    assert [(f["path"], f["found"]) for f in found] == [
        (f"{world_tree.sub}/systems", "folder cannot be listed (permission denied)")
    ]


def test_rh010_fail_user_conf_of_garbage_or_cut_mid_line(tree: Tree) -> None:
    conf = f"{tree.measurements()}/user.conf"
    path = tree.path(conf)
    path.write_bytes(b"*.Offline.target_qps = 0.72\n*.Offline.p")
    finding = tree.only("RH010")
    assert (finding.path, finding.line, finding.found) == (conf, 2, "*.Offline.p")
    path.write_bytes("*.Offline.target_qps = 0.72\n".encode("utf-16"))
    finding = tree.only("RH010")
    assert (finding.path, finding.found) == (conf, "is UTF-16/UTF-32 encoded, expected UTF-8 text")


def test_a_read_stops_early_only_at_the_size_fstat_gave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read asks for the size ``fstat`` gave and one byte, and stops on a short read only at that size; a file
    that holds more than both stats said is still read to its end (at most the cap and one byte) and refused.
    """
    path = tmp_path / "grown.txt"
    path.write_bytes(b"z" * 100)
    small = os.stat_result((0o100644, 0, 0, 1, 0, 0, 10, 0, 0, 0))  # a regular file of 10 bytes
    real_stat, real_fstat = os.stat, os.fstat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: small if str(p) == str(path) else real_stat(p, *a, **k))
    monkeypatch.setattr(
        os, "fstat", lambda fd: small if os.readlink(f"/proc/self/fd/{fd}") == str(path) else real_fstat(fd)
    )
    refused = read_bytes_bounded(path, 50)
    assert (refused.kind, refused.size) == (ReadFailure.too_large, 51)  # never more than the cap and one byte
    whole = read_bytes_bounded(path, 200)
    assert whole.ok and whole.data == b"z" * 100
    monkeypatch.undo()
    exact = read_bytes_bounded(path, 200)
    assert exact.ok and exact.data == b"z" * 100
