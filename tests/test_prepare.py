"""``subcheck prepare``: a copy that passes, SRC untouched, the log, reproducible packs, bad input is exit 2."""

from __future__ import annotations

import errno
import gzip
import hashlib
import inspect
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.discovery import discover
from checker.engine import run_checks
from checker.prepare import copy as prepare_copy
from checker.rounds import Round
from tests.conftest import DEMO_RULES, REPO

DIGITS = "closed/SubcheckDemo/results/demo_cpu_numpy/digits"
SERVER = f"{DIGITS}/Server"
VALID = str(REPO / "fixtures" / "valid")


def hashes(root: Path) -> dict[str, str]:
    """Every file and link under ``root`` with the sha256 of its bytes (links: of their target text)."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            found[rel] = "link:" + str(path.readlink())
        elif path.is_file():
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[rel] = "dir"
    return found


def prepare(*args: str) -> object:
    return CliRunner().invoke(main, ["prepare", *args, "--rules", DEMO_RULES, "-j", "1"], terminal_width=120)


@pytest.fixture
def mixed_src(tmp_path: Path) -> Path:
    """The demo submission with one invalid result (Server from ``latency_bound``: PE011) and a stray file."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    shutil.rmtree(src / SERVER)
    shutil.copytree(REPO / "fixtures" / "latency_bound" / SERVER, src / SERVER)
    (src / "closed/SubcheckDemo/results/notes.txt").write_text("scratch\n", encoding="utf-8")
    return src


def test_drop_invalid_gives_a_passing_copy_and_leaves_src_alone(mixed_src: Path, tmp_path: Path) -> None:
    before = hashes(mixed_src)
    out = tmp_path / "out"
    result = prepare(str(mixed_src), "--output", str(out), "--drop-invalid")
    assert result.exit_code == 0, result.output
    assert hashes(mixed_src) == before
    log = (out / "prepare_log.txt").read_text(encoding="utf-8").splitlines()
    assert f"drop      {SERVER}: fails PE011" in log
    stray = "closed/SubcheckDemo/results/notes.txt"
    assert f"remove    {stray}: RH001: file 'notes.txt' where the layout allows only folders" in log
    assert log[-1] == "check     .: passes"
    assert not (out / SERVER).exists() and not (out / "closed/SubcheckDemo/results/notes.txt").exists()
    assert (out / f"{DIGITS}/Offline").is_dir()
    check = CliRunner().invoke(main, ["check", str(out), "--rules", DEMO_RULES, "-j", "1"])
    assert check.exit_code == 0, check.output


def test_without_drop_invalid_failing_results_are_listed_and_kept(mixed_src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = prepare(str(mixed_src), "--output", str(out))
    assert result.exit_code == 1, result.output
    log = (out / "prepare_log.txt").read_text(encoding="utf-8")
    assert f"failing   {SERVER}: fails PE011; kept (--drop-invalid leaves it out)" in log
    assert "check     .: fails: 1 error finding(s)" in log
    assert (out / SERVER).is_dir()


def test_dry_run_lists_and_writes_nothing(mixed_src: Path, tmp_path: Path) -> None:
    before = hashes(mixed_src)
    out = tmp_path / "out"
    result = prepare(str(mixed_src), "--output", str(out), "--drop-invalid", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"drop      {SERVER}: fails PE011" in result.output
    assert "dry run: 3 actions listed, nothing written" in result.output
    assert not out.exists() and hashes(mixed_src) == before


def test_a_drop_that_fails_the_other_scenarios_drops_them_too(tmp_path: Path) -> None:
    """Datacenter digits requires Offline: once the invalid Offline is left out, the others fail ST009."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    shutil.rmtree(src / DIGITS / "Offline")
    shutil.copytree(REPO / "fixtures" / "invalid_run" / DIGITS / "Offline", src / DIGITS / "Offline")
    system = src / "closed/SubcheckDemo/systems/demo_cpu_numpy.json"
    system.write_text(system.read_text(encoding="utf-8").replace('"edge"', '"datacenter"'), encoding="utf-8")
    out = tmp_path / "out"
    result = prepare(str(src), "--output", str(out), "--drop-invalid")
    log = (out / "prepare_log.txt").read_text(encoding="utf-8").splitlines()
    assert f"drop      {DIGITS}/Offline: fails PE003" in log
    for scenario in ("MultiStream", "Server", "SingleStream"):
        assert f"drop      {DIGITS}/{scenario}: fails system:ST009 once the results above are left out" in log
    assert "remove    closed/SubcheckDemo/results/demo_cpu_numpy: folder left empty by what was removed from it" in log
    assert result.exit_code == 1 and "EN002" in result.output  # nothing left to submit is not a pass


def test_an_invalid_edge_offline_is_dropped_and_inferred_from_multistream(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    shutil.rmtree(src / DIGITS / "Offline")
    shutil.copytree(REPO / "fixtures" / "invalid_run" / DIGITS / "Offline", src / DIGITS / "Offline")
    result = prepare(str(src), "--output", str(tmp_path / "out"), "--drop-invalid")
    assert result.exit_code == 0, result.output
    assert f"drop      {DIGITS}/Offline: fails PE003" in result.output
    assert f"infer     {DIGITS}/Offline: copied from MultiStream; the table marks it inferred" in result.output


def test_links_are_never_written_through(tmp_path: Path) -> None:
    """An audit's accuracy.txt linking back into SRC (absolute, so RH006 keeps it) is not appended to."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    audit = src / DIGITS / "Offline/TEST01/accuracy"
    (audit / "mlperf_log_accuracy.json").write_bytes(b"[\n" + b"x" * 30_000 + b"\n]\n")
    (audit / "accuracy.txt").unlink()
    (audit / "accuracy.txt").symlink_to(src / DIGITS / "Offline/accuracy/accuracy.txt")
    before = hashes(src)
    result = prepare(str(src), "--output", str(tmp_path / "out"))
    assert hashes(src) == before
    rel = f"{DIGITS}/Offline/TEST01/accuracy/mlperf_log_accuracy.json"
    why = "accuracy.txt is a link or not a file: never written through (RH006/RH009)"
    assert f"skip      {rel}: {why}" in result.output


def test_inferred_results_are_written_and_marked(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    shutil.rmtree(src / DIGITS / "Offline")
    shutil.rmtree(src / DIGITS / "MultiStream")
    out = tmp_path / "out"
    result = prepare(str(src), "--output", str(out), "--drop-invalid")
    assert result.exit_code == 0, result.output
    log = (out / "prepare_log.txt").read_text(encoding="utf-8")
    for scenario in ("MultiStream", "Offline"):
        assert f"infer     {DIGITS}/{scenario}: copied from SingleStream; the table marks it inferred" in log
    rules = Round.load("inference", "demo", DEMO_RULES)
    report = run_checks(discover(out, rules["layout"]), rules, rules_path=DEMO_RULES)
    inferred = {row["Scenario"]: row["inferred"] for row in report.rows}
    assert inferred == {"MultiStream": 1, "Offline": 1, "Server": 0, "SingleStream": 0}
    assert sorted(f.code for f in report.findings if f.code == "DV004") == ["DV004", "DV004"]


def test_datacenter_systems_infer_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    shutil.rmtree(src / DIGITS / "MultiStream")
    system = src / "closed/SubcheckDemo/systems/demo_cpu_numpy.json"
    system.write_text(system.read_text(encoding="utf-8").replace('"edge"', '"datacenter"'), encoding="utf-8")
    result = prepare(str(src), "--output", str(tmp_path / "out"), "--dry-run")
    assert "infer     " not in result.output and "dry run: 1 actions listed" in result.output


def test_packing_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    made = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        out = tmp_path / name / "out"
        result = prepare(str(REPO / "fixtures" / "valid"), "--output", str(out), "--pack")
        assert result.exit_code == 0, result.output
        made.append(tmp_path / name / "mlperf_submission_SubcheckDemo.tar.gz")
        assert "pack      " in (out / "prepare_log.txt").read_text(encoding="utf-8")
    assert made[0].read_bytes() == made[1].read_bytes()
    sha = (made[0].parent / "mlperf_submission_SubcheckDemo.sha1").read_text(encoding="utf-8")
    assert sha == f"{hashlib.sha1(made[0].read_bytes()).hexdigest()}  mlperf_submission_SubcheckDemo.tar.gz\n"
    with gzip.open(made[0]) as zipped:
        assert zipped.read(1) and zipped.mtime == 0
    with tarfile.open(made[0]) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names[0] == "closed" and names == sorted(names, key=lambda n: n.split("/"))
    assert {(m.uid, m.gid, m.mtime) for m in members} == {(0, 0, 0)}
    assert {m.mode for m in members} <= {0o644, 0o755}
    assert "closed/SubcheckDemo/systems/demo_cpu_numpy.json" in names and "prepare_log.txt" not in names


def test_pack_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "mlperf_submission_SubcheckDemo.tar.gz").write_bytes(b"old")
    result = prepare(str(REPO / "fixtures" / "valid"), "--output", str(tmp_path / "out"), "--pack")
    assert result.exit_code == 2 and "exists; move it away" in result.output
    assert (tmp_path / "mlperf_submission_SubcheckDemo.tar.gz").read_bytes() == b"old"
    assert "no-pack   .: " in (tmp_path / "out" / "prepare_log.txt").read_text(encoding="utf-8")


def test_pack_of_several_submitters_needs_a_name_before_anything_is_written(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    shutil.copytree(src / "closed" / "SubcheckDemo", src / "closed" / "Other")
    result = prepare(str(src), "--output", str(tmp_path / "out"), "--pack")
    assert result.exit_code == 2 and "--pack needs --submitter-name: the tree holds 2 submitters" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_encrypted_pack_opens_with_openssl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    monkeypatch.setenv("SUBCHECK_PACK_PASSWORD", "secret")
    (tmp_path / "enc").mkdir()
    (tmp_path / "plain").mkdir()
    valid = str(REPO / "fixtures" / "valid")
    assert prepare(valid, "--output", str(tmp_path / "enc/out"), "--pack", "--encrypt").exit_code == 0
    assert prepare(valid, "--output", str(tmp_path / "plain/out"), "--pack").exit_code == 0
    name = "mlperf_submission_SubcheckDemo.tar.gz"
    opened = subprocess.run(
        ["openssl", "enc", "-d", "-aes256", "-in", str(tmp_path / "enc" / name), "-pass", "env:SUBCHECK_PACK_PASSWORD"],
        capture_output=True,
        check=True,
    ).stdout
    assert opened == (tmp_path / "plain" / name).read_bytes()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "cannot be read"),
        ("not_empty", "is not empty"),
        ("inside", "is inside"),
        ("same", "is inside"),
        ("file", "exists and is not a folder"),
        ("submitter", "is a division or submitter folder"),
    ],
)
def test_bad_input_is_exit_2_with_a_message(tmp_path: Path, case: str, message: str) -> None:
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    out = tmp_path / "out"
    if case == "missing":
        src = tmp_path / "nowhere"
    elif case == "not_empty":
        out.mkdir()
        (out / "keep.txt").write_text("mine\n", encoding="utf-8")
    elif case == "inside":
        out = src / "closed" / "prepared"
    elif case == "same":
        out = src
    elif case == "file":
        out.write_text("mine\n", encoding="utf-8")
    elif case == "submitter":
        src = src / "closed" / "SubcheckDemo"
    before = hashes(tmp_path / "src")
    result = prepare(str(src), "--output", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert hashes(tmp_path / "src") == before
    if case == "file":
        assert out.read_text(encoding="utf-8") == "mine\n"
    if case == "not_empty":
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_no_space_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(args[1]))

    monkeypatch.setattr(prepare_copy.shutil, "copy2", full)
    result = prepare(str(REPO / "fixtures" / "valid"), "--output", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output and "No space left on device" in result.output


def test_file_size_limit_in_a_real_process_is_exit_2(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes real writes fail (EFBIG) the way a full disk does; Python ignores SIGXFSZ."""
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "checker.cli",
            "prepare",
            VALID,
            "--output",
            str(tmp_path / "out"),
            "--rules",
            DEMO_RULES,
        ],
        capture_output=True,
        text=True,
        preexec_fn=limit,  # noqa: PLW1509 - the limit must apply to the child only
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "cannot write" in done.stderr and "Traceback" not in done.stderr


def test_json_report_is_the_usual_one(tmp_path: Path) -> None:
    """With a machine format the actions go to standard error: standard output is the report alone."""
    separate = {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner).parameters else {}  # click 8.1
    result = CliRunner(**separate).invoke(
        main, ["prepare", VALID, "--output", str(tmp_path / "out"), "--rules", DEMO_RULES, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["root"] == str(tmp_path / "out") and report["summary"]["results_checked"] == 4
    assert "check     .: passes" in result.stderr
