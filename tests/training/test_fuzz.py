"""Hypothesis corrupts real logs and system descriptions; the checker must answer with findings, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.findings import Severity

from .conftest import FIXTURE
from .harness import bench_dir, logs, run, system_json

SETTINGS = settings(
    max_examples=int(os.environ.get("SUBCHECK_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
ORIGINAL = logs(FIXTURE, (0,))[0].read_bytes()
ORIGINAL_JSON = json.loads(system_json(FIXTURE).read_text())


def _fresh(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(FIXTURE, root)
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return root


def _assert_no_crash(root: Path) -> None:
    report = run(root)
    crashed = [f for f in report.findings if f.code == "EN001"]
    assert crashed == []
    for row in report.rows:
        assert row["score"] is None or row["score"] > -1e9


@st.composite
def corrupted_log(draw: st.DrawFn) -> bytes:
    data = bytearray(ORIGINAL)
    op = draw(st.sampled_from(["truncate", "bytes", "delete_lines", "swap_lines", "retype"]))
    if op == "truncate":
        return bytes(data[: draw(st.integers(0, len(data)))])
    if op == "bytes":
        for _ in range(draw(st.integers(1, 20))):
            pos = draw(st.integers(0, len(data) - 1))
            data[pos] = draw(st.integers(0, 255))
        return bytes(data)
    lines = bytes(data).split(b"\n")
    if op == "delete_lines":
        drop = set(draw(st.lists(st.integers(0, len(lines) - 1), max_size=15)))
        return b"\n".join(ln for i, ln in enumerate(lines) if i not in drop)
    if op == "swap_lines":
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    # retype: replace a field of a random record with a value of another type
    i = draw(st.integers(0, len(lines) - 2))
    text = lines[i].decode("latin-1")
    if ":::MLLOG " in text:
        rec = json.loads(text.split(":::MLLOG ", 1)[1])
        field = draw(st.sampled_from(["time_ms", "key", "value", "metadata"]))
        junk = st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=True),
            st.text(max_size=5),
            st.lists(st.integers(), max_size=3),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        )
        if draw(st.booleans()):
            rec.pop(field, None)
        else:
            rec[field] = draw(junk)
        lines[i] = (":::MLLOG " + json.dumps(rec)).encode("latin-1", errors="replace")
    return b"\n".join(lines)


@SETTINGS
@given(blob=corrupted_log())
def test_corrupted_log_never_crashes(tmp_path: Path, blob: bytes) -> None:
    root = _fresh(tmp_path, "log")
    for path in logs(root):
        path.write_bytes(blob)
    _assert_no_crash(root)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)


@SETTINGS
@given(
    drop=st.lists(st.sampled_from(sorted(ORIGINAL_JSON)), max_size=6),
    retype=st.dictionaries(st.sampled_from(sorted(ORIGINAL_JSON)), json_values, max_size=4),
    truncate=st.one_of(st.none(), st.integers(0, 400)),
)
def test_corrupted_system_json_never_crashes(
    tmp_path: Path, drop: list[str], retype: dict, truncate: int | None
) -> None:
    root = _fresh(tmp_path, "json")
    data = dict(ORIGINAL_JSON)
    for key in drop:
        data.pop(key, None)
    data.update(retype)
    text = json.dumps(data)
    system_json(root).write_text(text[:truncate] if truncate is not None else text)
    report = run(root)
    codes = {f.code for f in report.findings}
    assert "EN001" not in codes  # no rule crashed
    if truncate is not None and truncate < len(text):
        assert "TS001" in codes  # a cut JSON object is never valid
    elif set(drop) - set(retype):
        # A required field is missing; a number no double can hold makes the whole file unusable (TS001) first.
        assert codes & {"TS001", "TS002"}


@SETTINGS
@given(text=st.text(max_size=60))
def test_params_and_scaling_files_never_crash(tmp_path: Path, text: str) -> None:
    root = _fresh(tmp_path, "extra")
    (bench_dir(root) / "package_checker_params").write_text(text)
    (bench_dir(root) / "scaling.json").write_text(text)
    report = run(root)
    assert not [f for f in report.findings if f.code == "EN001"]
    assert any(f.code in ("TC002", "TR005") for f in report.findings) or report.rows[0]["scaling_factor"] > 0
    assert all(f.severity in Severity for f in report.findings)
