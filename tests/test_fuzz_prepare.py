"""``subcheck prepare`` never writes SRC, whatever links, special files or OUT paths the tree holds (hypothesis).

A probe found that a linked ``accuracy/`` (or ``TEST01/``) folder was copied into OUT as a link and the truncation
then wrote through it into SRC; these tests pin that no folder on a written path is ever a link.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main
from tests.conftest import REPO, require_data
from tests.trees import DEMO_RULES

DIGITS = "closed/SubcheckDemo/results/demo_cpu_numpy/digits"
BIG_LOG = b"[\n" + b"x" * 30_000 + b"\n]\n"  # over the demo round's truncation limit
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def hashes(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (links by their target text, special files by their kind), never followed."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[rel] = "dir" if path.is_dir() else "special"
    return found


def prepare(src: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["prepare", str(src), "--output", str(out), "--rules", DEMO_RULES, "-j", "1",
                                       *extra], terminal_width=120)  # fmt: skip
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def fresh(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    return src


@pytest.mark.parametrize("folder", ["accuracy", "TEST01"])
def test_a_linked_folder_is_never_written_through(tmp_path: Path, folder: str) -> None:
    """Server's accuracy/ (or TEST01/) links to Offline's: before the fix, prepare truncated SRC's Offline log."""
    src = fresh(tmp_path)
    target = src / DIGITS / "Offline" / folder
    log = target / "mlperf_log_accuracy.json" if folder == "accuracy" else target / "accuracy/mlperf_log_accuracy.json"
    log.write_bytes(BIG_LOG)
    shutil.rmtree(src / DIGITS / "Server" / folder)
    (src / DIGITS / "Server" / folder).symlink_to(target)
    before = hashes(src)
    code, output = prepare(src, tmp_path / "out")
    assert hashes(src) == before and code == 1
    rel = f"{DIGITS}/Server/{folder}" + ("" if folder == "accuracy" else "/accuracy") + "/mlperf_log_accuracy.json"
    assert f"skip      {rel}: a folder on its path is a link: never written through (RH006/RH009)" in output


PLACES = [f"{DIGITS}/{s}/{p}" for s in ("Offline", "Server") for p in ("accuracy", "TEST01", "TEST01/accuracy")]
PLACES += [f"{DIGITS}/Server", DIGITS, "closed/SubcheckDemo/results/demo_cpu_numpy"]
KINDS = ["link-into-src", "relative-link", "link-loop", "fifo", "dangling-link"]


@FUZZ
@given(place=st.sampled_from(PLACES), kind=st.sampled_from(KINDS), drop=st.booleans())
def test_src_is_never_written(tmp_path_factory: pytest.TempPathFactory, place: str, kind: str, drop: bool) -> None:
    """A folder of SRC replaced by a link (into SRC, relative, a loop, dangling) or a FIFO: SRC stays as it was."""
    tmp = tmp_path_factory.mktemp("prep")
    src = fresh(tmp)
    for log in (src / DIGITS).rglob("mlperf_log_accuracy.json"):
        log.write_bytes(BIG_LOG)
    spare = tmp / "spare"
    shutil.move(src / place, spare)
    path = src / place
    if kind == "link-into-src":
        shutil.move(spare, src / "elsewhere")
        path.symlink_to(src / "elsewhere")
    elif kind == "relative-link":
        shutil.move(spare, path.parent / (path.name + ".real"))
        path.symlink_to(path.name + ".real")
    elif kind == "link-loop":
        path.symlink_to(path.name)
    elif kind == "dangling-link":
        path.symlink_to(tmp / "nowhere")
    else:
        os.mkfifo(path)
    before = hashes(src)
    code, _ = prepare(src, tmp / "out", *(["--drop-invalid"] if drop else []))
    assert hashes(src) == before and code in (0, 1, 2)  # a relative link inside the tree may be valid (RH006)


@pytest.mark.parametrize("where", ["inside", "link-into-src", "dangling-into-src", "file", "not-empty", "src"])
def test_an_output_that_is_not_a_new_folder_outside_src_cannot_run(tmp_path: Path, where: str) -> None:
    src = fresh(tmp_path)
    out = tmp_path / "out"
    if where == "inside":
        out = src / "closed" / "prepared"
    elif where == "link-into-src":
        out.symlink_to(src / "closed")
    elif where == "dangling-into-src":
        out.symlink_to(src / "closed" / "new")
    elif where == "file":
        out.write_text("x")
    elif where == "not-empty":
        (out / "a").mkdir(parents=True)
    else:
        out = src
    before = hashes(src)
    code, output = prepare(src, out)
    assert code == 2 and hashes(src) == before and len(output.strip().splitlines()) == 1


@pytest.mark.parametrize("where", ["src", "inside-src", "link-into-src", "out", "inside-out"])
def test_a_pack_dir_in_src_or_out_cannot_run(tmp_path: Path, where: str) -> None:
    """Before the fix ``--pack-dir SRC/closed`` wrote the tarball and its .sha1 into SRC."""
    src, out = fresh(tmp_path), tmp_path / "out"
    pack = {"src": src, "inside-src": src / "closed", "out": out, "inside-out": out / "closed"}.get(where)
    if pack is None:
        pack = tmp_path / "lnk"
        pack.symlink_to(src / "closed")
    before = hashes(src)
    code, output = prepare(src, out, "--pack", "--pack-dir", str(pack))
    assert code == 2 and hashes(src) == before and not out.exists()
    assert "--pack-dir" in output and len(output.strip().splitlines()) == 1


def test_a_prepare_log_link_in_src_is_replaced_not_written_through(tmp_path: Path) -> None:
    """SRC/prepare_log.txt linking to SRC's system JSON: before the fix the log overwrote that JSON."""
    src = fresh(tmp_path)
    (src / "prepare_log.txt").symlink_to(src / "closed/SubcheckDemo/systems/demo_cpu_numpy.json")
    before = hashes(src)
    code, _ = prepare(src, tmp_path / "out")
    assert hashes(src) == before and code in (0, 1)
    assert not (tmp_path / "out" / "prepare_log.txt").is_symlink()


def test_an_inferred_result_is_never_written_through_a_linked_measurements_folder(tmp_path: Path) -> None:
    """ConnectTechInc (split layout) without Offline and with measurements/Orin_TRT a link to a folder of SRC:
    before the fix, inferring Offline from SingleStream wrote measurements/.../Offline into SRC."""
    sub = tmp_path / "src" / "closed" / "ConnectTechInc"
    shutil.copytree(require_data("inference-v4.1") / "closed" / "ConnectTechInc", sub)
    shutil.rmtree(sub / "results/Orin_TRT/gptj-99/Offline")
    shutil.rmtree(sub / "measurements/Orin_TRT/gptj-99/Offline")
    (sub / "measurements/Orin_TRT").rename(sub / "measurements/Orin_TRT.real")
    (sub / "measurements/Orin_TRT").symlink_to(sub / "measurements/Orin_TRT.real")
    before = hashes(tmp_path / "src")
    result = CliRunner().invoke(main, ["prepare", str(tmp_path / "src"), "--output", str(tmp_path / "out"),
                                       "--drop-invalid", "-j", "1", "--version", "v4.1"])  # fmt: skip
    assert "Traceback" not in result.output and result.exit_code == 1
    assert hashes(tmp_path / "src") == before
    assert "skip      closed/ConnectTechInc/measurements/Orin_TRT/gptj-99/Offline: a folder on its path is a link" in (
        result.output
    )
