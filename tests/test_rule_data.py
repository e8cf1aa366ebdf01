"""Rule data is fully declared: every rule-file key has a schema, every schema key is read by the code,
accuracy bounds agree with reference x fraction, and the results table's columns come from the rule files."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker import ruleset
from checker.rounds import Round
from checker.table import VERDICT_COLUMNS, columns

REPO = Path(__file__).resolve().parent.parent
RULESET_SCHEMAS = [
    "ruleset.inference.schema.json",
    "ruleset.training.schema.json",
    "ruleset.endpoints.schema.json",
]


def _property_names(node: Any) -> Iterator[str]:
    """Every key a schema declares by name (under ``properties``), at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            yield from _property_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _property_names(item)


def _bare_objects(node: Any, path: str = "$") -> Iterator[str]:
    """Places where a schema says only ``{"type": "object"}``: a block whose content nobody declared."""
    if isinstance(node, dict):
        if node.get("type") == "object" and not set(node) - {"type", "description"}:
            yield path
        for key, value in node.items():
            yield from _bare_objects(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _bare_objects(item, f"{path}[{i}]")


@cache
def _source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "checker").rglob("*.py")))


def _schema(name: str) -> dict[str, Any]:
    return json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", RULESET_SCHEMAS)
def test_every_schema_key_is_read_by_the_code(name: str) -> None:
    source = _source()
    unread = sorted({k for k in _property_names(_schema(name)) if not re.search(rf"[\"']{re.escape(k)}[\"']", source)})
    assert unread == [], f"{name}: keys no code reads (remove them or use them): {unread}"


@pytest.mark.parametrize("name", RULESET_SCHEMAS)
def test_every_block_has_a_real_schema(name: str) -> None:
    assert list(_bare_objects(_schema(name))) == []


def _every_rule_file() -> list[tuple[str, Path]]:
    files = [("inference", p) for p in sorted((REPO / "rules" / "inference").glob("*.yaml"))]
    files += [("training", p) for p in sorted((REPO / "rules" / "training").glob("*.yaml"))]
    files += [("endpoints", p) for p in sorted((REPO / "rules" / "endpoints").glob("*.yaml"))]
    return files + [("inference", REPO / "rules" / "demo" / "demo.yaml")]


@pytest.mark.parametrize(("suite", "path"), _every_rule_file(), ids=lambda v: getattr(v, "name", v))
def test_every_rule_file_key_is_in_the_schema(suite: str, path: Path) -> None:
    """The merged file validates, and additionalProperties: false makes an undeclared key a validation error."""
    ruleset.validate(ruleset.resolve_file(path), suite, path)


def test_an_undeclared_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text(f"extends: {REPO / 'rules' / 'inference' / 'v6.1'}\ncompliance: {{audit_config: {{TEST99: 1}}}}\n")
    with pytest.raises(ruleset.RulesetError) as info:
        ruleset.load("inference", "extra", str(path))
    assert info.value.json_path == "$.compliance.audit_config"


def _relative_bounds() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for version in ruleset.available_versions("inference"):
        for model, spec in ruleset.load("inference", version)["models"].items():
            lists = [spec.get("accuracy_targets", []), spec.get("accuracy_upper_limits", [])]
            lists += list(spec.get("accuracy_targets_by_scenario", {}).values())
            for targets in lists:
                for target in targets:
                    yield version, model, target


def test_accuracy_bounds_are_reference_times_fraction() -> None:
    checked = 0
    for version, model, target in _relative_bounds():
        if target.get("absolute"):
            assert "reference" not in target and "fraction" not in target, (version, model, target)
            continue
        bound = target["min"] if "min" in target else target["max"]
        assert math.isclose(bound, target["reference"] * target["fraction"], rel_tol=1e-9), (version, model, target)
        checked += 1
    assert checked > 100


def test_table_columns_come_from_the_rule_files() -> None:
    v41, v50, v60 = (Round.load("inference", v) for v in ("v4.1", "v5.0", "v6.0"))
    assert "weight_data_types" not in columns(v41) and "weight_data_types" in columns(v50)
    assert "total_accelerators" not in columns(v50)
    assert columns(v60).index("total_accelerators") == columns(v60).index("accelerators_per_node") + 1
    assert columns(v60)[-len(VERDICT_COLUMNS) - 1] == "design_power_watts"
    assert columns("v6.0") == columns(v60)  # the round name still works while callers move to the Round
    assert (v41["table"]["accuracy"], v50["table"]["accuracy"]) == ("first", "all")


def test_a_later_round_inherits_the_table(tmp_path: Path) -> None:
    """No comparison of round names: "v10.0" < "v5.0" as text, yet a v10.0 rule file gets v6.1's columns."""
    path = tmp_path / "v10.0.yaml"
    path.write_text(yaml.safe_dump({"extends": str(REPO / "rules" / "inference" / "v6.1"), "round": "v10.0"}))
    v10 = Round.load("inference", "v10.0", str(path))
    assert columns(v10) == columns(Round.load("inference", "v6.1"))
    assert columns("v10.0") == columns(v10)  # an unknown name: the newest round at or before it


def test_a_mistyped_bound_stops_loading(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO / "rules" / "inference" / "v4.1.yaml").read_text())
    data["models"]["resnet"]["accuracy_targets"][0]["min"] = 75.7
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ruleset.RulesetError) as info:
        ruleset.load("inference", "typo", str(path))
    assert info.value.json_path == "$.models.resnet.accuracy_targets[0]"


def test_training_count_fields_are_counts_in_the_schema() -> None:
    for version in ruleset.available_versions("training"):
        system = ruleset.load("training", version)["system"]
        schema = _schema(f"training/{system['schema']}")
        for name in system.get("count_fields", []):
            assert schema["properties"][name]["$ref"] in ("#/$defs/count", "#/$defs/positive_count"), (version, name)
