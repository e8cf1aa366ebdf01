"""Damaged Endpoints evidence never passes and never crashes (hypothesis and the holes a probe found).

The real files of the endpoints suite's valid submission and of NVIDIA's v6.1 Endpoints-client results are cut
short, given invalid UTF-8, given values of the wrong type or sign, or replaced by a folder, a FIFO, a link loop,
deep nesting or a file over the read limit. ``subcheck check`` must then exit 1 (or 2), name an error finding and
print no traceback.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main
from tests.conftest import REPO

ENDPOINTS = REPO / "fixtures" / "endpoints" / "valid"
CURVE = "acme/acme-2026-10/results/acme_h100x8/llama3_1-8b"
CLIENT = REPO / "fixtures" / "inference-v6.1-endpoints"
DSR1 = "closed/NVIDIA/results/VR-NVL72_VR-288GB_aarch64x72_TRT/deepseek-r1/Server"
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# The files each tree's rules read, by tree: damage to any of them must be an error finding.
JUDGED = {
    "endpoints": [f"{CURVE}/r512/result_summary.json", f"{CURVE}/r16/accuracy_results.json"],
    "client": [f"{DSR1}/performance/result_summary.json", f"{DSR1}/accuracy/accuracy_results.json"],
}
COUNTS = ("n_samples_issued", "n_samples_completed", "n_samples_failed")


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One writable copy of each tree; a test restores what it damages."""
    base = tmp_path_factory.mktemp("fuzz-endpoints")
    return {"endpoints": shutil.copytree(ENDPOINTS, base / "ep"), "client": shutil.copytree(CLIENT, base / "client")}


def check(tree: Path, kind: str) -> tuple[int, list[dict[str, Any]]]:
    """``subcheck check`` on the tree: the exit code and the error findings; never a traceback."""
    version = "v6.1" if kind == "client" else "v1.0"
    args = ["check", str(tree), "--format", "json", "--jobs", "1", "--no-cache", "--version", version]
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    assert not [f for f in report["findings"] if f["code"] == "EN001"]  # no rule crashed
    return result.exit_code, [f for f in report["findings"] if f["severity"] == "error"]


def damaged(tree: Path, kind: str, rel: str, data: bytes | None = None, make: Callable[[Path], None] | None = None):
    """Check the tree with ``rel`` replaced (bytes or ``make``), then put the original back."""
    path = tree / rel
    original = path.read_bytes()
    path.unlink()
    try:
        if make is not None:
            make(path)
        else:
            path.write_bytes(data or b"")
        return check(tree, kind)
    finally:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        path.write_bytes(original)


def fails_on(findings: list[dict[str, Any]], rel: str) -> bool:
    return any(f["path"] == rel for f in findings)


@pytest.mark.parametrize("kind", ["endpoints", "client"])
def test_pristine_trees_pass(trees: dict[str, Path], kind: str) -> None:
    code, errors = check(trees[kind], kind)
    assert (code, errors) == (0, [])


@FUZZ
@given(kind=st.sampled_from(["endpoints", "client"]), which=st.integers(0, 1), cut=st.floats(0.0, 0.99))
def test_a_truncated_file_is_an_error(trees: dict[str, Path], kind: str, which: int, cut: float) -> None:
    rel = JUDGED[kind][which]
    text = (trees[kind] / rel).read_bytes()
    code, errors = damaged(trees[kind], kind, rel, text[: int(cut * text.rindex(b"}"))])
    assert code == 1 and fails_on(errors, rel)


@FUZZ
@given(
    kind=st.sampled_from(["endpoints", "client"]),
    which=st.integers(0, 1),
    where=st.floats(0.0, 1.0),
    bad=st.sampled_from([b"\xff", b"\xfe", b"\x80", b"\xc3\x28", b"\xed\xa0\x80"]),
)
def test_invalid_utf8_is_an_error(trees: dict[str, Path], kind: str, which: int, where: float, bad: bytes) -> None:
    rel = JUDGED[kind][which]
    text = (trees[kind] / rel).read_bytes()
    at = int(where * len(text))
    code, errors = damaged(trees[kind], kind, rel, text[:at] + bad + text[at:])
    assert code == 1 and fails_on(errors, rel)


WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=5),
    st.integers(max_value=-1),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v != int(v)),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@FUZZ
@given(kind=st.sampled_from(["endpoints", "client"]), key=st.sampled_from(COUNTS), value=WRONG)
def test_a_count_of_the_wrong_type_or_sign_is_an_error(trees: dict[str, Path], kind: str, key: str, value: Any) -> None:
    rel = JUDGED[kind][0]
    data = json.loads((trees[kind] / rel).read_text())
    data[key] = value
    code, errors = damaged(trees[kind], kind, rel, json.dumps(data).encode())
    assert code == 1 and any(f["path"] == rel and f.get("key") == key for f in errors)


SPECIAL: dict[str, Callable[[Path], None]] = {
    "empty": lambda p: p.write_bytes(b""),
    "folder": lambda p: p.mkdir(),
    "fifo": lambda p: os.mkfifo(p),
    "link-loop": lambda p: p.symlink_to(p.name),
    "dangling-link": lambda p: p.symlink_to("nowhere.json"),
    "deep-nesting": lambda p: p.write_bytes(b"[" * 200_000 + b"]" * 200_000),
    "over-the-limit": lambda p: p.write_bytes(b'{"a": "' + b"x" * (17 << 20) + b'"}'),
    "nan": lambda p: p.write_bytes(b'{"n_samples_issued": NaN}'),
    "huge-number": lambda p: p.write_bytes(b'{"n_samples_issued": 1e400}'),
    "a-list": lambda p: p.write_bytes(b"[1, 2]"),
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need POSIX")
@pytest.mark.parametrize("kind", ["endpoints", "client"])
@pytest.mark.parametrize("special", sorted(SPECIAL))
def test_a_file_that_is_not_a_readable_object_is_an_error(trees: dict[str, Path], kind: str, special: str) -> None:
    for rel in JUDGED[kind]:
        code, errors = damaged(trees[kind], kind, rel, make=SPECIAL[special])
        assert code == 1 and errors, (rel, special)


def _edit(tree: Path, rel: str, change: Callable[[Any], Any]) -> bytes:
    path = tree / rel
    data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    change(data)
    return (json.dumps(data) if path.suffix == ".json" else yaml.safe_dump(data)).encode()


def _codes(errors: list[dict[str, Any]], rel: str) -> set[str]:
    return {f["code"] for f in errors if f["path"] == rel}


# Holes the probe found: each edit passed (exit 0) before the fix.
HOLES: dict[str, tuple[str, str, Callable[[Any], Any], str]] = {
    "negative-failed": ("endpoints", f"{CURVE}/r512/result_summary.json",
                        lambda d: d.update(n_samples_completed=318549, n_samples_failed=-10), "EP004"),
    "negative-tokens": ("endpoints", f"{CURVE}/r512/result_summary.json",
                        lambda d: (d["output_sequence_lengths"].update(total=-40773033), d.update(system_tps=-32359.5)),
                        "EP004"),
    "nothing-completed": ("endpoints", f"{CURVE}/r512/result_summary.json",
                          lambda d: d.update(n_samples_issued=0, n_samples_completed=0), "EP101"),
    "accuracy-samples-unsaid": ("endpoints", f"{CURVE}/r16/accuracy_results.json",
                                lambda d: d["llm-perf-dataset-v1"].pop("num_samples"), "EP301"),
    "client-nothing-completed": ("client", f"{DSR1}/performance/result_summary.json",
                                 lambda d: d.update(n_samples_issued=0, n_samples_completed=0), "EC003"),
    "client-negative-counts": ("client", f"{DSR1}/performance/result_summary.json",
                               lambda d: d.update(n_samples_issued=-5, n_samples_completed=-5), "EC002"),
    "client-accuracy-samples-unsaid": ("client", f"{DSR1}/accuracy/accuracy_results.json",
                                       lambda d: d["accuracy_scores"][0].pop("total_samples"), "EC007"),
    "client-accuracy-entry-not-object": ("client", f"{DSR1}/accuracy/accuracy_results.json",
                                         lambda d: d["accuracy_scores"].insert(0, "79.0"), "EC002"),
    "client-negative-p99": ("client", f"{DSR1}/performance/result_summary.json",
                            lambda d: d["tpot"]["early_stopping_percentiles"].update({"99.0": -1.0}), "EC005"),
}  # fmt: skip


@pytest.mark.parametrize("hole", sorted(HOLES))
def test_probe_holes_are_errors(trees: dict[str, Path], hole: str) -> None:
    kind, rel, change, code = HOLES[hole]
    status, errors = damaged(trees[kind], kind, rel, _edit(trees[kind], rel, change))
    assert status == 1 and code in _codes(errors, rel), errors


@pytest.mark.parametrize("kind", ["endpoints", "client"])
def test_a_repeated_key_is_an_error(trees: dict[str, Path], kind: str) -> None:
    """``"n_samples_failed": 5, "n_samples_failed": 0``: json keeps the 0, another reader the 5."""
    rel = JUDGED[kind][0]
    text = json.dumps(json.loads((trees[kind] / rel).read_text()))
    text = text.replace('"n_samples_failed": 0', '"n_samples_failed": 5, "n_samples_failed": 0')
    status, errors = damaged(trees[kind], kind, rel, text.encode())
    expected = "EP003" if kind == "endpoints" else "EC002"
    assert status == 1 and [f["key"] for f in errors if f["path"] == rel and f["code"] == expected] == [
        "n_samples_failed"
    ]


@pytest.mark.parametrize("kind", ["endpoints", "client"])
def test_a_repeated_yaml_key_is_an_error(trees: dict[str, Path], kind: str) -> None:
    """YAML's safe loader keeps the last of two equal keys silently, as json does."""
    rel = f"{CURVE}/r88/point.yaml" if kind == "endpoints" else f"{DSR1}/config.yaml"
    text = (trees[kind] / rel).read_text()
    status, errors = damaged(trees[kind], kind, rel, (text + text.splitlines()[0] + "\n").encode())
    expected = "EP003" if kind == "endpoints" else "EC002"
    assert status == 1 and [f["code"] for f in errors if f["path"] == rel] == [expected]


YAML_DAMAGE = {
    "nan-window": lambda text: text.replace("duration_s: 1230.0", "duration_s: .nan"),
    "inf-window": lambda text: text.replace("duration_s: 1230.0", "duration_s: .inf"),
    "huge-int": lambda text: text.replace("max_supported_concurrency: 1000", "max_supported_concurrency: " + "9" * 400),
    "int-too-long-to-read": lambda text: text.replace("concurrency: 512", "concurrency: " + "9" * 5000),
    "deep-nesting": lambda text: text + "deep: " + "[" * 50_000 + "]" * 50_000 + "\n",
}


@pytest.mark.parametrize("damage", sorted(YAML_DAMAGE))
def test_unreadable_yaml_numbers_and_nesting_are_ep003(trees: dict[str, Path], damage: str) -> None:
    """Before the fix: NaN seconds skipped EP207 (NaN < 1200 is False); 400 digits crashed the region rules on a
    float overflow; 5,000 digits or deep nesting crashed every rule (ValueError, RecursionError from the loader)."""
    rel = f"{CURVE}/r512/point.yaml"
    text = YAML_DAMAGE[damage]((trees["endpoints"] / rel).read_text())
    status, errors = damaged(trees["endpoints"], "endpoints", rel, text.encode())
    assert status == 1 and "EP003" in _codes(errors, rel)


def test_a_tree_without_a_submission_cannot_run(tmp_path: Path) -> None:
    """A results/ with no r<N> point is not an Endpoints submission: exit 2 with a one-line reason."""
    (tmp_path / "acme/sub/results/sys/llama3_1-8b/notapoint").mkdir(parents=True)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--suite", "endpoints"])
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("case", "rel", "content", "code"),
    [
        ("seed-set-list", f"{CURVE}/r88/point.yaml", "seed_set: [A]\n", "EP403"),
        ("negative-samples", f"{CURVE}/r16/accuracy_results.json",
         '{"a": {"num_samples": 13368, "score": {"rouge1": "10"}}, "b": {"num_samples": -13368, "score": '
         '{"rouge1": "90"}}}', "EP004"),
    ],
)  # fmt: skip
def test_odd_types_are_findings_not_crashes(
    trees: dict[str, Path], case: str, rel: str, content: str, code: str
) -> None:
    """Before the fix: a list seed_set crashed EP403 (unhashable) and sample weights summing to 0 crashed EP301."""
    path = trees["endpoints"] / rel
    if path.suffix == ".yaml":
        content = path.read_text().replace("seed_set: A\n", content)
    status, errors = damaged(trees["endpoints"], "endpoints", rel, content.encode())
    assert status == 1 and code in _codes(errors, rel)


def test_a_point_folder_with_a_leading_zero_is_not_a_point(trees: dict[str, Path]) -> None:
    """``r016`` was read as concurrency 16; the folder must be named ``r16`` (§1)."""
    curve = trees["endpoints"] / CURVE
    (curve / "r16").rename(curve / "r016")
    try:
        status, errors = check(trees["endpoints"], "endpoints")
    finally:
        (curve / "r016").rename(curve / "r16")
    assert status == 1 and ("EP006", f"{CURVE}/r016") in {(f["code"], f["path"]) for f in errors}


def test_a_repeated_key_in_system_power_is_ep007(trees: dict[str, Path]) -> None:
    rel = "acme/acme-2026-10/results/acme_h100x8/system_power.json"
    text = (trees["endpoints"] / rel).read_text().replace('"cooling": "air"', '"cooling": "liquid", "cooling": "air"')
    status, errors = damaged(trees["endpoints"], "endpoints", rel, text.encode())
    assert status == 1 and [(f["code"], f["key"]) for f in errors if f["path"] == rel] == [("EP007", "cooling")]


POINT_KEYS = sorted(json.loads((REPO / "schemas" / "endpoints" / "point.schema.json").read_text())["properties"])


@FUZZ
@given(key=st.sampled_from(POINT_KEYS), value=WRONG)
def test_a_point_yaml_field_of_another_type_never_crashes(trees: dict[str, Path], key: str, value: Any) -> None:
    """Any point.yaml field given another type: the run ends in findings (no rule crash); it passes only when the
    new value has the type the field had, or is null for an optional field."""
    rel = f"{CURVE}/r88/point.yaml"
    data = yaml.safe_load((trees["endpoints"] / rel).read_text())
    before = data.get(key)
    data[key] = value
    status, errors = damaged(trees["endpoints"], "endpoints", rel, yaml.safe_dump(data).encode())
    assert status in (0, 1)
    if status == 0:
        assert type(value) is type(before) or (value is None and key in ("dataset", "offline")), (key, value)
