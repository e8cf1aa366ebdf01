"""The ``endpoints`` suite on its fixtures (one valid submission, one tree per violation class), and the official
``submission-checker`` (PyPI ``endpoints-submission-cli``) run side by side on each of them.
"""

from __future__ import annotations

import filecmp
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.endpoints import regions
from checker.ruleset import load
from scripts.endpoints_fixtures import VARIANTS
from scripts.endpoints_fixtures import main as write_fixtures
from tests.conftest import REPO

FIXTURES = REPO / "fixtures" / "endpoints"
POINT = "acme/acme-2026-10/results/acme_h100x8/llama3_1-8b"

# What each violation fixture must produce: our error codes, and a path and key of the first finding.
EXPECTED: dict[str, tuple[set[str], str, str | None]] = {
    "no-src": ({"EP001", "EP009"}, "acme/acme-2026-10/src", None),
    "src-readme": ({"EP008"}, "acme/acme-2026-10/src/llama3_1-8b/README.md", None),
    "shared-path": ({"EP009"}, f"{POINT}/r88/point.yaml", "shared_docs"),
    "missing-config": ({"EP002"}, f"{POINT}/r88/config.yaml", None),
    "broken-summary": ({"EP003"}, f"{POINT}/r256/result_summary.json", None),
    "point-field-type": ({"EP004"}, f"{POINT}/r38/point.yaml", "$.warmup.requests_issued"),
    "disclosure-missing": ({"EP004"}, f"{POINT}/r256/point.yaml", "$"),
    "dirname-mismatch": ({"EP005"}, f"{POINT}/r38/point.yaml", "concurrency"),
    "no-power": ({"EP007"}, "acme/acme-2026-10/results/acme_h100x8/system_power.json", None),
    "accounting": ({"EP101"}, f"{POINT}/r512/result_summary.json", "n_samples_issued"),
    "system-tps": ({"EP103"}, f"{POINT}/r512/result_summary.json", "system_tps"),
    "no-tpot-p90": ({"EP104"}, f"{POINT}/r768/result_summary.json", "tpot"),
    "tps-per-user": ({"EP105"}, f"{POINT}/r768/result_summary.json", "tps_per_user"),
    "too-few-points": ({"EP201"}, POINT, None),
    "region-gap": ({"EP202", "EP302"}, POINT, None),
    "out-of-range": ({"EP203"}, f"{POINT}/r1200", None),
    "no-offline": ({"EP204", "EP302"}, POINT, None),
    "accuracy-low": ({"EP301"}, f"{POINT}/r20/accuracy_results.json", "rouge1"),
    "accuracy-missing": ({"EP302"}, POINT, None),
    "system-desc-differs": ({"EP401"}, f"{POINT}/r256/system_desc.json", "serving_framework"),
    "model-name": ({"EP402"}, f"{POINT}/r16/point.yaml", "model_name"),
    "seed-mismatch": ({"EP403"}, f"{POINT}/r88/point.yaml", "model_seed"),
    "system-desc-field": ({"EP404"}, f"{POINT}/r1000/system_desc.json", "$.node_types[0]"),
}

# The official checker's error rules and the code of ours that covers each (for the side-by-side test).
OFFICIAL_TO_OURS = {
    "src-dir": "EP001",
    "src-readme": "EP008",
    "shared-path-resolution": "EP009",
    "required-dir": "EP001",
    "config-file-present": "EP002",
    "result-file-valid": "EP003",
    "point-config-valid": "EP004",
    "point-dirname-concurrency": "EP005",
    "point-disclosure-complete": "EP004",
    "warmup-present": "EP004",
    "power-descriptor": "EP007",
    "metric-consistency-accounting": "EP101",
    "metric-consistency-system-tps": "EP103",
    "metric-consistency-tpot-p90": "EP104",
    "metric-consistency-tps-per-user": "EP105",
    "point-count": "EP201",
    "med-concurrency-coverage": "EP202",
    "concurrency-in-range": "EP203",
    "offline-point-present": "EP204",
    "accuracy-gate": "EP301",
    "accuracy-coverage": "EP302",
    "system-description-consistency": "EP401",
    "model-name-consistency": "EP402",
    "model-name-valid": "EP402",
    "config-consistency-model": "EP402",
    "seed-runtime-match": "EP403",
    "system-description-valid": "EP404",
}

# Fixtures where the verdicts differ on purpose, and why (the closing note lists these).
DISAGREEMENTS = {
    "dirname-mismatch": (
        "the official checker only warns (point-dirname-concurrency) when r<N> is not point.yaml's concurrency and "
        "passes the submission; §1 names the folder after the concurrency, and the two disagreeing means one of "
        "them is wrong, so we reject (doubt is never a pass)"
    ),
}


def check_json(path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json", *extra], prog_name="subcheck")
    return result.exit_code, json.loads(result.stdout)


def errors(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"] if f["severity"] == "error"}


def test_committed_fixtures_are_what_the_script_writes(tmp_path: Path) -> None:
    write_fixtures(tmp_path)
    for name in ("valid", *VARIANTS):
        compare = filecmp.dircmp(tmp_path / name, FIXTURES / name)
        stack, diffs = [compare], []
        while stack:
            node = stack.pop()
            diffs += node.left_only + node.right_only + node.diff_files
            stack += node.subdirs.values()
        assert not diffs, f"{name}: regenerate with python scripts/endpoints_fixtures.py ({diffs[:3]})"
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(["valid", *VARIANTS])


def test_valid_submission_passes_with_one_row_per_point_in_official_units() -> None:
    code, report = check_json(FIXTURES / "valid")
    assert code == 0 and report["findings"] == []
    assert report["ruleset"] == "v1.0" and "seed set A" in report["ruleset_evidence"]
    rows = report["results"]
    assert [r["Concurrency"] for r in rows] == [16, 20, 38, 88, 256, 512, 768, 1000]
    summary = json.loads((FIXTURES / "valid" / POINT / "r16" / "result_summary.json").read_text())
    first = rows[0]
    tokens, seconds = summary["output_sequence_lengths"]["total"], summary["duration_ns"] / 1e9
    assert first["System TPS"] == round(tokens / seconds, 3)
    assert first["TPOT p90 (ms)"] == round(summary["tpot"]["percentiles"]["90"] / 1e6, 3)
    assert first["TPS per user"] == round(1000 / first["TPOT p90 (ms)"], 3)
    assert (first["Region"], rows[2]["Region"], rows[-1]["Region"], rows[-1]["Offline"]) == (
        "ultra_low",
        "medium",
        "high",
        "elected",
    )
    assert all(r["Valid"] for r in rows)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_violation_fixture_fails_on_its_rule(name: str) -> None:
    codes, path, key = EXPECTED[name]
    code, report = check_json(FIXTURES / name)
    assert code == 1
    assert errors(report) == codes
    first = next(f for f in report["findings"] if f["code"] == min(codes))
    assert first["path"] == path
    assert first["key"] == key


def test_a_fixture_for_every_error_rule_of_the_suite() -> None:
    from checker.registry import load_all

    ours = {c for c, r in load_all().items() if r.suite == "endpoints" and r.severity.value == "error"}
    covered = set().union(*(codes for codes, _, _ in EXPECTED.values()))
    untested = {"EP006", "EP102", "EP106", "EP205"}  # pinned by test_rules_without_a_fixture_tree instead
    untested |= {"EP010"}  # links cannot be committed as fixtures: test_a_link_out_of_the_submission_is_ep010
    assert ours - covered == untested


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "valid", tmp_path / "t")
    return tmp_path / "t"


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    change(data)
    path.write_text(json.dumps(data) if path.suffix == ".json" else yaml.safe_dump(data))


def test_a_link_out_of_the_submission_is_ep010(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    code, report = check_json(tree)
    assert code == 0 and not [f for f in report["findings"] if f["code"] == "EP010"]
    point = tree / POINT / "r16"
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(point), elsewhere)
    point.symlink_to(elsewhere, target_is_directory=True)
    code, report = check_json(tree)
    found = [(f["path"], f["found"], f["severity"]) for f in report["findings"] if f["code"] == "EP010"]
    assert code == 1 and found == [(f"{POINT}/r16", str(elsewhere), "error")]


def test_an_unlistable_folder_is_ep010_not_a_pass() -> None:
    """Run as an unprivileged user (root lists everything): a folder EP010 cannot walk is an error, not skipped."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs setpriv and root to drop to an unprivileged user")
    base = Path(tempfile.mkdtemp(prefix="subcheck-ep010-"))
    try:
        shutil.copytree(FIXTURES / "valid", base / "tree")
        for path in [base, *base.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        (base / "tree" / POINT / "r16").chmod(0)
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "checker.cli"]
        done = subprocess.run(
            [*command, "check", str(base / "tree"), "--format", "json", "--jobs", "1"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )
    finally:
        (base / "tree" / POINT / "r16").chmod(0o755)
        shutil.rmtree(base)
    assert "Traceback" not in done.stderr and done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    found = [(f["path"], f["found"]) for f in json.loads(done.stdout)["findings"] if f["code"] == "EP010"]
    assert found == [(f"{POINT}/r16", "folder cannot be listed (permission denied)")]


def test_rules_without_a_fixture_tree(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    curve = tree / POINT
    (curve / "point_16").mkdir()  # EP006: a stray folder in a curve
    _edit(curve / "r38" / "result_summary.json", lambda d: d.update(duration_ns=0))  # EP102
    _edit(curve / "r88" / "point.yaml", lambda d: d.update(dataset="cnn_dailymail"))  # EP106: 13,368 needed
    _edit(curve / "r88" / "result_summary.json", lambda d: d.update(n_samples_completed=13000, n_samples_issued=13000))
    code, report = check_json(tree)
    found = {(f["code"], f["path"], f["found"]) for f in report["findings"] if f["code"] in ("EP006", "EP102", "EP106")}
    completed = 13000
    assert found == {
        ("EP006", f"{POINT}/point_16", "point_16"),
        ("EP102", f"{POINT}/r38/result_summary.json", 0),
        ("EP106", f"{POINT}/r88/result_summary.json", completed),
    }
    assert code == 1


def test_c_max_not_above_ultra_low_stops_the_region_rules(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    for desc in (tree / POINT).glob("r*/system_desc.json"):
        _edit(desc, lambda d: d.update(max_supported_concurrency=16))
    for point in (tree / POINT).glob("r*/point.yaml"):
        _edit(point, lambda d: d.update(max_supported_concurrency=16))
    code, report = check_json(tree)
    ep2 = [f for f in report["findings"] if f["code"].startswith("EP2")]
    assert code == 1 and {(f["code"], f["found"]) for f in ep2} == {("EP205", 16), ("EP204", 1000)}  # elected != C_max


def test_regions_follow_the_reference_algorithm() -> None:
    rules = load("endpoints", "v1.0")
    r = regions.compute(1000, 100, rules)  # C_min is clamped to 32
    assert r is not None and (r.c_min, r.low_end, r.medium_end, r.margin_end) == (32, 42, 130, 1100)
    r = regions.compute(64, 32, rules)
    assert r is not None and (r.low_end, r.medium_end, r.margin_end) == (35, 42, 71)
    assert regions.compute(32, 1, rules) is None
    assert r.of(70) == "margin" and r.of(72) is None


def test_check_detects_the_endpoints_suite_and_round_without_options() -> None:
    result = CliRunner().invoke(main, ["check", str(FIXTURES / "valid" / "acme")], prog_name="subcheck")
    assert result.exit_code == 0 and "against v1.0 (point.yaml binds seed set A" in result.output


def _official(path: Path, out: Path) -> tuple[int, set[str]]:
    run = [sys.executable, "-c", "from submission_checker.cli import main; main()", "check", str(path), "-o", str(out)]
    done = subprocess.run(run, capture_output=True, text=True, timeout=300)
    results = json.loads(out.read_text())["results"]
    return done.returncode, {r["rule"] for r in results if r["severity"] == "error"}


_HAVE_OFFICIAL = importlib.util.find_spec("submission_checker") is not None


@pytest.mark.skipif(not _HAVE_OFFICIAL and os.environ.get("CI") != "true", reason="endpoints-submission-cli absent")
@pytest.mark.parametrize("name", ["valid", *sorted(EXPECTED)])
def test_official_submission_checker_agrees_or_the_difference_is_listed(name: str, tmp_path: Path) -> None:
    official_rc, official = _official(FIXTURES / name / "acme", tmp_path / "official.json")
    code, report = check_json(FIXTURES / name)
    if name in DISAGREEMENTS:
        assert (official_rc, code) == (0, 1), DISAGREEMENTS[name]
        return
    assert official_rc == code, f"{name}: official exit {official_rc} ({sorted(official)}), ours {code}"
    assert {OFFICIAL_TO_OURS[rule] for rule in official} == errors(report)


DAMAGE = {"empty": b"", "list": b"[1, 2]", "cut": b'{"a": ', "binary": b"\x00\xff\x00", "nan": b'{"n": NaN}'}


@pytest.mark.parametrize("name", ["point.yaml", "result_summary.json", "system_desc.json", "accuracy_results.json"])
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_point_file_is_an_error_finding_never_a_crash_or_a_pass(
    name: str, damage: str, tmp_path: Path
) -> None:
    tree = _copy(tmp_path)
    (tree / POINT / "r20" / name).write_bytes(DAMAGE[damage])
    code, report = check_json(tree)
    codes = errors(report)
    assert code == 1 and "EN001" not in codes
    # unreadable (EP003), or for YAML, which reads {"n": NaN} as a mapping of strings: fields missing (EP004)
    assert any(f["path"] == f"{POINT}/r20/{name}" for f in report["findings"] if f["code"] in ("EP003", "EP004"))


def test_short_steady_state_window_warns_as_the_official_checker_does(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    _edit(tree / POINT / "r256" / "point.yaml", lambda d: d["steady_state"]["window"].update(duration_s=1000.0))
    code, report = check_json(tree)
    found = [(f["code"], f["severity"], f["found"]) for f in report["findings"]]
    assert code == 0 and found == [("EP207", "warning", 1000000.0)]


def test_a_dedicated_offline_run_below_c_max_and_slower_is_flagged(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    _edit(tree / POINT / "r1000" / "point.yaml", lambda d: d.update(offline="none"))
    _edit(tree / POINT / "r768" / "point.yaml", lambda d: d.update(offline="dedicated"))
    code, report = check_json(tree)
    ep206 = [(f["severity"], f["expected"]) for f in report["findings"] if f["code"] == "EP206"]
    assert ep206[0] == ("warning", 1000) and len(ep206) == 2  # concurrency below C_max, TPS below 0.98 x C_max's


@pytest.mark.parametrize(
    ("layout", "found"),
    [
        ({"results/sys/model/r1": "dir"}, True),
        ({"results/sys/model/Offline": "dir"}, False),
        ({"results/sys/model/r1": "file"}, False),
        ({"results/sys/model/.r1": "dir"}, False),
        ({"results/sys/.model/r1": "dir"}, False),
        ({"results/sys/model/r1": "link-to-dir"}, True),
        ({"results/sys/model/loop": "loop", "results/sys/model/r2": "dir"}, True),
        ({"results/sys/model/gone": "dangling", "results/sys/model/r3": "dir"}, True),
        ({"results/sys/linked": "link-to-model"}, True),
    ],
)
def test_endpoints_detection_lists_folders_as_pathlib_would(
    tmp_path: Path, layout: dict[str, str], found: bool
) -> None:
    """``is_submission`` lists folders with ``scandir`` (no ``stat`` per entry) and must answer as the pathlib walk
    it replaced: links followed, hidden folders skipped, a dangling link or a link loop no folder.
    """
    from checker.endpoints.discovery import POINT_DIR, _dirs, is_submission

    root = tmp_path / "org"
    (root / "target" / "r7").mkdir(parents=True)
    for rel, kind in layout.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "dir":
            path.mkdir()
        elif kind == "file":
            path.write_text("x")
        elif kind == "link-to-dir":
            path.symlink_to(root / "target", target_is_directory=True)
        elif kind == "link-to-model":
            path.symlink_to(root / "target", target_is_directory=True)
        elif kind == "loop":
            path.symlink_to(path)
        elif kind == "dangling":
            path.symlink_to(root / "nowhere")
    results = root / "results"
    by_pathlib = any(POINT_DIR.match(p.name) for s in _dirs(results) for m in _dirs(s) for p in _dirs(m))
    assert is_submission(root) == by_pathlib == found


def test_endpoints_detection_in_a_folder_listed_but_not_searched_answers_as_pathlib(tmp_path: Path) -> None:
    """A model folder that can be listed but not searched (mode r--): the listing names ``r1``, but pathlib's
    ``is_dir`` needs a ``stat`` that the folder refuses, so it is no submission (run as an unprivileged user).
    """
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs setpriv and root to drop to an unprivileged user (root may search any folder)")
    base = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        base.chmod(0o755)
        model = base / "org" / "results" / "sys" / "model"
        (model / "r1").mkdir(parents=True)
        model.chmod(0o644)
        probe = (
            "import sys; from pathlib import Path; from checker.endpoints.discovery import POINT_DIR, _dirs, "
            "is_submission; root = Path(sys.argv[1]); results = root / 'results'; "
            "old = any(POINT_DIR.match(p.name) for s in _dirs(results) for m in _dirs(s) for p in _dirs(m)); "
            "print(is_submission(root), old)"
        )
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", probe]
        done = subprocess.run([*command, str(base / "org")], capture_output=True, text=True, timeout=60, cwd=REPO)
        assert done.stdout.split() == ["False", "False"], done.stderr[-2000:]
    finally:
        for path in base.rglob("*"):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(base)
