"""Metrics computed from the outputs (AC011) and validators declared in YAML (AC012), on real LoadGen logs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checker.discovery import discover
from checker.engine import run_checks
from checker.plugins.api import MetricResult, Outcome
from checker.plugins.discovery import load_plugins
from checker.registry import REGISTRY, load_all
from checker.rounds import Round
from tests.conftest import DEMO_OFFLINE, DEMO_RULES

REPO = Path(__file__).resolve().parent.parent


def check(root: Path, rules_path: str = DEMO_RULES) -> list:
    load_all()
    rules = Round.load("inference", Path(rules_path).stem, rules_path)
    return run_checks(discover(root, rules["layout"]), rules, rules_path=rules_path).findings


@pytest.fixture(scope="module")
def full_digits_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete (untruncated) accuracy log of the digits SUT, from a real LoadGen AccuracyOnly run."""
    pytest.importorskip("mlperf_loadgen")
    from reference_sut.fixtures.scenario import loadgen_run

    conf = REPO / "fixtures" / "valid" / DEMO_OFFLINE / "user.conf"
    raw = loadgen_run("Offline", "AccuracyOnly", conf, tmp_path_factory.mktemp("acc") / "run")
    return raw / "mlperf_log_accuracy.json"


def digits_copy(tmp_path: Path, log: Path, raise_by: float) -> Path:
    """fixtures/valid's Offline result with its complete accuracy log and accuracy.txt raised by ``raise_by``."""
    from reference_sut.digits.accuracy import compute
    from reference_sut.fixtures.generate import derive

    root = derive(REPO / "fixtures" / "valid", tmp_path / "tree")
    acc = root / DEMO_OFFLINE / "accuracy"
    shutil.copyfile(log, acc / "mlperf_log_accuracy.json")
    result = compute(log)
    line = f"accuracy={result.accuracy + raise_by:.3f}%, good={result.good}, total={result.total}"
    (acc / "accuracy.txt").write_text(f"{line}\n\nhash={result.digest}\n")
    return root


@pytest.mark.slow
def test_digits_claim_raised_by_one_point_is_ac011(tmp_path: Path, full_digits_log: Path) -> None:
    findings = [f for f in check(digits_copy(tmp_path, full_digits_log, 1.0)) if f.code == "AC011"]
    assert len(findings) == 1
    (finding,) = findings
    assert finding.path == f"{DEMO_OFFLINE}/accuracy/accuracy.txt" and finding.line == 1 and finding.key == "acc"
    assert finding.found == 99.0 and finding.expected.startswith("98 (")


@pytest.mark.slow
def test_digits_honest_claim_on_the_complete_log_has_no_ac011(tmp_path: Path, full_digits_log: Path) -> None:
    codes = {f.code for f in check(digits_copy(tmp_path, full_digits_log, 0.0)) if f.fails}
    assert "AC011" not in codes and codes == {"AC005"}  # the untruncated log is AC005's, nothing else


def test_valid_digits_fixture_has_no_metric_finding() -> None:
    """The submitted (truncated) log is not enough to compute from: no AC011/AC012, and no EN004/EN005."""
    codes = {f.code for f in check(REPO / "fixtures" / "valid")}
    assert not codes & {"AC011", "AC012", "EN004", "EN005"}


def test_metric_that_cannot_compute_fails_closed(tmp_path: Path, full_digits_log: Path) -> None:
    root = digits_copy(tmp_path, full_digits_log, 0.0)
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        f"extends: {REPO / 'rules' / 'demo' / 'demo'}\n"
        "models:\n  digits:\n    metrics:\n      acc: {compute: top1_label, params: {labels: 'nowhere.mod:labels'},"
        " tolerance: 0.001}\n"
    )
    (finding,) = [f for f in check(root, str(rules)) if f.code == "AC011"]
    assert "nowhere.mod:labels cannot be loaded" in finding.message and finding.fails


OUT = MetricResult(0.85, {"1": 0.95, "2": 0.75}, 32)


@pytest.mark.parametrize(
    ("name", "params", "outcome", "bad"),
    [
        ("min_fraction", {"reference": 0.9, "fraction": 0.9}, Outcome("dice", 0.85, computed=OUT), False),
        ("min_fraction", {"reference": 0.9, "fraction": 0.99}, Outcome("dice", 0.85, computed=OUT), True),
        ("min", {"min": 0.8}, Outcome("dice", 0.85), False),
        ("min", {"min": 0.9}, Outcome("dice", 0.85), True),
        ("max", {"max": 0.9}, Outcome("dice", 0.85), False),
        ("max", {"max": 0.8}, Outcome("dice", 0.85), True),
        ("per_class_min", {"min": 0.7}, Outcome("dice", 0.85, computed=OUT), False),
        ("per_class_min", {"min": 0.8}, Outcome("dice", 0.85, computed=OUT), True),
        ("per_class_min", {"min": 0.5}, Outcome("dice", 0.85), True),  # needs the outputs: fails closed
        ("max_test01_spread", {"max": 0.01}, Outcome("dice", 0.85, audit=OUT, accuracy_on_audit=OUT), False),
        ("max_test01_spread", {"max": 0.01},
         Outcome("dice", 0.85, audit=MetricResult(0.80), accuracy_on_audit=OUT), True),
        ("max_test01_spread", {"max": 0.01}, Outcome("dice", 0.85), True),
    ],
)  # fmt: skip
def test_builtin_validators(name: str, params: dict, outcome: Outcome, bad: bool) -> None:
    from checker.plugins.api import VALIDATORS

    load_plugins()
    violations = list(VALIDATORS[name].func(outcome, params))
    assert bool(violations) == bad
    if name == "per_class_min" and bad and outcome.computed is not None:
        assert [v.found for v in violations] == [0.75] and "class 2" in violations[0].message


def test_new_codes_are_explained() -> None:
    load_all()
    for code in ("AC011", "AC012", "EN004", "EN005"):
        assert REGISTRY[code].doc and REGISTRY[code].fix
