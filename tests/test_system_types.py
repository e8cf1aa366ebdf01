"""Types enforced by the round's JSON Schemas: system descriptions and measurements, inference and training.

Each case mutates a real v4.1 copy into something that used to pass (or crash) and asserts the finding.
Inference cases taking ``tree`` also run on a copy of the bundled demo tree, so they run without the data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checker.training.run import check_training
from tests import trees
from tests.conftest import REPO, require_data
from tests.mutate import edit_json
from tests.trees import Tree

tree = trees.tree  # each test taking ``tree`` runs on the real ConnectTechInc copy and on the demo copy


# --- inference system description (SY003) ------------------------------------------------------------------
def test_sy003_pass_real_types(tree: Tree) -> None:
    edit_json(tree.path(tree.system), other_software_stack={"TensorRT": "10.1"}, host_network_card_count=2)
    assert tree.findings("SY003") == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("system_name", {"name": "Orin"}, "non-empty text"),
        ("framework", True, "non-empty text"),
        ("hw_notes", ["a"], "text"),
        ("number_of_nodes", 0, "positive integer"),
        ("number_of_nodes", "0", "positive integer"),
        ("host_processors_per_node", 1.5, "positive integer"),
        ("other_software_stack", 7, "non-empty text, or a non-empty list or mapping of software and versions"),
        ("is_network", "yes", "true or false"),
    ],
)
def test_sy003_fail_wrong_type(tree: Tree, key: str, value: object, expected: str) -> None:
    edit_json(tree.path(tree.system), **{key: value})
    finding = tree.only("SY003")
    assert (finding.path, finding.key, finding.expected, finding.found) == (tree.system, key, expected, value)
    assert finding.fails


def test_sy003_nan_count_is_reported_as_text(tree: Tree) -> None:
    path = tree.path(tree.system)
    data = json.loads(path.read_text())
    data["number_of_nodes"] = float("nan")
    path.write_text(json.dumps(data))  # Python writes the NaN token; a parser that rejects it makes it SY001
    found = tree.findings("SY003") + tree.findings("SY001")
    assert len(found) == 1 and found[0].path == tree.system
    assert found[0].code == "SY001" or (found[0].key, found[0].found) == ("number_of_nodes", "nan")


def test_sy003_leaves_blank_and_own_rule_fields_to_their_rules(tree: Tree) -> None:
    edit_json(tree.path(tree.system), framework="", submitter=[tree.submitter])
    assert tree.findings("SY003") == []
    assert tree.only("SY004").key == "framework"
    assert tree.only("SY007").key == "submitter"


# --- measurements JSON (ME002) ------------------------------------------------------------------------------
def test_me002_pass_real_types(tree: Tree) -> None:
    assert tree.findings("ME002") == []


@pytest.mark.parametrize("value", [1, ["fp16"], {"w": "fp16"}, False])
def test_me002_fail_wrong_type(tree: Tree, value: object) -> None:
    edit_json(tree.path(tree.measurements_json()), weight_data_types=value)
    finding = tree.only("ME002")
    assert (finding.path, finding.key, finding.expected, finding.found) == (
        tree.measurements_json(),
        "weight_data_types",
        "non-empty text",
        value,
    )


def test_me002_fail_nan(tree: Tree) -> None:
    path = tree.path(tree.measurements_json())
    old = '"retraining": "No"' if tree.real else '"retraining": "no"'
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, '"retraining": NaN'))
    finding = tree.only("ME002")
    assert finding.path == tree.measurements_json()
    # Either the parser rejects NaN (unreadable JSON) or the schema does (wrong type): never a pass.
    assert str(finding.found).startswith("not valid JSON") or (finding.key, finding.found) == ("retraining", "nan")


# --- training system description (TS002/TS003) ----------------------------------------------------------------
TRAINING_FIXTURE = REPO / "tests" / "training" / "data" / "v4.1"


@pytest.fixture(params=["real", "fixture"])
def training(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """(root, system JSON) of Krai's real v4.1 training submission (skips without the data) and of the bundled
    training fixture (Google gpt3, tests/training/data/v4.1), writable."""
    root = tmp_path / "training"
    if request.param == "real":
        shutil.copytree(require_data("training-v4.1", "Krai"), root / "Krai")
        system = KRAI_SYSTEM
    else:
        shutil.copytree(TRAINING_FIXTURE, root)
        system = "Google/systems/cloud-tpu-trillium-2048-maxtext.json"
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root, system


KRAI_SYSTEM = "Krai/systems/7920T_2xA5000_hdd.json"


def _codes(training: tuple[Path, str], code: str) -> dict[str | None, object]:
    root, system = training
    report = check_training(root, "v4.1")
    return {f.key: f for f in report.findings if f.code == code and f.path == system}


def test_training_real_description_passes(training: tuple[Path, str]) -> None:
    assert _codes(training, "TS002") == {} and _codes(training, "TS003") == {}


def test_training_submitter_list_is_a_finding_not_a_traceback(training: tuple[Path, str]) -> None:
    root, system = training
    submitter = system.split("/", 1)[0]
    edit_json(root / system, submitter=[submitter], framework=True, number_of_nodes=0)
    ts002, ts003 = _codes(training, "TS002"), _codes(training, "TS003")
    assert set(ts002) == {"submitter", "framework"}
    assert (ts002["submitter"].expected, ts002["submitter"].found) == ("non-empty text", [submitter])
    assert (ts002["framework"].expected, ts002["framework"].found) == ("text", True)
    assert set(ts003) == {"number_of_nodes"}
    assert (ts003["number_of_nodes"].expected, ts003["number_of_nodes"].found) == ("positive whole number", 0)
