"""Fail closed: every kind of evidence, damaged every way, must make ``subcheck check`` fail without a traceback.

Two corpora: small real v4.1 submitters (skipped without the shared data) and the bundled demo submission
made by real LoadGen (``fixtures/valid``, always run). Each tree is copied once; each cell damages one file,
runs the command line in a subprocess (a FIFO or /dev/zero must never hang or exhaust it) and restores the file.
"""

from __future__ import annotations

import json
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
DEMO = "closed/SubcheckDemo"
DEMO_RESULT = f"{DEMO}/results/demo_cpu_numpy/digits/Offline"

# kind -> (submitter, file below the tree root, is a JSON document); "demo-" kinds damage the bundled fixture.
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
    "demo-perf_detail": (DEMO, f"{DEMO_RESULT}/performance/run_1/mlperf_log_detail.txt", False),
    "demo-perf_summary": (DEMO, f"{DEMO_RESULT}/performance/run_1/mlperf_log_summary.txt", False),
    "demo-accuracy_detail": (DEMO, f"{DEMO_RESULT}/accuracy/mlperf_log_detail.txt", False),
    "demo-accuracy_txt": (DEMO, f"{DEMO_RESULT}/accuracy/accuracy.txt", False),
    "demo-accuracy_json": (DEMO, f"{DEMO_RESULT}/accuracy/mlperf_log_accuracy.json", False),
    "demo-system_json": (DEMO, f"{DEMO}/systems/demo_cpu_numpy.json", True),
    "demo-measurements_json": (DEMO, f"{DEMO_RESULT}/measurements.json", True),
    "demo-user_conf": (DEMO, f"{DEMO_RESULT}/user.conf", False),
    "demo-test01_detail": (DEMO, f"{DEMO_RESULT}/TEST01/performance/run_1/mlperf_log_detail.txt", False),
    "demo-test04_detail": (DEMO, f"{DEMO_RESULT}/TEST04/performance/run_1/mlperf_log_detail.txt", False),
    "demo-verify_performance": (DEMO, f"{DEMO_RESULT}/TEST01/verify_performance.txt", False),
}
# The latency scenarios are judged by other rules (latency bounds, early stopping, query counts): their evidence
# must fail closed as well.
for _scenario in ("Server", "SingleStream"):
    _result = f"{DEMO}/results/demo_cpu_numpy/digits/{_scenario}"
    EVIDENCE |= {
        f"demo-{_scenario}-perf_detail": (DEMO, f"{_result}/performance/run_1/mlperf_log_detail.txt", False),
        f"demo-{_scenario}-perf_summary": (DEMO, f"{_result}/performance/run_1/mlperf_log_summary.txt", False),
        f"demo-{_scenario}-accuracy_detail": (DEMO, f"{_result}/accuracy/mlperf_log_detail.txt", False),
        f"demo-{_scenario}-accuracy_txt": (DEMO, f"{_result}/accuracy/accuracy.txt", False),
        f"demo-{_scenario}-accuracy_json": (DEMO, f"{_result}/accuracy/mlperf_log_accuracy.json", False),
        f"demo-{_scenario}-measurements_json": (DEMO, f"{_result}/measurements.json", True),
        f"demo-{_scenario}-user_conf": (DEMO, f"{_result}/user.conf", False),
        f"demo-{_scenario}-test01_detail": (DEMO, f"{_result}/TEST01/performance/run_1/mlperf_log_detail.txt", False),
        f"demo-{_scenario}-test04_detail": (DEMO, f"{_result}/TEST04/performance/run_1/mlperf_log_detail.txt", False),
    }
DEMO_ARGS = ["--rules", str(REPO / "rules" / "demo" / "demo.yaml")]
REAL_ARGS = ["--version", "v4.1"]


def source_of(submitter: str) -> Path:
    """Where a corpus tree comes from: the bundled fixture, or the shared data (skips when absent)."""
    if submitter == DEMO:
        return REPO / "fixtures" / "valid" / submitter
    return require_data("inference-v4.1", submitter)


def args_for(submitter: str) -> list[str]:
    return DEMO_ARGS if submitter == DEMO else REAL_ARGS


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


# Cells that still pass because a rule does not catch them yet (none today; a cell listed here must xfail).
KNOWN_PASSING: dict[tuple[str, str], str] = {}


class Trees(dict):
    """Copies of the corpus trees, made on first use (a real tree skips the test when the data is absent)."""

    def __init__(self, base: Path) -> None:
        super().__init__()
        self.base = base
        (base / "outside").mkdir()
        self["outside"] = base / "outside"

    def __missing__(self, submitter: str) -> Path:
        root = self.base / submitter.replace("/", "_") / "tree"
        shutil.copytree(source_of(submitter), root / submitter)
        for path in root.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        self[submitter] = root
        return root


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Trees:
    """One pristine-then-restored copy per submitter, plus an 'outside' folder for links out of the tree."""
    return Trees(tmp_path_factory.mktemp("damage"))


TIMINGS: dict[str, float] = {}
CELL_TIMEOUT_S = 30


def run_check(root: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """The command line of this checkout (not an installed copy), in a subprocess that cannot hang the suite."""
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", str(root), *args, "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=CELL_TIMEOUT_S,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


class CellTimeout(Exception):
    """A cell ran past its time: something blocked on a FIFO or read an endless file."""


def _forget_parsed_files() -> None:
    """Every parse cache of the process (they key on path, mtime and size; cells rewrite files quickly)."""
    import functools
    import gc

    for cached in [o for o in gc.get_objects() if isinstance(o, functools._lru_cache_wrapper)]:
        cached.cache_clear()


def _check_in_process(root: Path, args: list[str]) -> tuple[int, str]:
    """``subcheck check`` run by this process: (exit code, stdout + stderr, with any traceback)."""
    import contextlib
    import io
    import traceback

    from checker.cli import main

    out = io.StringIO()
    code: int | None = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            result = main.main(["check", str(root), *args, "--jobs", "1"], standalone_mode=False)
            code = result if isinstance(result, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except CellTimeout:
            code = 124
            out.write(f"cell ran past {CELL_TIMEOUT_S} s\n")
        except BaseException:  # noqa: BLE001 - whatever escapes is the bug this matrix looks for
            code = 99
            out.write(traceback.format_exc())
    return code or 0, out.getvalue()


def drive_kind(kind: str, root: str, outside: str) -> None:
    """Subprocess entry: every damage of one evidence kind, one after another; one JSON line per cell."""
    import signal

    def expire(signum: int, frame: object) -> None:
        raise CellTimeout

    signal.signal(signal.SIGALRM, expire)
    submitter, rel, is_json = EVIDENCE[kind]
    path = Path(root) / rel
    original = (source_of(submitter).parent.parent / rel).read_bytes()
    for name in FILE_DAMAGES + (JSON_DAMAGES if is_json else ()):
        _remove(path)
        damage(name, path, original, Path(outside))
        _forget_parsed_files()
        started = time.perf_counter()
        signal.alarm(CELL_TIMEOUT_S)
        try:
            code, output = _check_in_process(Path(root), args_for(submitter))
        finally:
            signal.alarm(0)
            _remove(path)
            path.write_bytes(original)
        seconds = time.perf_counter() - started
        print(json.dumps({"damage": name, "code": code, "output": output[-3000:], "seconds": seconds}), flush=True)


RESULTS: dict[str, dict[str, dict[str, object]]] = {}


def results_of(kind: str, trees: dict[str, Path]) -> dict[str, dict[str, object]]:
    """Run one kind's cells in one subprocess (imports cost more than a check), once per test session."""
    if kind not in RESULTS:
        submitter, rel, is_json = EVIDENCE[kind]
        root, path = trees[submitter], trees[submitter] / rel
        outside = trees["outside"] / f"{kind}-{path.name}"
        pristine = (source_of(submitter).parent.parent / rel).read_bytes()
        outside.write_bytes(pristine)
        cells = len(FILE_DAMAGES + (JSON_DAMAGES if is_json else ()))
        script = (
            f"from tests.test_damage_matrix import drive_kind; drive_kind({kind!r}, {str(root)!r}, {str(outside)!r})"
        )
        try:
            done = subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                timeout=CELL_TIMEOUT_S * cells + 30,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
            )
            lines, tail = done.stdout.splitlines(), done.stderr[-3000:]
        except subprocess.TimeoutExpired as exc:
            lines, tail = (exc.stdout or b"").decode().splitlines(), "group timed out"
        finally:
            _remove(path)
            path.write_bytes(pristine)
        found = {}
        for line in lines:
            if line.startswith("{"):
                cell = json.loads(line)
                found[str(cell["damage"])] = cell
                TIMINGS[f"{kind}-{cell['damage']}"] = float(cell["seconds"])
        RESULTS[kind] = found
        RESULTS[kind]["_stderr"] = {"output": tail}
    return RESULTS[kind]


def _params() -> list[object]:
    """Every cell; those listed in KNOWN_PASSING are strict xfails (they must start failing when fixed)."""
    return [
        pytest.param(
            kind,
            name,
            id=f"{kind}-{name}",
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_PASSING[(kind, name)])]
            if (kind, name) in KNOWN_PASSING
            else [],
        )
        for kind, name in _cells()
    ]


@pytest.mark.parametrize(("kind", "damage_name"), _params())
def test_damaged_evidence_fails_closed(trees: dict[str, Path], kind: str, damage_name: str) -> None:
    cells = results_of(kind, trees)
    cell = cells.get(damage_name)
    assert cell is not None, f"the cell did not report (crashed or hung): {cells['_stderr']['output']}"
    output = str(cell["output"])
    assert "Traceback" not in output, output
    assert cell["code"] not in (0, 124), f"{kind} damaged by {damage_name} exits {cell['code']}:\n{output[-1500:]}"


@pytest.mark.parametrize("submitter", sorted({s for s, _, _ in EVIDENCE.values()}))
def test_pristine_copies_pass(trees: dict[str, Path], submitter: str) -> None:
    """The matrix means something only if the undamaged trees pass."""
    done = run_check(trees[submitter], args_for(submitter))
    assert done.returncode == 0, done.stdout[-2000:]


def teardown_module() -> None:
    if TIMINGS:
        slowest = max(TIMINGS, key=TIMINGS.__getitem__)
        print(f"\ndamage matrix: {len(TIMINGS)} cells, slowest {slowest} {TIMINGS[slowest]:.2f}s")
