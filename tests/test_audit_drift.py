"""AU050/AU051 (audit --history): a result outside the exponentially weighted band of its own series.

The band arithmetic is pinned on a small synthetic round with numbers worked out by hand; the rules run on real
v4.1 results (AMD's three MI300X systems): the sample as the earlier round, and a copy of it, unchanged (passes)
or with one throughput doubled and one ROUGE1 lowered (fails), as the audited round.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.audit import drift
from checker.audit.base import AuditContext, HistoryRound
from checker.audit.config import load_config
from checker.audit.frame import results_frame
from checker.rounds import Round
from tests.conftest import require_data
from tests.test_audit import DETAIL, OFFLINE_KEYS, copy_tree, of, run_audit, set_metric

AMD_8X = "closed/AMD/results/8xMI300X_2xEPYC-9374F"
AMD_1X = "closed/AMD/results/1xMI300X_2xEPYC-9374F"
FAST = f"{AMD_8X}/llama2-70b-99/Offline"  # its throughput doubled in the failing copy
LOW = f"{AMD_1X}/llama2-70b-99/Server"  # its ROUGE1 lowered from 44.5321 to 44.1 (still above the 43.99 target)


# --- the band arithmetic, on a synthetic round ----------------------------------------------------------------
def _row(location: str, value: float, rouge1: float, scenario: str = "Offline") -> dict[str, Any]:
    return {
        "Location": location, "Organization": location.split("/")[1], "Division": "closed", "Platform": "sys",
        "SystemName": location, "MlperfModel": "llama2-70b-99", "Model": "llama2-70b-99", "Scenario": scenario,
        "Result": value, "Units": "Tokens/s", "Accuracy": f"ROUGE1: {rouge1}", "Valid": True, "inferred": 0,
        "accelerator_model_name": "Test GPU", "number_of_nodes": 1, "accelerators_per_node": 1, "notes": "",
        "Findings": "", "has_power": False,
    }  # fmt: skip


def _frame(rules: Round, values: list[float], prefix: str) -> pd.DataFrame:
    """One result per value: throughput e**(value / 10) on one accelerator, ROUGE1 equal to the value."""
    rows = [_row(f"closed/{prefix}{i}/r", math.exp(v / 10), v) for i, v in enumerate(values)]
    return results_frame(rows, rules)


@pytest.fixture
def synthetic() -> AuditContext:
    """Three rounds of one series: v4.1 holds 10 and 12, v5.0 holds 11, the audited v5.1 holds 13 and 20.

    History rounds are given newest first: the audit orders them by version.
    """
    rules = Round.load("inference", "v5.1")
    config = copy.deepcopy(load_config())
    config["drift"].update(alpha=0.5, k=3.0, min_series=4, min_history=2)
    return AuditContext(
        root=Path("/synthetic"), tree=None, rules=rules, config=config,  # type: ignore[arg-type]
        frame=_frame(rules, [13, 20], "now"), systems=pd.DataFrame(),
        history=[HistoryRound("/r50", "v5.0", _frame(rules, [11], "v50-")),
                 HistoryRound("/r41", "v4.1", _frame(rules, [10, 12], "v41-"))],
    )  # fmt: skip


def test_band_arithmetic_exact_numbers(synthetic: AuditContext) -> None:
    """alpha 0.5 weighs v4.1, v5.0 and v5.1 as 1/4, 1/2 and 1; each point is left out of its own band.

    For the point 20: n = 1/4*2 + 1/2*1 + 1*1 = 2; sum = 1/4*22 + 1/2*11 + 13 = 24; sum of squares
    = 1/4*244 + 1/2*121 + 169 = 290.5; mean = 24/2 = 12; variance = 290.5/2 - 12**2 = 1.25.
    For the point 13: sum = 5.5 + 5.5 + 20 = 31, mean 15.5; squares 61 + 60.5 + 400 = 521.5, variance 20.5.
    """
    assert [label for label, _, _ in drift.rounds(synthetic)] == ["v4.1", "v5.0", "v5.1"]
    points = drift.accuracy_points(synthetic)
    band = drift.bands(points, [*drift.SERIES, "metric"], alpha=0.5, last=2)
    by_value = {points.loc[i, "raw"]: row for i, row in band.iterrows()}
    assert by_value[20.0]["mean"] == pytest.approx(12.0)
    assert by_value[20.0]["spread"] == pytest.approx(math.sqrt(1.25))
    assert by_value[13.0]["mean"] == pytest.approx(15.5)
    assert by_value[13.0]["spread"] == pytest.approx(math.sqrt(20.5))
    assert (by_value[20.0]["count"], by_value[20.0]["history"]) == (4, 3)


def test_synthetic_rules_flag_only_the_point_outside_its_band(synthetic: AuditContext) -> None:
    """AU051 on the linear accuracy; AU050 on log(throughput), whose logs are the same numbers divided by 10."""
    (accuracy,) = list(drift.accuracy_drift(synthetic))
    assert accuracy.path == "closed/now1/r" and accuracy.extra["value"] == 20.0
    assert accuracy.extra["mean"] == pytest.approx(12.0) and accuracy.extra["spread"] == pytest.approx(1.118034)
    assert accuracy.extra["band"] == pytest.approx([12 - 3 * math.sqrt(1.25), 12 + 3 * math.sqrt(1.25)])
    assert accuracy.extra["series"] == "closed llama2-70b-99 Offline on Test GPU"
    assert accuracy.extra["rounds"] == ["v4.1", "v5.0", "v5.1"] and accuracy.extra["metric"] == "ROUGE1"
    assert "ROUGE1 20 is 8 from the weighted mean 12 of its series closed llama2-70b-99 Offline" in accuracy.message
    (metric,) = list(drift.metric_drift(synthetic))
    spread = math.sqrt(1.25) / 10
    assert metric.path == "closed/now1/r" and metric.extra["value"] == pytest.approx(math.exp(2.0))
    assert metric.extra["mean"] == pytest.approx(math.exp(1.2)) and metric.extra["spread"] == pytest.approx(spread)
    assert metric.extra["band"] == pytest.approx([math.exp(1.2 - 3 * spread), math.exp(1.2 + 3 * spread)])
    assert metric.expected == "within mean ± 3.0·spread: 2.374 .. 4.643"


values = st.lists(st.floats(-1e3, 1e6, allow_nan=False, width=32), min_size=0, max_size=4)


@settings(max_examples=40, deadline=None)
@given(rounds=st.lists(values, min_size=1, max_size=3), current=st.lists(values.filter(bool), min_size=1, max_size=1),
       alpha=st.floats(0.05, 0.99), data=st.data())  # fmt: skip
def test_band_is_the_round_weighted_mean_and_variance_whatever_the_order(
    rounds: list[list[float]], current: list[list[float]], alpha: float, data: st.DataObject
) -> None:
    """An independent oracle: weights (1 - alpha) ** age per result, the judged point left out; shuffling the
    results within their rounds changes nothing."""
    all_rounds = [*rounds, current[0]]
    last = len(all_rounds) - 1
    rows = [{"key": "s", "round": r, "y": float(v)} for r, vs in enumerate(all_rounds) for v in vs]
    order = data.draw(st.permutations(range(len(rows))))
    points = pd.DataFrame([rows[i] for i in order])
    band = drift.bands(points, ["key"], alpha, last)
    for index, row in band.iterrows():
        others = points.drop(index)
        weights = (1 - alpha) ** (last - others["round"].to_numpy())
        mean = float(np.average(others["y"], weights=weights))
        variance = float(np.average((others["y"] - mean) ** 2, weights=weights))
        scale = 1 + float(points["y"].abs().max())
        assert row["mean"] == pytest.approx(mean, abs=1e-9 * scale)
        assert row["spread"] ** 2 == pytest.approx(variance, abs=1e-9 * scale**2)
        assert row["count"] == len(others) and row["history"] == int((others["round"] < last).sum())


def test_short_series_and_no_history_are_not_judged(synthetic: AuditContext) -> None:
    synthetic.config["drift"]["min_series"] = 5  # the band of each audited point holds 4 results
    assert not list(drift.accuracy_drift(synthetic)) and not list(drift.metric_drift(synthetic))
    synthetic.config["drift"]["min_series"] = 4
    synthetic.history = []
    synthetic.cache.clear()
    assert not list(drift.accuracy_drift(synthetic)) and not list(drift.metric_drift(synthetic))


# --- the rules on real v4.1 results ---------------------------------------------------------------------------
def _audit(tmp: Path, root: Path, html: bool = False) -> dict[str, Any]:
    history = require_data("inference-v4.1")
    extra = ("--html", str(tmp / "report.html")) if html else ()
    _, doc = run_audit(root, tmp, "--history", str(history), "--select", "AU05", *extra)
    return doc


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """AMD's v4.1 results audited against themselves, with one throughput doubled and one ROUGE1 lowered."""
    tmp = tmp_path_factory.mktemp("drift")
    root = copy_tree(require_data("inference-v4.1"), tmp / "tree", ("closed/AMD",))
    set_metric(root / FAST / DETAIL, OFFLINE_KEYS, scale=2.0)
    accuracy = root / LOW / "accuracy/accuracy.txt"
    text = accuracy.read_text(encoding="utf-8")
    accuracy.write_text(re.sub(r"'rouge1': [\d.]+", "'rouge1': 44.1", text), encoding="utf-8")
    return {"doc": _audit(tmp, root, html=True), "html": tmp / "report.html"}


def test_real_unchanged_copy_passes(tmp_path: Path) -> None:
    root = copy_tree(require_data("inference-v4.1"), tmp_path / "tree", ("closed/AMD",))
    doc = _audit(tmp_path, root)
    assert not [f for f in doc["findings"] if f["code"].startswith("AU05")]


def test_real_doubled_throughput_is_au050(failing: dict[str, Any]) -> None:
    (finding,) = of(failing["doc"], "AU050")
    assert finding["path"] == FAST and finding["severity"] == "review"
    extra = finding["extra"]
    assert extra["series"] == "closed llama2-70b-99 Offline on AMD Instinct MI300X-NPS1-SPX-192GB-750W"
    # the 8x system's 23514.8 tokens/s, doubled, over 8 accelerators; its peers run 2939-3063 per accelerator
    assert extra["value"] == pytest.approx(2 * 23514.8 / 8)
    assert 2900 < extra["mean"] < 3100 and extra["spread"] == pytest.approx(0.05)  # the floor: the peers agree
    assert extra["band"][0] < extra["mean"] < extra["band"][1] < extra["value"]
    assert (extra["count"], extra["history"]) == (5, 3)
    assert "1.9" in finding["message"] and "x the weighted mean" in finding["message"]


def test_real_lowered_accuracy_is_au051(failing: dict[str, Any]) -> None:
    (finding,) = of(failing["doc"], "AU051")
    assert finding["path"] == LOW and finding["extra"]["metric"] == "ROUGE1"
    assert finding["extra"]["value"] == 44.1 and finding["found"] == 44.1
    low, high = finding["extra"]["band"]
    assert 44.1 < low < 44.5321 < high
    assert finding["expected"].startswith("ROUGE1 within mean ± 3.0·spread")


def test_html_shows_the_series_and_band_of_a_flagged_result(failing: dict[str, Any]) -> None:
    html = failing["html"].read_text(encoding="utf-8")
    block = re.search(r'<div class="finding review" data-code="AU050">.*?</svg>', html, re.S)
    assert block, "the AU050 finding carries its chart"
    chart = block.group(0)
    assert 'class="chart drift"' in chart and 'class="band"' in chart and 'class="flagged"' in chart
    assert chart.count('class="point"') == 6  # three results in the earlier round, three in the audited one
    assert "llama2-70b-99 Offline on AMD Instinct MI300X" in chart
    assert re.search(r'data-code="AU051">.*?class="chart drift"', html, re.S)


def test_explain_au050_prints_its_doc() -> None:
    from click.testing import CliRunner

    from checker.cli import main

    result = CliRunner().invoke(main, ["explain", "AU050"])
    assert result.exit_code == 0 and "mean ± k·spread" in result.output and "drift.alpha" in result.output


def test_drift_thresholds_are_validated(tmp_path: Path) -> None:
    from checker.ruleset import RulesetError
    from tests.test_audit import test_config

    assert load_config()["drift"]["alpha"] == 0.5
    for alpha in (0, 1.0):  # alpha 1 would forget every earlier round
        with pytest.raises(RulesetError, match=r"\$\.drift\.alpha"):
            load_config(str(test_config(tmp_path, drift__alpha=alpha)))
