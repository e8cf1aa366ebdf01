"""rules/inference/v6.1.yaml against a copy of the official v6.1 constants (tests/data, numbers only): every
benchmark has its targets, scenarios, minimums, latency limits and audit (compliance) tests, and the Endpoints
settings are the official ones."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.rounds import Round

OFFICIAL = yaml.safe_load((Path(__file__).parent / "data" / "inference_v6.1_constants.yaml").read_text())
RULES = Round.load("inference", "v6.1")
KEYS = (
    "scenarios",
    "min_query_count",
    "performance_sample_count_min",
    "accuracy_sample_count",
    "dataset_size",
    "offline_min_samples_per_query",
    "latency_constraint_ns",
    "llm_p99_limits_ns",
    "compliance_tests",
    "result_key_override",
    "csv_units_override",
)


def _bounds(targets: list[dict[str, Any]] | None) -> list[tuple[str, float]]:
    return sorted((t["metric"].upper(), t.get("min", t.get("max"))) for t in targets or [])


def _same(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    return len(a) == len(b) and all(
        x[0] == y[0] and math.isclose(x[1], y[1], rel_tol=1e-9) for x, y in zip(a, b, strict=True)
    )


def test_the_round_has_exactly_the_official_benchmarks_and_seeds() -> None:
    assert sorted(RULES.models) == sorted(OFFICIAL["models"])
    assert RULES["seeds"] == OFFICIAL["seeds"]


def test_endpoints_results_are_allowed_for_the_official_benchmarks() -> None:
    assert sorted(RULES["endpoints"]["submission_allowed"]) == sorted(OFFICIAL["endpoints_allowed_models"])
    assert set(RULES["endpoints"]["submission_allowed"]) <= set(RULES.models)


@pytest.mark.parametrize("model", sorted(OFFICIAL["per_model"]))
def test_every_benchmark_has_the_official_targets_scenarios_minimums_and_audits(model: str) -> None:
    official, ours = OFFICIAL["per_model"][model], RULES.models[model]
    for group in ("accuracy_targets", "accuracy_upper_limits"):
        assert _same(_bounds(ours.get(group)), _bounds(official.get(group))), (model, group)
    by_scenario = official.get("accuracy_targets_by_scenario") or {}
    for scenario, targets in by_scenario.items():
        assert _same(_bounds(ours["accuracy_targets_by_scenario"][scenario]), _bounds(targets)), (model, scenario)
    for key in KEYS:
        want = official.get(key)
        if key == "scenarios":
            want = {k: v for k, v in (want or {}).items() if v}
            got = {k: v for k, v in (ours.get(key) or {}).items() if v}
        else:
            got = ours.get(key)
        assert got == want, (model, key)
