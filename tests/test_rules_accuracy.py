"""AC rules: a passing and a failing input for each, built from mutated copies of real v4.1 results.

The helpers here are shared by the other audit-rule tests (compliance, power, division, fuzz).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from checker import context
from checker.context import RunOptions
from checker.discovery import discover
from checker.engine import Report, Selection, run_checks
from checker.findings import Finding, Severity
from checker.parsers import accuracy_log
from checker.registry import load_all
from checker.rounds import Round
from tests import trees
from tests.conftest import copy_submitter, require_data
from tests.mutate import move_division
from tests.trees import Tree

MARKER = ":::MLLOG "
CTT_GPTJ = "closed/ConnectTechInc/results/Orin_TRT/gptj-99"
tree = trees.tree  # each test taking ``tree`` runs on the real ConnectTechInc copy and on the demo copy
open_tree = trees.open_tree  # CTuning's open submission (bert-99) and the demo copy moved to open


# --- shared helpers ---------------------------------------------------------------------------------------
def clear_caches() -> None:
    """Parsed files are cached per run; tests rewrite files in place between runs, so forget them."""
    context.clear_caches()


def check(root: Path, select: str = "", *, published: bool = False, version: str = "v4.1") -> Report:
    load_all()
    clear_caches()
    rules = Round.load("inference", version)
    selection = Selection((select,) if select else (), ())
    return run_checks(
        discover(root, rules["layout"]), rules, jobs=1, selection=selection, options=RunOptions(published=published)
    )


def found(root: Path, code: str, *, published: bool = False) -> list[Finding]:
    return [f for f in check(root, code, published=published).findings if f.code == code]


def one(root: Path, code: str, *, published: bool = False) -> Finding:
    hits = found(root, code, published=published)
    assert len(hits) == 1, [f.to_record() for f in hits]
    return hits[0]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def set_record(path: Path, key: str, value: Any) -> None:
    """Rewrite the value of the first ``key`` record of a LoadGen detail log."""
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.startswith(MARKER) and f'"key": "{key}"' in line:
            record = json.loads(line[len(MARKER) :])
            record["value"] = value
            lines[number] = MARKER + json.dumps(record)
            break
    else:
        raise AssertionError(f"{key} not in {path}")
    path.write_text("\n".join(lines) + "\n")


def add_error_record(path: Path, message: str) -> None:
    record = {
        "key": "error_runtime",
        "value": message,
        "time_ms": 1.0,
        "namespace": "mlperf::logging",
        "event_type": "POINT_IN_TIME",
        "metadata": {"is_error": True, "is_warning": False, "file": "x.cc", "line_no": 1, "pid": 1, "tid": 1},
    }
    with path.open("a") as stream:
        stream.write(MARKER + json.dumps(record) + "\n")


def copy_as(tmp_path: Path, division: str, submitter: str, into_division: str) -> Path:
    """Copy a real submitter into another division folder (only the division-dependent rules are judged)."""
    source = require_data("inference-v4.1", division, submitter)
    root = tmp_path / "tree"
    shutil.copytree(source, root / into_division / submitter)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def _open_accuracy_files(tree: Tree) -> list[Path]:
    """Every accuracy.txt of the open tree's benchmark (bert-99 on CTuning's two systems; digits' four scenarios)."""
    paths = sorted(tree.root.glob(f"{tree.sub}/results/*/{tree.benchmark}/*/accuracy/accuracy.txt"))
    assert paths
    return paths


def accuracy_dir(root: Path, scenario: str = "Offline", base: str = CTT_GPTJ) -> Path:
    return root / base / scenario / "accuracy"


# --- AC001 metric missing -----------------------------------------------------------------------------------
def test_ac001_pass_all_metrics_present(tree: Tree) -> None:
    assert tree.findings("AC001") == []


def test_ac001_fail_closed_metric_missing(tree: Tree) -> None:
    old, new, metric = ("'rouge2'", "'rouge_two'", "ROUGE2") if tree.real else ("accuracy=", "accurate=", "acc")
    replace(tree.path(tree.results) / "Offline/accuracy/accuracy.txt", old, new)
    finding = tree.only("AC001")
    assert metric in finding.message and finding.fails


def test_ac001_open_needs_only_one_parsable_metric(open_tree: Tree) -> None:
    assert open_tree.findings("AC001") == []
    for path in _open_accuracy_files(open_tree):
        path.write_text("no metric here\nhash=abc\n")
    found = open_tree.findings("AC001")
    assert len(found) == (1 if open_tree.real else open_tree.results_count)  # one per result with that file
    for finding in found:
        assert finding.found == "none" and finding.fails
        assert open_tree.path(finding.path) in _open_accuracy_files(open_tree)


# --- AC002 below target ---------------------------------------------------------------------------------------
def test_ac002_pass_real_closed_result(tree: Tree) -> None:
    assert tree.findings("AC002") == []


def test_ac002_fail_below_target(tree: Tree) -> None:
    path = tree.path(tree.results) / "Offline/accuracy/accuracy.txt"
    text = path.read_text()
    label, stop = ("'rouge1': ", ",") if tree.real else ("accuracy=", "%")
    start = text.index(label) + len(label)
    end = text.index(stop, start)
    path.write_text(text[:start] + "40.0" + text[end:])
    finding = tree.only("AC002")
    expected = ("ROUGE1", 40.0, ">= 42.556635") if tree.real else ("acc", 40.0, ">= 97.02")
    assert (finding.key, finding.found, finding.expected) == expected


def test_ac002_open_reports_accuracy_only(open_tree: Tree) -> None:
    old, new = ('"f1": 90.', '"f1": 10.') if open_tree.real else ("accuracy=98.", "accuracy=10.")
    for path in _open_accuracy_files(open_tree):
        replace(path, old, new)
    assert open_tree.findings("AC002") == []
    if open_tree.demo:  # the same accuracy in the closed division is an AC002 error for each result
        move_division(open_tree.root, open_tree.submitter, "open", "closed")
        assert len(open_tree.findings("AC002")) == open_tree.results_count


# --- AC003 above upper limit -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["real", "demo"])
def test_ac003_pass_and_fail_tokens_per_sample(tmp_path: Path, kind: str) -> None:
    """Real: RedHat's llama2-70b-99.9 tokens per sample (upper limit 323.895).

    Demo: no published round gives digits an upper limit, so a test-made round caps ``acc`` at 101 % of the
    reference, 98.98 (98.000 passes, 99.5 does not).
    """
    if kind == "real":
        root = copy_submitter(tmp_path, "closed", "RedHat")
        assert found(root, "AC003") == []
        path = next(root.glob("closed/RedHat/results/*/llama2-70b-99.9/Offline/accuracy/accuracy.txt"))
        text = path.read_text()
        start = text.index("'tokens_per_sample': ") + len("'tokens_per_sample': ")
        end = text.index("}", start)
        path.write_text(text[:start] + "400.0" + text[end:])
        finding = one(root, "AC003")
        assert (finding.key, finding.found, finding.expected) == ("TOKENS_PER_SAMPLE", 400.0, "<= 323.895")
        return
    demo = trees.demo_tree(tmp_path)
    rules = tmp_path / "upper_limit.yaml"
    cap = "{digits: {accuracy_upper_limits: [{metric: acc, reference: 98.0, fraction: 1.01, max: 98.98}]}}"
    rules.write_text(f"extends: {trees.DEMO_RULES}\nmodels: {cap}\n")
    capped = dataclasses.replace(demo, rules_path=str(rules))
    assert capped.findings("AC003") == []
    accuracy = f"{demo.results}/Offline/accuracy/accuracy.txt"
    replace(demo.path(accuracy), "accuracy=98.000%", "accuracy=99.500%")
    finding = capped.only("AC003")
    assert (finding.path, finding.line) == (accuracy, 1)
    assert (finding.key, finding.found, finding.expected) == ("acc", 99.5, "<= 98.98")


# --- AC004 hash ---------------------------------------------------------------------------------------------
def test_ac004_pass_and_fail(tree: Tree) -> None:
    assert tree.findings("AC004") == []
    path = tree.path(tree.results) / "Offline/accuracy/accuracy.txt"
    path.write_text("\n".join(line for line in path.read_text().splitlines() if not line.startswith("hash=")))
    finding = tree.only("AC004")
    assert finding.found == "missing" and finding.path.endswith("Offline/accuracy/accuracy.txt")


# --- AC005 truncation -----------------------------------------------------------------------------------------
def test_ac005_pass_truncated_and_fail_full_log(tree: Tree) -> None:
    assert tree.findings("AC005") == []
    path = tree.path(tree.results) / "Offline/accuracy/mlperf_log_accuracy.json"
    entries = [{"seq_id": i, "qsl_idx": i, "data": "00" * 40} for i in range(400)]
    path.write_text(json.dumps(entries))
    finding = tree.only("AC005")
    assert finding.found == path.stat().st_size and finding.expected == "<= 10240 bytes"


def test_ac005_missing_log_is_a_notice_only_when_published(tree: Tree) -> None:
    (tree.path(tree.results) / "Offline/accuracy/mlperf_log_accuracy.json").unlink()
    assert tree.findings("AC005") == []  # ST011 reports the missing file
    finding = tree.only("AC005", published=True)
    assert finding.severity is Severity.NOTICE and "published" in finding.message


# --- AC006 dataset coverage -----------------------------------------------------------------------------------
def test_ac006_pass_truncated_log_and_full_qsl(tree: Tree) -> None:
    assert tree.findings("AC006") == []


def test_ac006_fail_untruncated_log_misses_samples(tree: Tree) -> None:
    path = tree.path(tree.results) / "Offline/accuracy/mlperf_log_accuracy.json"
    entries = ",\n".join(f'{{ "seq_id" : {i}, "qsl_idx" : {i}, "data" : "AB" }}' for i in range(100))
    path.write_text(f"[\n{entries}\n]\n")
    finding = tree.only("AC006")
    dataset = 13368 if tree.real else 450  # gptj-99's CNN/DailyMail validation set; the demo's held-out split
    assert (finding.found, finding.expected) == (100, f">= {dataset} distinct qsl_idx")


def test_ac006_fail_truncated_log_and_small_qsl(tree: Tree) -> None:
    # The v4.1 log has only the QSL size; LoadGen 5+ logs effective_accuracy_sample_count, which then decides.
    key = "qsl_reported_total_count" if tree.real else "effective_accuracy_sample_count"
    small = 1000 if tree.real else 100  # below the data set: 13368 articles; 450 digits
    set_record(tree.path(tree.accuracy_detail()), key, small)
    finding = tree.only("AC006")
    assert (finding.key, finding.found) == (key, small)
    assert finding.path == tree.accuracy_detail()


# --- AC007 mode -----------------------------------------------------------------------------------------------
def test_ac007_pass_and_fail(tree: Tree) -> None:
    assert tree.findings("AC007") == []
    set_record(tree.path(tree.accuracy_detail()), "effective_test_mode", "PerformanceOnly")
    finding = tree.only("AC007")
    assert (finding.expected, finding.found) == ("AccuracyOnly", "PerformanceOnly")


# --- AC008 LoadGen errors ----------------------------------------------------------------------------------------
def test_ac008_pass_and_fail(tree: Tree) -> None:
    assert tree.findings("AC008") == []
    add_error_record(tree.path(tree.accuracy_detail()), "Loadgen built with uncommitted changes!")
    finding = tree.only("AC008")
    assert finding.found == "Loadgen built with uncommitted changes!" and finding.line is not None


# --- AC009 extra files (SDXL images) ----------------------------------------------------------------------------
DEMO_IMAGES = ["12", "345", "6"]  # the test-made round's listed sample ids for digits


def _demo_with_images(tmp_path: Path, division: str) -> Tree:
    """The demo tree (in ``division``) against a test-made round that, like SDXL's, lists generated samples that
    must sit in accuracy/images/ (no published round lists any for digits)."""
    demo = trees.demo_tree(tmp_path / "tree")
    if division != "closed":
        move_division(demo.root, demo.submitter, "closed", division)
        demo = dataclasses.replace(demo, division=division)
    rules = tmp_path / "images.yaml"
    listed = json.dumps({"dir": "images", "ids": DEMO_IMAGES, "ext_hint": "png"})
    rules.write_text(f"extends: {trees.DEMO_RULES}\nmodels: {{digits: {{extra_accuracy_files: {listed}}}}}\n")
    return dataclasses.replace(demo, rules_path=str(rules))


def _sdxl_accuracy(root: Path, division: str) -> Path:
    return next(root.glob(f"{division}/CTuning/results/*/stable-diffusion-xl/*/accuracy"))


@pytest.mark.parametrize("kind", ["real", "demo"])
def test_ac009_closed_missing_images_is_an_error_and_a_notice_when_published(tmp_path: Path, kind: str) -> None:
    if kind == "demo":
        demo = _demo_with_images(tmp_path, "closed")
        errors = demo.findings("AC009")
        assert len(errors) == demo.results_count  # one per digits result
        for finding in errors:
            assert finding.fails and finding.found == "missing folder" and finding.path.endswith("/accuracy/images")
            assert finding.expected == [f"{i}.png" for i in DEMO_IMAGES]
        notices = demo.findings("AC009", published=True)
        assert len(notices) == demo.results_count
        assert all(n.severity is Severity.NOTICE and "published" in n.message for n in notices)
        return
    root = copy_as(tmp_path, "open", "CTuning", "closed")
    finding = one(root, "AC009")
    assert finding.fails and finding.found == "missing folder"
    notice = one(root, "AC009", published=True)
    assert notice.severity is Severity.NOTICE and "published" in notice.message


@pytest.mark.parametrize("kind", ["real", "demo"])
def test_ac009_pass_with_listed_images(tmp_path: Path, kind: str) -> None:
    if kind == "demo":
        demo = _demo_with_images(tmp_path, "closed")
        for accuracy in demo.root.glob(f"{demo.results}/*/accuracy"):
            (accuracy / "images").mkdir()
            for name in DEMO_IMAGES:
                (accuracy / "images" / f"{name}.png").write_bytes(b"\x89PNG")
        assert demo.findings("AC009") == []
        demo.path(f"{demo.results}/Offline/accuracy/images/{DEMO_IMAGES[0]}.png").unlink()
        finding = demo.only("AC009")
        assert (finding.path, finding.found) == (f"{demo.results}/Offline/accuracy/images", [DEMO_IMAGES[0]])
        return
    root = copy_as(tmp_path, "open", "CTuning", "closed")
    images = _sdxl_accuracy(root, "closed") / "images"
    images.mkdir()
    ids = Round.load("inference", "v4.1").models["stable-diffusion-xl"]["extra_accuracy_files"]["ids"]
    for name in ids:
        (images / f"{name}.png").write_bytes(b"\x89PNG")
    assert found(root, "AC009") == []
    (images / f"{ids[0]}.png").unlink()
    assert one(root, "AC009").found == [ids[0]]


@pytest.mark.parametrize("kind", ["real", "demo"])
def test_ac009_open_missing_images_is_a_warning(tmp_path: Path, kind: str) -> None:
    if kind == "demo":
        demo = _demo_with_images(tmp_path, "open")
        warnings = demo.findings("AC009")
        assert len(warnings) == demo.results_count
        assert all(f.severity is Severity.WARNING and not f.fails for f in warnings)
        return
    root = copy_submitter(tmp_path, "open", "CTuning")
    finding = one(root, "AC009")
    assert finding.severity is Severity.WARNING and not finding.fails


@pytest.mark.parametrize("text", ["[\n]\n", "", "not json", '[\n{ "seq_id" : 1, "qsl_idx" : 2, "data" : "A"'])
def test_accuracy_log_reader_never_raises(tmp_path: Path, text: str) -> None:
    path = tmp_path / "mlperf_log_accuracy.json"
    path.write_text(text)
    log = accuracy_log.parse_accuracy_log_text(path, text)
    assert log.records <= 1 and (log.complete is (text == "[\n]\n"))


@pytest.mark.parametrize(("division", "enforced"), [("network", True), ("open", False)])
def test_targets_apply_to_network_as_to_closed(tree: Tree, division: str, enforced: bool) -> None:
    path = tree.path(f"{tree.results}/Offline/accuracy/accuracy.txt")
    old, new = ("'rouge1': 42.9363", "'rouge1': 40.0") if tree.real else ("accuracy=98.000%", "accuracy=40.000%")
    replace(path, old, new)
    move_division(tree.root, tree.submitter, "closed", division)
    found = tree.findings("AC002")
    assert len(found) == (1 if enforced else 0)
    moved = f"{division}/{tree.submitter}/results/{tree.system_name}/{tree.benchmark}/Offline/accuracy/accuracy.txt"
    assert all(f.path == moved for f in found)
