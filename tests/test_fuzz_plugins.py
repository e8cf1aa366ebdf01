"""A metric plugin or validator that misbehaves never makes a pass (AC011/AC012 fail closed).

The segmentation fixture's complete accuracy log is judged with metric plugins this file registers: one returns
NaN, infinity, a string or a non-MetricResult, one raises, and validators that raise or return junk. A probe
found that a NaN (or infinite) metric passed every comparison (``abs(claim - nan) > tolerance`` and
``nan < bound`` are both False); it is now an AC011 error naming the plugin.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.discovery import discover
from checker.engine import run_checks
from checker.plugins.api import MetricError, MetricResult, metric, validator
from checker.registry import load_all
from checker.rounds import Round
from tests.conftest import REPO

TREE = REPO / "fixtures" / "segmentation" / "valid"
BASE = REPO / "rules" / "demo" / "segmentation"
OFFLINE = "closed/SubcheckDemo/results/demo_cpu_numpy/segmentation/Offline"
LOG = f"{OFFLINE}/accuracy/mlperf_log_accuracy.json"
RETURNED: dict[str, Any] = {}  # what the probe metric returns, set per case


@metric("probe_metric")
def probe_metric(responses: Any, params: Any) -> Any:
    """Returns whatever the test put in RETURNED (or raises it)."""
    value = RETURNED["value"]
    if isinstance(value, BaseException):
        raise value
    return value


@validator("probe_raises", {"type": "object"})
def probe_raises(outcome: Any, params: Any) -> Any:
    """Raises: a crashing validator must fail the result."""
    raise RuntimeError("validator bug")


@validator("probe_junk", {"type": "object"})
def probe_junk(outcome: Any, params: Any) -> Any:
    """Returns something that is not an iterable of violations."""
    return 42


@validator("probe_passes", {"type": "object"})
def probe_passes(outcome: Any, params: Any) -> Any:
    """Never objects: the metric itself must be checked before any validator is trusted."""
    return iter(())


def rules_file(tmp_path: Path, validators: str) -> str:
    path = tmp_path / "probe.yaml"
    path.write_text(
        f"extends: {BASE}\nround: demo-segmentation\nmodels:\n  segmentation:\n    metrics:\n      dice:\n"
        f"        compute: probe_metric\n        tolerance: 0.0001\n        validators: {validators}\n"
    )
    return str(path)


def findings(
    tmp_path: Path,
    returned: Any,
    validators: str = "[{validator: min, min: 0.5}]",
    codes: tuple[str, ...] = ("AC011", "AC012"),
    tree: Path = TREE,
) -> list[Any]:
    load_all()
    RETURNED["value"] = returned
    rules_path = rules_file(tmp_path, validators)
    rules = Round.load("inference", "demo-segmentation", rules_path)
    report = run_checks(discover(tree, rules["layout"]), rules, rules_path=rules_path, jobs=1)
    assert not [f for f in report.findings if f.code in ("EN001", "EN005")]
    return [f for f in report.findings if f.code in codes and f.fails]


def test_the_value_the_log_gives_passes(tmp_path: Path) -> None:
    assert findings(tmp_path, MetricResult(0.85448, samples=24)) == []


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_metric_is_an_error(tmp_path: Path, value: float) -> None:
    """Before the fix: no finding at all (every comparison with NaN is False; inf only failed ``max``)."""
    found = findings(tmp_path, MetricResult(value, samples=24))
    assert [(f.code, f.path) for f in found] == [("AC011", LOG)]
    assert "not a finite number" in found[0].message and "probe_metric" in found[0].message


def test_a_non_finite_class_value_is_an_error(tmp_path: Path) -> None:
    found = findings(tmp_path, MetricResult(0.85448, per_class={"square": math.nan}, samples=24))
    assert [(f.code, f.path) for f in found] == [("AC011", LOG)]


@pytest.mark.parametrize(
    "returned",
    [None, 0.85448, "0.85448", MetricResult("0.85448", samples=24), MetricError("no ground truth"), KeyError("x")],
    ids=["none", "float", "str", "str-value", "metric-error", "crash"],
)
def test_a_metric_that_cannot_answer_is_an_error(tmp_path: Path, returned: Any) -> None:
    found = findings(tmp_path, returned)
    assert [(f.code, f.path) for f in found] == [("AC011", LOG)]


@pytest.mark.parametrize("name", ["probe_raises", "probe_junk"])
def test_a_validator_that_raises_or_returns_junk_fails_the_result(tmp_path: Path, name: str) -> None:
    found = findings(tmp_path, MetricResult(0.85448, samples=24), f"[{{validator: {name}}}]")
    assert [(f.code, f.key) for f in found] == [("AC012", "metrics.dice.validators[0]")]
    assert "raised" in found[0].message


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(st.floats(), st.integers(-(10**30), 10**30), st.text(max_size=4), st.none()),
    samples=st.integers(-5, 30),
)
def test_any_metric_value_is_judged_or_an_error(tmp_path: Path, value: Any, samples: int) -> None:
    """Whatever a plugin returns, the result passes only if the claim (0.85448) agrees with a finite value."""
    found = findings(tmp_path, MetricResult(value, samples=samples), "[{validator: probe_passes}]")
    agrees = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value - 0.85448) <= 0.0001
    )
    assert bool(found) != agrees, (value, [f.message for f in found])


def test_a_claim_missing_from_accuracy_txt_is_ac001(tmp_path: Path) -> None:
    """accuracy.txt without its ``dice=`` line: before the fix nothing asked for a computed metric's claim."""
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    txt = tree / OFFLINE / "accuracy" / "accuracy.txt"
    txt.write_text(txt.read_text().replace("dice=0.85448, ", ""))
    found = findings(tmp_path, MetricResult(0.85448, samples=24), codes=("AC001", "AC011", "AC012"), tree=tree)
    assert [(f.code, f.path) for f in found] == [("AC001", f"{OFFLINE}/accuracy/accuracy.txt")]
