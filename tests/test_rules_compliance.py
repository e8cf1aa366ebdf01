"""CO rules: a passing and a failing input for each, built from mutated copies of real v4.1 audits (Oracle)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from checker.checks import compliance as co
from checker.checks import compliance_verdicts as cv
from checker.context import ResultContext, RunOptions, clear_caches
from checker.discovery import discover
from checker.findings import Severity
from checker.rounds import Round
from tests import trees
from tests.conftest import copy_submitter, require_data
from tests.test_rules_accuracy import found, one, replace, set_record
from tests.trees import Tree

SYSTEM = "GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT"
RESULTS = f"closed/Oracle/results/{SYSTEM}"
COMPLIANCE = f"closed/Oracle/compliance/{SYSTEM}"


@pytest.fixture
def oracle(tmp_path: Path) -> Path:
    """Oracle's closed submission (resnet50 with TEST01/04/05, bert, retinanet, 3d-unet, gptj), writable."""
    return copy_submitter(tmp_path, "closed", "Oracle")


@pytest.fixture(params=["real", "demo"])
def audited(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    """Oracle's resnet50 (TEST01/04/05; skips without the data) and the bundled demo copy (TEST01/04, always runs)."""
    if request.param == "demo":
        return trees.demo_tree(tmp_path)
    root = copy_submitter(tmp_path, "closed", "Oracle")
    return Tree("real", root, "closed", "Oracle", SYSTEM, "resnet50", "v4.1", None)


def audit(root: Path, test: str, scenario: str = "Offline", model: str = "resnet50") -> Path:
    return root / COMPLIANCE / model / scenario / test


def detail(root: Path, test: str, scenario: str = "Offline") -> Path:
    return audit(root, test, scenario) / "performance" / "run_1" / "mlperf_log_detail.txt"


def _audit_detail(tree: Tree, test: str, scenario: str = "Offline") -> Path:
    return tree.path(tree.audit(test, scenario)) / "performance" / "run_1" / "mlperf_log_detail.txt"


def _fallback(tree: Tree, compliance: str) -> Path:
    """A TEST01 accuracy failure with the baseline/compliance fallback files; returns compliance_accuracy.txt.

    Real: Oracle's bert-99.9 Server audit already is one. Demo: the Offline TEST01 verify file is turned to TEST FAIL
    and the two files are written with the accuracy script's line (baseline 98.000 %, compliance as given).
    """
    if tree.real:
        return tree.path(f"{COMPLIANCE}/bert-99.9/Server/TEST01/accuracy/compliance_accuracy.txt")
    folder = tree.path(tree.audit("TEST01"))
    replace(folder / "verify_accuracy.txt", "TEST PASS", "TEST FAIL")
    (folder / "accuracy" / "baseline_accuracy.txt").write_text("accuracy=98.000%, good=441, total=450\n")
    path = folder / "accuracy" / "compliance_accuracy.txt"
    path.write_text(f"accuracy={compliance}%, good=239, total=245\n")
    return path


def in_paths(findings: list, fragment: str) -> list:  # type: ignore[type-arg]
    return [f for f in findings if fragment in f.path]


# --- CO001 / CO002 files ----------------------------------------------------------------------------------
def test_co001_pass_real_audits(audited: Tree) -> None:
    assert audited.findings("CO001") == []


def test_co001_fail_missing_test04(audited: Tree) -> None:
    shutil.rmtree(audited.path(audited.audit("TEST04")))
    finding = audited.only("CO001")
    assert finding.path.endswith(f"{audited.benchmark}/Offline/TEST04") and finding.fails


def test_co002_pass_and_fail(audited: Tree) -> None:
    assert audited.findings("CO002") == []
    (audited.path(audited.audit("TEST01")) / "verify_performance.txt").unlink()
    finding = audited.only("CO002")
    assert finding.expected == "verify_performance.txt" and finding.fails


def test_co002_missing_json_log_is_a_notice_when_published(audited: Tree) -> None:
    (audited.path(audited.audit("TEST01")) / "accuracy" / "mlperf_log_accuracy.json").unlink()
    assert audited.only("CO002").fails
    notice = audited.only("CO002", published=True)
    assert notice.severity is Severity.NOTICE and "published" in notice.message


def test_co002_fallback_files_required_when_test01_accuracy_fails(audited: Tree) -> None:
    replace(audited.path(audited.audit("TEST01")) / "verify_accuracy.txt", "TEST PASS", "TEST FAIL")
    assert {f.expected for f in audited.findings("CO002")} == {
        "accuracy/baseline_accuracy.txt",
        "accuracy/compliance_accuracy.txt",
    }


# --- CO003 audit performance rules -------------------------------------------------------------------------
def test_co003_pass_test05_uses_alternate_seeds(audited: Tree) -> None:
    # Real: Oracle's TEST05 runs use the round's alternate seeds; demo: TEST01/TEST04 use the round's seeds.
    assert audited.findings("CO003") == []


def test_co003_fail_audit_log_breaks_a_performance_rule(audited: Tree) -> None:
    seeds = audited.rules()["seeds"]
    seeded = "TEST05" if audited.real else "TEST01"  # TEST05 must not use the round's seeds; TEST01 must
    seed = seeds["qsl_rng_seed"] if audited.real else seeds["qsl_rng_seed"] + 1
    set_record(_audit_detail(audited, seeded), "effective_qsl_rng_seed", seed)
    set_record(_audit_detail(audited, "TEST04"), "result_validity", "INVALID")
    found = audited.findings("CO003")
    messages = sorted(f.message.split(" ", 4)[3] + " " + f.message.split()[0] for f in found)
    # The edited TEST04 detail log now also disagrees with its summary log (PE017).
    # PE020: the edited TEST04 log's criteria no longer agree with its INVALID verdict.
    assert messages == ["PE003 TEST04", f"PE006 {seeded}", "PE017 TEST04", "PE020 TEST04"]
    assert all(f.path.startswith(audited.audit(f.message.split()[0])) for f in found)


# --- CO004 audit.config applied ----------------------------------------------------------------------------
def test_co004_pass_real_audits(audited: Tree) -> None:
    assert audited.findings("CO004") == []


@pytest.mark.parametrize(
    ("test", "key", "value", "expected"),
    [
        ("TEST01", "effective_accuracy_log_sampling_target", 0, {"real": 4096, "demo": 256}),
        ("TEST01", "effective_accuracy_log_rng_seed", 0, 720381539243781796),
        ("TEST04", "effective_performance_issue_same", False, 1),
        ("TEST04", "effective_performance_issue_same_index", 0, 3),
    ],
)
def test_co004_fail_setting_not_in_log(audited: Tree, test: str, key: str, value: object, expected: object) -> None:
    set_record(_audit_detail(audited, test), key, value)
    finding = audited.only("CO004")
    wanted = expected[audited.kind] if isinstance(expected, dict) else expected
    assert (finding.key, finding.expected, finding.found) == (key, wanted, value)
    assert finding.path.startswith(audited.audit(test))


# --- CO005 verify_performance ---------------------------------------------------------------------------------
def test_co005_pass_and_fail(audited: Tree) -> None:
    assert audited.findings("CO005") == []
    test = "TEST05" if audited.real else "TEST04"  # the demo round audits with TEST01 and TEST04 only
    verify = audited.path(audited.audit(test)) / "verify_performance.txt"
    replace(verify, "TEST PASS", "TEST FAIL: Test score invalid")
    finding = audited.only("CO005")
    assert finding.found == "TEST FAIL: Test score invalid"


# --- CO006 / CO007 recomputed performance verdicts ---------------------------------------------------------------
def _scale(path: Path, key: str, factor: float) -> None:
    value = None
    for line in path.read_text().splitlines():
        if f'"key": "{key}"' in line:
            value = json.loads(line[len(":::MLLOG ") :])["value"]
            break
    assert value is not None
    set_record(path, key, value * factor)


def test_co006_pass_real_audit_agrees(audited: Tree) -> None:
    assert audited.findings("CO006") == []


def test_co006_fail_audit_score_out_of_band_but_verify_passes(audited: Tree) -> None:
    _scale(
        audited.path(audited.audit("TEST01")) / "performance/run_1/mlperf_log_detail.txt",
        "result_samples_per_second",
        1.5,
    )
    finding = audited.only("CO006")
    assert finding.fails and (finding.expected, finding.found) == ("TEST FAIL", "TEST PASS")
    assert "within ±10%" in finding.message


def test_co006_warning_when_logs_pass_but_verify_fails(audited: Tree) -> None:
    replace(audited.path(audited.audit("TEST01")) / "verify_performance.txt", "TEST PASS", "TEST FAIL")
    finding = audited.only("CO006")
    assert finding.severity is Severity.WARNING and finding.expected == "TEST PASS"


def test_co007_pass_and_fail_same_sample_run_too_fast(audited: Tree) -> None:
    assert audited.findings("CO007") == []
    log = audited.path(audited.audit("TEST04", "Server")) / "performance/run_1/mlperf_log_detail.txt"
    _scale(log, "result_completed_samples_per_sec", 1.2)
    finding = audited.only("CO007")
    assert finding.fails and "must be below +10%" in finding.message


@pytest.mark.parametrize("kind", ["real", "demo"])
def test_recomputed_verdicts_agree_with_every_real_verify_file(kind: str) -> None:
    """Every TEST01/TEST04 performance verdict recomputed from the logs equals the submitter's file: in the real v4.1
    sample (skips without the data) and in the demo tree (real LoadGen audit runs)."""
    if kind == "real":
        root, rules, expected = (
            require_data("inference-v4.1"),
            Round.load("inference", "v4.1"),
            {"TEST01": 41, "TEST04": 29},
        )
    else:
        root, rules = trees.VALID, Round.load("inference", "demo", trees.DEMO_RULES)
        expected = {"TEST01": 4, "TEST04": 4}  # digits in four scenarios, each audited by both tests
    counts = {"TEST01": 0, "TEST04": 0}
    for submitter in discover(root, rules["layout"]).submitters:
        for unit in submitter.results:
            ctx = ResultContext(rules, unit, RunOptions())
            for test in ("TEST01", "TEST04"):
                if test not in co.tests_for(ctx) or not (unit.compliance_dir / test).is_dir():
                    continue
                verdict = cv.recompute_performance(ctx, test)
                claimed = "TEST PASS" in (unit.compliance_dir / test / "verify_performance.txt").read_text()
                assert verdict is not None and verdict.passed == claimed, (unit.rel, test, verdict)
                counts[test] += 1
    assert counts == expected  # every closed result of the sample with these audits


# --- CO008 recomputed TEST01 accuracy ------------------------------------------------------------------------
def _visible_reference(tree: Tree) -> dict[int, str]:
    """The complete records the truncated Offline accuracy log still shows: qsl_idx -> response."""
    text = (tree.path(tree.results) / "Offline/accuracy/mlperf_log_accuracy.json").read_text()
    entries = {}
    for line in text.splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("{") and line.endswith("}"):
            record = json.loads(line)
            entries[record["qsl_idx"]] = record["data"]
    return entries


def _write_log(path: Path, entries: dict[int, str]) -> None:
    body = ",\n".join(
        f'{{ "seq_id" : {n}, "qsl_idx" : {idx}, "data" : "{data}" }}' for n, (idx, data) in enumerate(entries.items())
    )
    path.write_text(f"[\n{body}\n]\n")


def test_co008_truncated_logs_fall_back_to_verify_file_with_a_notice(audited: Tree) -> None:
    notices = in_paths(audited.findings("CO008"), f"{audited.benchmark}/Offline")
    assert len(notices) == 1 and notices[0].severity is Severity.NOTICE
    assert "verify_accuracy.txt says TEST PASS" in notices[0].message


def test_co008_fail_audited_responses_differ_while_verify_passes(audited: Tree) -> None:
    reference = _visible_reference(audited)
    changed = {idx: ("FF" + data[2:]) for idx, data in list(reference.items())[:20]}
    _write_log(audited.path(audited.audit("TEST01")) / "performance" / "run_1" / "mlperf_log_accuracy.json", changed)
    one_error = [f for f in audited.findings("CO008") if f.fails]
    assert len(one_error) == 1
    finding = one_error[0]
    assert "20 of 20 compared TEST01 responses differ" in finding.message
    assert (finding.expected, finding.found) == ("TEST FAIL", "TEST PASS")
    assert finding.path == f"{audited.audit('TEST01')}/verify_accuracy.txt"


def test_co008_pass_complete_logs_that_agree(audited: Tree) -> None:
    reference = dict(list(_visible_reference(audited).items())[:20])
    _write_log(audited.path(audited.results) / "Offline/accuracy/mlperf_log_accuracy.json", reference)
    _write_log(audited.path(audited.audit("TEST01")) / "performance" / "run_1" / "mlperf_log_accuracy.json", reference)
    assert in_paths(audited.findings("CO008"), f"{audited.benchmark}/Offline") == []


# --- CO009 TEST01 accuracy fallback ------------------------------------------------------------------------------
def test_co009_pass_real_fallback_within_delta(audited: Tree) -> None:
    # Real: bert-99.9 Server: verify says TEST FAIL (33 responses differ); the F1 delta is 0.0075 %, within 0.1 %.
    # Demo: a TEST FAIL with baseline 98.000 % and compliance 97.500 % (0.51 %, within the demo's 1 %).
    _fallback(audited, "97.500")
    assert audited.findings("CO009") == []


def test_co009_fail_delta_too_large(audited: Tree) -> None:
    path = _fallback(audited, "97.500")
    if audited.real:
        replace(path, '"f1": 28.65851378117268', '"f1": 27.0')
    else:
        replace(path, "accuracy=97.500%", "accuracy=90.000%")
    finding = audited.only("CO009")
    key, allowed = ("F1", "0.1") if audited.real else ("acc", "1")
    assert finding.key == key and finding.expected == f"<= {allowed} %"
    assert finding.path == str(path.relative_to(audited.root))
    if audited.demo:
        assert finding.found == round(abs(1 - 98.0 / 90.0) * 100, 6)


# --- CO010 TEST06 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["real", "demo"])
def test_co010_pass_and_fail(tmp_path: Path, kind: str) -> None:
    """Real: RedHat's llama2-70b-99.9 TEST06. Demo: a test-made round that also audits digits with TEST06, and a
    TEST06 verify file of the upstream script's four lines in the Offline result."""
    if kind == "real":
        root = copy_submitter(tmp_path, "closed", "RedHat")
        assert found(root, "CO010") == []
        verify = next(root.glob("closed/RedHat/compliance/*/llama2-70b-99.9/Offline/TEST06/verify_accuracy.txt"))
        replace(verify, "EOS check pass: True", "EOS check pass: False")
        finding = one(root, "CO010")
        assert finding.expected == ["EOS check pass: True"]
        return
    demo = trees.demo_tree(tmp_path / "tree")
    rules = tmp_path / "test06.yaml"
    rules.write_text(
        f"extends: {trees.DEMO_RULES}\nmodels: {{digits: {{compliance_tests: [TEST01, TEST04, TEST06]}}}}\n"
    )
    audited = dataclasses.replace(demo, rules_path=str(rules))
    verify = audited.path(audited.audit("TEST06")) / "verify_accuracy.txt"
    verify.parent.mkdir()
    verify.write_text(
        "First token check pass: Skipped\nEOS check pass: True\nSample length check pass: True\n"
        "TEST06 verification complete\n"
    )
    assert audited.findings("CO010") == []
    replace(verify, "EOS check pass: True", "EOS check pass: False")
    finding = audited.only("CO010")
    assert finding.path == f"{audited.audit('TEST06')}/verify_accuracy.txt"
    assert (finding.expected, finding.found) == (["EOS check pass: True"], "absent")


# --- CO011 TEST07/08/09 -------------------------------------------------------------------------------------------
def test_co011_pass_and_fail(audited: Tree) -> None:
    """No real round with TEST09 is in the sample: the benchmark is given TEST09 in a copy of the tree's rules."""
    base = audited.rules()
    data = json.loads(json.dumps(base.data))
    model = "resnet" if audited.real else audited.benchmark
    data["models"][model]["compliance_tests"] = ["TEST09"]
    rules = Round(base.suite, base.version, data)
    units = [u for s in discover(audited.root, rules["layout"]).submitters for u in s.results]
    unit = next(u for u in units if u.rel.endswith(f"{audited.benchmark}/Offline"))
    ctx = ResultContext(rules, unit, RunOptions())
    verify = unit.compliance_dir / "TEST09" / "verify_output_len.txt"
    assert verify.parent == audited.path(audited.audit("TEST09"))
    verify.parent.mkdir()
    verify.write_text("Mean output length 1300\nTEST PASS\n")
    assert list(cv.audit_verify_failed(ctx)) == []
    verify.write_text("Mean output length 900\nTEST FAIL\n")
    clear_caches()  # parsed files are kept for one run; this is a new one
    problems = list(cv.audit_verify_failed(ctx))
    assert len(problems) == 1 and problems[0].found == "TEST FAIL"
