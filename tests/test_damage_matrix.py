"""Fail closed: every kind of evidence, damaged every way, must make ``subcheck check`` fail without a traceback.

One small real submitter is copied once per kind of tree; each cell damages one file, runs the
command line in a subprocess (a FIFO or /dev/zero must never hang or exhaust it) and restores the file.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, require_data

CTT = "closed/ConnectTechInc"
CTT_RESULT = f"{CTT}/results/Orin_TRT/gptj-99/Offline"
CTT_MEASURE = f"{CTT}/measurements/Orin_TRT/gptj-99/Offline"
ORACLE = "closed/Oracle"
ORACLE_AUDIT = f"{ORACLE}/compliance/GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT/resnet50/Offline"

# kind -> (submitter, file below the tree root, is a JSON document)
EVIDENCE: dict[str, tuple[str, str, bool]] = {
    "perf_detail": (CTT, f"{CTT_RESULT}/performance/run_1/mlperf_log_detail.txt", False),
    "perf_summary": (CTT, f"{CTT_RESULT}/performance/run_1/mlperf_log_summary.txt", False),
    "accuracy_detail": (CTT, f"{CTT_RESULT}/accuracy/mlperf_log_detail.txt", False),
    "accuracy_txt": (CTT, f"{CTT_RESULT}/accuracy/accuracy.txt", False),
    "accuracy_json": (CTT, f"{CTT_RESULT}/accuracy/mlperf_log_accuracy.json", False),
    "system_json": (CTT, f"{CTT}/systems/Orin_TRT.json", True),
    "measurements_json": (CTT, f"{CTT_MEASURE}/Orin_TRT_Offline.json", True),
    "user_conf": (CTT, f"{CTT_MEASURE}/user.conf", False),
    "test01_detail": (ORACLE, f"{ORACLE_AUDIT}/TEST01/performance/run_1/mlperf_log_detail.txt", False),
    "test04_detail": (ORACLE, f"{ORACLE_AUDIT}/TEST04/performance/run_1/mlperf_log_detail.txt", False),
    "verify_performance": (ORACLE, f"{ORACLE_AUDIT}/TEST01/verify_performance.txt", False),
}


def _remove(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _first_value(text: str, new: str) -> str:
    """Replace the first string value of the document (``"key": "value"``) with ``new``."""
    key_end = text.index('":', text.index('"') + 1) + 2
    value_end = text.index('"', text.index('"', key_end) + 1) + 1
    return text[:key_end] + " " + new + text[value_end:]


def _duplicate_first_key(text: str) -> str:
    start = text.index("{") + 1
    key = text[text.index('"', start) : text.index('":', start) + 1]
    return text[:start] + f' {key}: "duplicated",' + text[start:]


FILE_DAMAGES = (
    "missing",
    "empty",
    "directory",
    "fifo",
    "symlink_out_of_tree",
    "dev_zero",
    "random_bytes",
    "utf16",
    "truncated_half",
)
JSON_DAMAGES = ("huge_float", "huge_int", "nan", "deep_nesting", "duplicate_key")


def damage(name: str, path: Path, original: bytes, outside: Path) -> None:
    """Put the damaged form of ``original`` at ``path`` (which no longer exists)."""
    text = original.decode("utf-8")
    makers: dict[str, Callable[[], object]] = {
        "missing": lambda: None,
        "empty": lambda: path.write_bytes(b""),
        "directory": path.mkdir,
        "fifo": lambda: os.mkfifo(path),
        "symlink_out_of_tree": lambda: path.symlink_to(outside),
        "dev_zero": lambda: path.symlink_to("/dev/zero"),
        "random_bytes": lambda: path.write_bytes(random.Random(4).randbytes(4096)),
        "utf16": lambda: path.write_bytes(text.encode("utf-16")),
        "truncated_half": lambda: path.write_bytes(original[: len(original) // 2]),
        "huge_float": lambda: path.write_text(_first_value(text, "1e400")),
        "huge_int": lambda: path.write_text(_first_value(text, "9" * 400)),
        "nan": lambda: path.write_text(_first_value(text, "NaN")),
        "deep_nesting": lambda: path.write_text(_first_value(text, "[" * 100000)),
        "duplicate_key": lambda: path.write_text(_duplicate_first_key(text)),
    }
    makers[name]()


def _cells() -> list[tuple[str, str]]:
    return [
        (kind, name)
        for kind, (_, _, is_json) in EVIDENCE.items()
        for name in FILE_DAMAGES + (JSON_DAMAGES if is_json else ())
    ]


# Cells that still pass because another engineer's rules do not catch them yet (see the final report).
KNOWN_PASSING: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One pristine-then-restored copy per submitter, plus an 'outside' folder for links out of the tree."""
    base = tmp_path_factory.mktemp("damage")
    made = {}
    for submitter in {s for s, _, _ in EVIDENCE.values()}:
        root = base / submitter.replace("/", "_") / "tree"
        source = require_data("inference-v4.1", submitter)
        shutil.copytree(source, root / submitter)
        for path in root.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        made[submitter] = root
    (base / "outside").mkdir()
    made["outside"] = base / "outside"
    return made


TIMINGS: dict[str, float] = {}


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    """The command line of this checkout (not an installed copy), in a subprocess that cannot hang the suite."""
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", str(root), "--version", "v4.1", "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(("kind", "damage_name"), _cells(), ids=[f"{k}-{d}" for k, d in _cells()])
def test_damaged_evidence_fails_closed(trees: dict[str, Path], kind: str, damage_name: str) -> None:
    if (kind, damage_name) in KNOWN_PASSING:
        pytest.xfail(KNOWN_PASSING[(kind, damage_name)])
    submitter, rel, is_json = EVIDENCE[kind]
    root = trees[submitter]
    path = root / rel
    original = (require_data("inference-v4.1") / rel).read_bytes()
    outside = trees["outside"] / f"{kind}-{path.name}"
    outside.write_bytes(original)
    _remove(path)
    damage(damage_name, path, original, outside)
    try:
        started = time.perf_counter()
        done = run_check(root)
        TIMINGS[f"{kind}-{damage_name}"] = time.perf_counter() - started
    finally:
        _remove(path)
        path.write_bytes(original)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output[-3000:]
    assert done.returncode != 0, f"{kind} damaged by {damage_name} still passes:\n{output[-1500:]}"


def test_pristine_copies_pass(trees: dict[str, Path]) -> None:
    """The matrix means something only if the undamaged trees pass."""
    for submitter in {s for s, _, _ in EVIDENCE.values()}:
        done = run_check(trees[submitter])
        assert done.returncode == 0, done.stdout[-2000:]


def teardown_module() -> None:
    if TIMINGS:
        slowest = max(TIMINGS, key=TIMINGS.__getitem__)
        print(f"\ndamage matrix: {len(TIMINGS)} cells, slowest {slowest} {TIMINGS[slowest]:.2f}s")
