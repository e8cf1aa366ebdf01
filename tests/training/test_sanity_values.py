"""TX006 and the number converter in training: impossible counts, sizes, epochs and times are errors, never crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.findings import Severity
from checker.training.constraints import violation

from .harness import DELETE, edit, findings, logs, run, set_field

RUN0 = "Google/results/cloud-tpu-trillium-2048-maxtext/gpt3/result_0.txt"


def _tx006(tree: Path) -> list:
    report = run(tree)
    assert not [f for f in report.findings if f.code.startswith("EN")], report.findings
    return [f for f in findings(report, "TX006") if f.path.endswith("result_0.txt")]


def test_tx006_pass_real_values(tree: Path) -> None:
    assert findings(run(tree), "TX006") == []


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("global_batch_size", 0, "zero"),
        ("global_batch_size", -4096, "negative"),
        ("global_batch_size", 10**400, "too large"),
        ("global_batch_size", 4096.5, "not an integer"),
        ("eval_samples", 0, "zero"),
        ("eval_samples", "many", "not a number"),
        ("eval_samples", -1, "negative"),
        ("eval_samples", float("nan"), "NaN"),
    ],
)
def test_tx006_fail_impossible_hyperparameter(tree: Path, key: str, value: object, reason: str) -> None:
    edit(logs(tree), set_field(key, value))
    (finding,) = _tx006(tree)
    assert (finding.path, finding.key, finding.severity) == (RUN0, key, Severity.ERROR)
    assert reason in finding.message and finding.line is not None
    assert finding.expected == "an integer > 0"


def test_tx006_fail_huge_value_is_shown_short(tree: Path) -> None:
    edit(logs(tree), set_field("global_batch_size", 10**400))
    (finding,) = _tx006(tree)
    assert finding.found == "100000... (401 digits)"


@pytest.mark.parametrize(("value", "reason"), [(-1, "negative"), (float("nan"), "NaN"), (10**400, "too large")])
def test_tx006_fail_eval_epoch_num(tree: Path, value: object, reason: str) -> None:
    edit(logs(tree), set_field("eval_accuracy", value, "metadata.epoch_num", nth=None))
    (finding,) = _tx006(tree)
    assert (finding.key, finding.line) == ("eval_accuracy", 29)
    assert reason in finding.message and "metadata.epoch_num" in finding.message
    assert "more such line" in finding.message  # one finding per log and field, repeats counted
    assert finding.expected == "a finite number >= 0"


def test_tx006_fail_negative_time(tree: Path) -> None:
    edit(logs(tree), set_field("cache_clear", -5, "time_ms"))
    (finding,) = _tx006(tree)
    assert (finding.key, finding.line, finding.found) == ("cache_clear", 1, -5.0)


def test_tx006_leaves_what_the_rules_reject_to_tl005(tree: Path) -> None:
    # block_start epoch_count has its own rule (> 0): TL005 reports it, TX006 does not repeat it
    edit(logs(tree), set_field("block_start", 0, "metadata.epoch_count", nth=None))
    report = run(tree)
    assert findings(report, "TL005") and not findings(report, "TX006")


def test_missing_eval_metadata_is_an_error(tree: Path) -> None:
    edit(logs(tree), set_field("eval_accuracy", DELETE, "metadata.epoch_num", nth=None))
    got = findings(run(tree), "TL005")
    assert got and {f.severity for f in got} == {Severity.ERROR}
    assert any(f.key == "eval_accuracy" and "epoch_num" in f.message for f in got)


def test_impossible_epoch_does_not_break_the_table(tree: Path) -> None:
    edit(logs(tree), set_field("eval_accuracy", 10**400, "metadata.epoch_num", nth=-1))
    report = run(tree)
    assert len(report.rows) == 1 and not [f for f in report.findings if f.code.startswith("EN")]


@pytest.mark.parametrize(("value", "why"), [(float("inf"), "infinite"), (10**400, "too large"), (float("nan"), "NaN")])
def test_constraint_rejects_non_finite_numbers(value: object, why: str) -> None:
    # an infinite learning rate passes ">= 0" by arithmetic; it is still no value
    reason = violation({"ge": 0.0}, value)
    assert reason is not None and why in reason
    assert violation({"ge": 0.0}, 3e-05) is None


def test_tl004_infinite_value_breaks_a_bound(tree: Path) -> None:
    # closed division: gradient_accumulation_steps > 0, which Infinity satisfied before
    edit(logs(tree), set_field("gradient_accumulation_steps", float("inf")))
    got = [f for f in findings(run(tree), "TL004") if f.path == RUN0]
    assert [(f.key, f.found) for f in got] == [("gradient_accumulation_steps", float("inf"))]
    assert "infinite" in got[0].message
