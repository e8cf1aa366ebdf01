"""Truncation as the official ``truncate_accuracy_log.py`` does it, and side by side with it on real v4.1 trees.

The side-by-side test runs the official v4.1 script (kept outside the repository: ``$SUBCHECK_OFFICIAL_TOOLS``,
default ``/work/ext/official_v41``; skipped when absent) on copies of real v4.1 submitters whose accuracy logs
are rebuilt full (the published ones are truncated), and requires our output to be byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.discovery import discover
from checker.prepare import truncate
from checker.rounds import Round
from tests.conftest import require_data

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


# --- side by side with the official tool on real v4.1 submitters ------------------------------------------------
# Oracle has TEST01 audit logs; both are small (2 MB, 10 MB). SUBCHECK_PREPARE_SUBMITTERS=A,B compares others.
SUBMITTERS = tuple(os.environ.get("SUBCHECK_PREPARE_SUBMITTERS", "ConnectTechInc,Oracle").split(","))


def rebuild_full(root: Path) -> dict[str, int]:
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
        if "TEST01" in log.parts and n % 3 == 0:
            txt.unlink(missing_ok=True)
            counts["txt_removed"] += 1
        elif txt.is_file():
            lines = txt.read_bytes().splitlines(keepends=True)
            txt.write_bytes(b"".join(x for x in lines if not x.startswith(b"hash=")))
        counts["logs"] += 1
    return counts


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.skipif(not OFFICIAL.is_file(), reason=f"official truncate_accuracy_log.py not at {OFFICIAL}")
def test_byte_identical_to_the_official_tool_on_real_v41_submitters(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in SUBMITTERS:
        shutil.copytree(require_data("inference-v4.1", "closed", name), src / "closed" / name)
    for path in src.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    counts = rebuild_full(src)
    before = files(src)
    for name in SUBMITTERS:
        done = subprocess.run(
            [sys.executable, str(OFFICIAL), "--input", str(src), "--submitter", name, "--output", str(tmp_path / name)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    ours = tmp_path / "ours"
    result = CliRunner().invoke(main, ["prepare", str(src), "--output", str(ours), "--version", "v4.1", "-j", "1"])
    assert result.exit_code in (0, 1), result.output
    assert files(src) == before
    compared = changed = 0
    for name in SUBMITTERS:
        official = files(tmp_path / name)
        mine = {k: v for k, v in files(ours).items() if k.startswith(f"closed/{name}/")}
        assert sorted(k for k in official if k not in mine) == []
        for rel, data in official.items():
            assert mine[rel] == data, rel
            compared += 1
            changed += before.get(rel) != data
    truncations = result.output.count("\ntruncate  ") + result.output.startswith("truncate")
    print(f"official v4.1 side by side: {counts}, {compared} files compared, {changed} changed by both, all identical")
    assert counts["logs"] >= 20 and counts["txt_removed"] >= 3
    assert changed == 2 * counts["logs"] - counts["small"] and truncations == counts["logs"]  # a small log stays
