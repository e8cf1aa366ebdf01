"""Round rule files: every round loads, extends works as documented, a broken file names its JSON path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from checker import ruleset
from checker.rounds import Round
from checker.ruleset import RulesetError, merge

REPO = Path(__file__).resolve().parent.parent


def test_every_round_loads_and_validates() -> None:
    versions = ruleset.available_versions("inference")
    assert versions == ["v4.1", "v5.0", "v5.1", "v6.0", "v6.1"]
    for version in versions:
        rules = ruleset.load("inference", version)
        assert rules["round"] == version
        assert rules["models"]


def test_later_rounds_extend_earlier_ones() -> None:
    for version, parent in (("v5.0", "v4.1"), ("v5.1", "v5.0"), ("v6.0", "v5.1"), ("v6.1", "v6.0")):
        raw = yaml.safe_load((REPO / "rules" / "inference" / f"{version}.yaml").read_text())
        assert raw["extends"] == parent


def test_round_numbers_come_from_the_rule_files() -> None:
    v41, v61 = Round.load("inference", "v4.1"), Round.load("inference", "v6.1")
    assert v41["seeds"]["qsl_rng_seed"] == 3066443479025735752
    assert v61["seeds"]["qsl_rng_seed"] == 2085463073848966840
    assert "mixtral-8x7b" in v41.models and "mixtral-8x7b" not in v61.models
    assert v41.models["resnet"]["latency_constraint_ns"]["Server"] == 15000000
    assert (
        v61.models["llama3.1-8b"]["llm_p99_limits_ns"]["Interactive"]["ttft"]
        < (v61.models["llama3.1-8b"]["llm_p99_limits_ns"]["Server"]["ttft"])
    )


def test_merge_semantics() -> None:
    parent = {"a": {"x": 1, "y": [1, 2]}, "b": 2, "c": 3}
    child = {"a": {"y": [3]}, "b": None, "d": 4}
    assert merge(parent, child) == {"a": {"x": 1, "y": [3]}, "c": 3, "d": 4}
    # neither input changes: merged mappings are new ones, not the parent's edited in place
    assert parent == {"a": {"x": 1, "y": [1, 2]}, "b": 2, "c": 3}
    assert child == {"a": {"y": [3]}, "b": None, "d": 4}


def test_every_round_resolves_as_a_deep_copying_merge_did() -> None:
    """The merge takes unmerged values over without copying them: every bundled round resolves to the same data."""
    import copy

    from checker import ruleset

    def copying(parent: object, child: object) -> object:
        if not isinstance(parent, dict) or not isinstance(child, dict):
            return copy.deepcopy(child)
        out = copy.deepcopy(parent)
        for key, value in child.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = copying(out[key], value) if key in out else copy.deepcopy(value)
        return out

    def resolved_by(how: object, path: Path) -> object:
        data = ruleset._read_yaml(path)
        parent = data.pop("extends", None)
        if parent is None:
            return data
        return how(resolved_by(how, path.parent / f"{parent}.yaml"), data)  # type: ignore[operator]

    for suite in ("inference", "training", "endpoints"):
        for version in ruleset.available_versions(suite):
            path = ruleset.data_dir("rules") / suite / f"{version}.yaml"
            assert ruleset.resolve_file(path) == resolved_by(copying, path), (suite, version)


def test_broken_rule_file_reports_json_path(tmp_path: Path) -> None:
    good = yaml.safe_load((REPO / "rules" / "inference" / "v4.1.yaml").read_text())
    good["models"]["resnet"]["min_query_count"]["Offline"] = "many"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(good))
    with pytest.raises(RulesetError) as info:
        ruleset.load("inference", "broken", str(path))
    assert info.value.json_path == "$.models.resnet.min_query_count.Offline"


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b\n")
    (tmp_path / "b.yaml").write_text("extends: a\n")
    with pytest.raises(RulesetError, match="cycle"):
        ruleset.resolve_file(tmp_path / "a.yaml")


def test_system_schema_matches_rule_file() -> None:
    for version in ruleset.available_versions("inference"):
        rules = ruleset.load("inference", version)
        schema = json.loads((REPO / "schemas" / rules["system_description"]["schema"]).read_text())
        assert set(rules["system_description"]["required_fields"]) <= set(schema["properties"])
        for name in rules["system_description"]["integer_fields"]:
            assert schema["properties"][name]["$ref"] in ("#/$defs/count", "#/$defs/positive_count")


def test_benchmark_resolution() -> None:
    rules = Round.load("inference", "v4.1")
    assert rules.resolve_benchmark("resnet50") == "resnet"
    assert rules.resolve_benchmark("obert-large-base-none-bert-99") == "bert-99"
    assert rules.resolve_benchmark("neuralmagic_x", {"neuralmagic_x": "llama2-70b-99.9"}) == "llama2-70b-99.9"
    assert rules.resolve_benchmark("made-up") is None
    assert rules.canonical_scenario("offline") == "Offline"
    assert rules.canonical_scenario("Offline") == "Offline"
    assert rules.canonical_scenario("batch") is None
