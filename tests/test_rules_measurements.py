"""ME rules: each with a passing and a failing input, built from mutated copies of real measurements folders.

Tests taking ``tree`` run on the real ConnectTechInc copy (v4.1, split layout) and on a copy of the bundled
demo tree (merged layout: ``measurements.json`` in the scenario folder).
"""

from __future__ import annotations

import pytest

from tests import trees
from tests.mutate import edit_json, findings
from tests.trees import Tree

tree = trees.tree  # each test taking ``tree`` runs on the real ConnectTechInc copy and on the demo copy


# --- ME001 measurements JSON missing ------------------------------------------------------------------------
def test_me001_pass_real_and_any_system_prefixed_name(tree: Tree) -> None:
    assert tree.findings("ME001") == []
    # split layout: any <system>*.json; merged layout: measurements.json in any case
    other = "Orin_TRT_gptj.json" if tree.real else "Measurements.JSON"
    tree.path(tree.measurements_json()).rename(tree.path(tree.measurements()) / other)
    assert tree.findings("ME001") == []


def test_me001_fail_json_removed(tree: Tree) -> None:
    tree.path(tree.measurements_json()).unlink()
    finding = tree.only("ME001")
    assert finding.path == tree.measurements()
    expected = "Orin_TRT_<scenario>.json" if tree.real else "measurements.json"
    assert (finding.expected, finding.found) == (expected, "missing")


def test_me001_fail_json_named_for_another_system(tree: Tree) -> None:
    other = "Xavier_Offline.json" if tree.real else f"{tree.system_name}_Offline.json"
    tree.path(tree.measurements_json()).rename(tree.path(tree.measurements()) / other)
    assert tree.only("ME001").path == tree.measurements()


# --- ME002 measurements JSON invalid ------------------------------------------------------------------------
def test_me002_pass_real_json(tree: Tree) -> None:
    assert tree.findings("ME002") == []


def test_me002_fail_unreadable(tree: Tree) -> None:
    path = tree.path(tree.measurements_json())
    value = "No" if tree.real else "no"
    assert f'"retraining": "{value}",' in path.read_text()
    path.write_text(path.read_text().replace(f'"retraining": "{value}",', f'"retraining": {value},'))
    finding = tree.only("ME002")
    assert finding.path == tree.measurements_json()
    assert finding.line == 3
    assert finding.expected == "a JSON object"
    assert str(finding.found).startswith("not valid JSON")


def test_me002_fail_field_missing(tree: Tree) -> None:
    edit_json(tree.path(tree.measurements_json()), drop=("retraining",))
    finding = tree.only("ME002")
    assert finding.path == tree.measurements_json()
    assert (finding.key, finding.expected, finding.found) == ("retraining", "retraining", "missing")


@pytest.mark.parametrize("value", ["", "  ", None])
def test_me002_fail_field_empty(tree: Tree, value: object) -> None:
    edit_json(tree.path(tree.measurements_json()), weight_data_types=value)
    finding = tree.only("ME002")
    assert (finding.key, finding.expected, finding.found) == ("weight_data_types", "a value", value)


# --- ME003 measurements files -------------------------------------------------------------------------------
def test_me003_pass_complete_and_mlperf_conf_optional_from_v50(tree: Tree) -> None:
    assert tree.findings("ME003") == []
    (tree.path(tree.measurements()) / "mlperf.conf").unlink()
    if tree.real:
        assert findings(tree.root, "ME003", "v5.1") == []
    else:
        assert tree.findings("ME003") == []  # the demo round builds on v6.1


def test_me003_fail_user_conf_missing(tree: Tree) -> None:
    (tree.path(tree.measurements()) / "user.conf").unlink()
    finding = tree.only("ME003")
    assert finding.path == f"{tree.measurements()}/user.conf"
    assert (finding.expected, finding.found) == ("user.conf", "missing")


def test_me003_fail_mlperf_conf_missing_v41_and_readme_empty(tree: Tree) -> None:
    readme = f"{tree.measurements('SingleStream')}/README.md"
    tree.path(readme).write_text("")
    conf = f"{tree.measurements()}/mlperf.conf"
    if tree.real:  # v4.1 requires mlperf.conf; the demo round (v6.1 on) does not
        tree.path(conf).unlink()
    found = {f.path: f for f in tree.findings("ME003")}
    assert set(found) == ({conf, readme} if tree.real else {readme})
    if tree.real:
        assert found[conf].found == "missing"
    assert (found[readme].expected, found[readme].found) == ("non-empty file", "0 bytes")
