"""Truncation as the official ``truncate_accuracy_log.py`` does it, and side by side with it on real v4.1 trees.

The side-by-side test runs the official v4.1 script (kept outside the repository: ``$SUBCHECK_OFFICIAL_TOOLS``,
default ``/work/ext/official_v41``; skipped when absent) on copies of real v4.1 submitters whose accuracy logs
are rebuilt full (the published ones are truncated), and requires our output to be byte-identical.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main
from checker.discovery import discover
from checker.prepare import truncate
from checker.prepare.truncate import LOG_NAME
from checker.rounds import Round
from tests.conftest import DEMO_RULES, REPO, require_data

OFFICIAL = Path(os.environ.get("SUBCHECK_OFFICIAL_TOOLS", "/work/ext/official_v41")) / "truncate_accuracy_log.py"
KEEP = 4096


def full_log(size: int, seed: str = "x") -> bytes:
    """A plausible accuracy log of about ``size`` bytes: LoadGen's JSON list of hex responses."""
    lines, total, n = [b"[\n"], 2, 0
    while total < size:
        data = hashlib.sha256(f"{seed}{n}".encode()).hexdigest().upper()
        line = f'{{ "seq_id" : {n}, "qsl_idx" : {n * 7 % 5000}, "data" : "{data}" }},\n'.encode()
        lines.append(line)
        total += len(line)
        n += 1
    return b"".join(lines) + b"]\n"


def one_result(tmp_path: Path, log: bytes, txt: bytes | None) -> tuple[Path, Path, Path]:
    """A tree with one v4.1 result whose accuracy folder holds ``log`` and ``txt``."""
    root = tmp_path / "tree"
    acc = root / "closed/Org/results/sys/resnet50/Offline/accuracy"
    acc.mkdir(parents=True)
    (acc.parent / "performance").mkdir()
    (acc / "mlperf_log_accuracy.json").write_bytes(log)
    if txt is not None:
        (acc / "accuracy.txt").write_bytes(txt)
    return root, acc / "mlperf_log_accuracy.json", acc / "accuracy.txt"


def run(root: Path, version: str) -> list[truncate.Truncation]:
    rules = Round.load("inference", version)
    items = truncate.plan(discover(root, rules["layout"]), rules, [])
    for item in items:
        truncate.apply(root, item, rules)
    return items


@pytest.mark.parametrize(("version", "line"), [("v4.1", "hash={}\n"), ("v5.0", "\nhash={}\n")])
def test_a_large_log_keeps_its_first_and_last_4096_bytes(tmp_path: Path, version: str, line: str) -> None:
    data = full_log(40_000)
    root, log, txt = one_result(tmp_path, data, b"accuracy=76.1\n")
    assert len(run(root, version)) == 1
    assert log.read_bytes() == data[:KEEP] + b"\n\n...\n\n" + data[-KEEP:]
    assert txt.read_bytes() == b"accuracy=76.1\n" + line.format(hashlib.sha256(data).hexdigest()).encode()


def test_a_truncated_log_with_its_hash_is_left_alone(tmp_path: Path) -> None:
    data = full_log(40_000)
    root, log, txt = one_result(tmp_path, data, b"accuracy=76.1\n")
    run(root, "v4.1")
    kept, recorded = log.read_bytes(), txt.read_bytes()
    assert run(root, "v4.1") == []
    assert (log.read_bytes(), txt.read_bytes()) == (kept, recorded)


def test_a_small_log_without_hash_gets_the_hash_and_stays_whole(tmp_path: Path) -> None:
    data = full_log(3000)
    root, log, txt = one_result(tmp_path, data, b"accuracy=76.1\n")
    run(root, "v4.1")
    assert log.read_bytes() == data and txt.read_bytes().endswith(f"hash={hashlib.sha256(data).hexdigest()}\n".encode())


def test_a_log_between_4096_and_8192_bytes_is_cut_as_the_official_tool_cuts_it(tmp_path: Path) -> None:
    """Official behaviour kept for byte identity: head and tail overlap, so the 'truncated' file grows."""
    data = full_log(6000)
    root, log, _ = one_result(tmp_path, data, b"accuracy=76.1\n")
    run(root, "v4.1")
    assert log.read_bytes() == data[:KEEP] + b"\n\n...\n\n" + data[-KEEP:] and log.stat().st_size > len(data)


def test_no_accuracy_txt_means_no_truncation_of_the_results_log(tmp_path: Path) -> None:
    data = full_log(40_000)
    root, log, txt = one_result(tmp_path, data, None)
    assert run(root, "v4.1") == [] and log.read_bytes() == data and not txt.exists()


def test_hash_line_never_glued_to_an_unterminated_last_line(tmp_path: Path) -> None:
    """Differs from the official v4.1 tool, which would write 'accuracy=76.1hash=...' (unfindable by ^hash=)."""
    data = full_log(40_000)
    root, _, txt = one_result(tmp_path, data, b"accuracy=76.1")
    run(root, "v4.1")
    assert txt.read_bytes() == f"accuracy=76.1\nhash={hashlib.sha256(data).hexdigest()}\n".encode()


@pytest.mark.skipif(not OFFICIAL.is_file(), reason=f"official truncate_accuracy_log.py not at {OFFICIAL}")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=string.printable.replace("\r", ""), max_size=20_000))
def test_kept_bytes_equal_the_official_truncate_file_for_any_log(tmp_path: Path, text: str) -> None:
    """Any ASCII log without carriage returns (LoadGen writes ASCII JSON with \\n line ends)."""
    official = official_module()
    path = tmp_path / "log.json"
    path.write_bytes(text.encode())
    data = path.read_bytes()
    official.truncate_file(str(path))
    kept = truncate.truncated(data[:KEEP], data[-KEEP:] if data else b"", len(data), KEEP)
    assert path.read_bytes() == (data if kept is None else kept)


def official_module() -> object:
    spec = importlib.util.spec_from_file_location("official_truncate", OFFICIAL)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.skipif(not OFFICIAL.is_file(), reason=f"official truncate_accuracy_log.py not at {OFFICIAL}")
def test_carriage_returns_are_kept_as_bytes_unlike_the_official_text_mode_read(tmp_path: Path) -> None:
    """Pinned difference: the official tool reads 4096 *characters* in text mode, turning \\r\\n into \\n; we keep
    the first and last 4096 bytes as they are, so the kept parts are exactly the bytes the recorded hash covers."""
    data = full_log(20_000).replace(b"\n", b"\r\n")
    path = tmp_path / "log.json"
    path.write_bytes(data)
    official_module().truncate_file(str(path))  # type: ignore[attr-defined]
    ours = truncate.truncated(data[:KEEP], data[-KEEP:], len(data), KEEP)
    official = path.read_bytes()
    assert ours == data[:KEEP] + b"\n\n...\n\n" + data[-KEEP:]
    assert b"\r" not in official and official != ours


# --- side by side with the official tool on real v4.1 submitters ------------------------------------------------
# Oracle has TEST01 audit logs; both are small (2 MB, 10 MB). SUBCHECK_PREPARE_SUBMITTERS=A,B compares others.
SUBMITTERS = tuple(os.environ.get("SUBCHECK_PREPARE_SUBMITTERS", "ConnectTechInc,Oracle").split(","))


def rebuild_full(root: Path, drop_test01_txt: bool = True) -> dict[str, int]:
    """Turn every published (truncated) accuracy log back into a full one, and take the hash out of accuracy.txt.

    Rebuilt logs are the published head and tail around new records, so truncating them gives the published
    log back. Sizes cycle through the official tool's cases: large, between 8 KiB and 10 KiB (no hash, so
    truncated anyway), and under 4 KiB (hash only). Every third TEST01 loses its accuracy.txt (the tool makes one).
    """
    counts = {"logs": 0, "small": 0, "txt_removed": 0}
    for n, log in enumerate(sorted(root.rglob("mlperf_log_accuracy.json"))):
        data = log.read_bytes()
        if log.parent.name != "accuracy" or len(data) != 2 * KEEP + 7:
            continue
        head, tail = data[:KEEP], data[-KEEP:]
        middle = [full_log(30_000, str(log))[2:-2], full_log(1_500, str(log))[2:-2], None][n % 3]
        log.write_bytes(head[:3000] if middle is None else head + middle + tail)
        counts["small"] += middle is None
        txt = log.parent / "accuracy.txt"
        if drop_test01_txt and "TEST01" in log.parts and n % 3 == 0:
            txt.unlink(missing_ok=True)
            counts["txt_removed"] += 1
        elif txt.is_file():
            lines = txt.read_bytes().splitlines(keepends=True)
            txt.write_bytes(b"".join(x for x in lines if not x.startswith(b"hash=")))
        counts["logs"] += 1
    return counts


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def side_by_side(tmp_path: Path, tool: Path, src: Path, submitters: list[str], args: list[str]) -> dict[str, int]:
    """Run the official tool per submitter and ``prepare`` on ``src``; every file the tool wrote must match ours."""
    before = files(src)
    for name in submitters:
        done = subprocess.run(
            [sys.executable, str(tool), "--input", str(src), "--submitter", name, "--output", str(tmp_path / name)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    ours = tmp_path / "ours"
    result = CliRunner().invoke(main, ["prepare", str(src), "--output", str(ours), "-j", "1", *args])
    assert result.exit_code in (0, 1), result.output  # rebuilt logs are not real runs: AC rules may fail them
    assert files(src) == before
    mine = files(ours)
    compared = changed = 0
    for name in submitters:
        official = files(tmp_path / name)
        assert sorted(k for k in official if k not in mine) == []
        for rel, data in official.items():
            assert mine[rel] == data, rel
            compared += 1
            changed += before.get(rel) != data
    truncations = sum(line.startswith("truncate  ") for line in result.output.splitlines())
    return {"compared": compared, "changed": changed, "truncations": truncations}


def real_v41(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for name in SUBMITTERS:
        shutil.copytree(require_data("inference-v4.1", "closed", name), src / "closed" / name)
    for path in src.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return src


V51_TOOL = Path(os.environ.get("SUBCHECK_OFFICIAL_TOOLS_V51", "/work/ext/official_v511")) / OFFICIAL.name


@pytest.mark.parametrize(("tool", "version"), [(OFFICIAL, "v4.1"), (V51_TOOL, "v5.1")], ids=["v4.1", "v5.1.1"])
def test_byte_identical_to_the_official_tool_on_real_v41_submitters(tmp_path: Path, tool: Path, version: str) -> None:
    if not tool.is_file():
        pytest.skip(f"official truncate_accuracy_log.py not at {tool}")
    src = real_v41(tmp_path)
    counts = rebuild_full(src)
    seen = side_by_side(tmp_path, tool, src, list(SUBMITTERS), ["--version", version])
    print(f"official {version} side by side: {counts} {seen}, all identical")
    assert counts["logs"] >= 20 and counts["txt_removed"] >= 3
    assert seen["changed"] == 2 * counts["logs"] - counts["small"]  # a small log keeps its bytes; its txt changes
    assert seen["truncations"] == counts["logs"]


HEAD_TOOL = Path(os.environ.get("SUBCHECK_OFFICIAL_TOOLS_HEAD", "/work/ext/official_head")) / OFFICIAL.name


@pytest.mark.skipif(not HEAD_TOOL.is_file(), reason=f"official truncate_accuracy_log.py not at {HEAD_TOOL}")
def test_byte_identical_to_the_newest_official_tool_on_the_merged_layout(tmp_path: Path) -> None:
    """The demo tree (merged layout, TEST01 inside the result folder) against mlcommons/inference master."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    counts = rebuild_full(src, drop_test01_txt=False)
    seen = side_by_side(tmp_path, HEAD_TOOL, src, ["SubcheckDemo"], ["--rules", str(REPO / "rules/demo/demo.yaml")])
    print(f"official master side by side: {counts} {seen}, all identical")
    assert counts["logs"] == 8 and seen["truncations"] == 8


@pytest.mark.skipif(not HEAD_TOOL.is_file(), reason=f"official truncate_accuracy_log.py not at {HEAD_TOOL}")
def test_newest_official_tool_skips_an_audit_log_without_accuracy_txt_we_do_not(tmp_path: Path) -> None:
    """Pinned difference: master only makes accuracy.txt for split-layout compliance folders, so in the merged
    layout a TEST01 log without one stays untruncated (RH004). We truncate it and write the hash, as v4.1 did."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "fixtures" / "valid", src)
    audit = Path("closed/SubcheckDemo/results/demo_cpu_numpy/digits/Offline/TEST01/accuracy")
    (src / audit / "accuracy.txt").unlink()
    data = full_log(30_000)
    (src / audit / LOG_NAME).write_bytes(data)
    done = subprocess.run(
        [sys.executable, str(HEAD_TOOL), "--input", str(src), "--submitter", "SubcheckDemo", "--output",
         str(tmp_path / "official")], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and (tmp_path / "official" / audit / LOG_NAME).read_bytes() == data
    CliRunner().invoke(main, ["prepare", str(src), "--output", str(tmp_path / "ours"), "--rules", DEMO_RULES])
    assert (tmp_path / "ours" / audit / LOG_NAME).read_bytes() == data[:KEEP] + b"\n\n...\n\n" + data[-KEEP:]
    digest = hashlib.sha256(data).hexdigest()
    assert (tmp_path / "ours" / audit / "accuracy.txt").read_text(encoding="utf-8") == f"\nhash={digest}\n"
