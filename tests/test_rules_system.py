"""SY rules: each with a passing and a failing input, built from mutated copies of real system descriptions.

Tests taking ``tree`` run on the real ConnectTechInc copy (v4.1) and on a copy of the bundled demo tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.discovery import discover
from checker.engine import Selection, run_checks
from checker.findings import Severity
from checker.registry import load_all
from tests import trees
from tests.conftest import copy_submitter
from tests.mutate import copy_system, edit_json, move_division, only
from tests.trees import Tree

tree = trees.tree  # each test taking ``tree`` runs on the real ConnectTechInc copy and on the demo copy


# --- SY001 unreadable ------------------------------------------------------------------------------------
def test_sy001_pass_real_description(tree: Tree) -> None:
    assert tree.findings("SY001") == []


def test_sy001_fail_truncated_json(tree: Tree) -> None:
    path = tree.path(tree.system)
    text = path.read_text()
    path.write_text(text[: text.index('"framework"')])
    finding = tree.only("SY001")
    assert finding.path == tree.system
    assert finding.expected == "a JSON object"
    assert str(finding.found).startswith("not valid JSON")
    assert finding.line == text[: text.index('"framework"')].count("\n") + 1


def test_sy001_fail_top_level_list_and_bad_bytes(tree: Tree) -> None:
    path = tree.path(tree.system)
    original = path.read_bytes()
    path.write_text("[" + original.decode() + "]")
    finding = tree.only("SY001")
    assert finding.found == "top level is a JSON list, expected an object"
    needle, cut = (b"Orin 64G", 5) if tree.real else (b"numpy (reference", 6)  # a bad byte after the cut
    path.write_bytes(original.replace(needle, needle[:cut] + b"\xff" + needle[cut:]))
    finding = tree.only("SY001")
    assert finding.found == f"not valid UTF-8 (first bad byte at offset {original.index(needle) + cut})"


# --- SY002 required field missing ---------------------------------------------------------------------------
def test_sy002_pass_all_fields(tree: Tree) -> None:
    assert tree.findings("SY002") == []


def test_sy002_fail_field_dropped(tree: Tree) -> None:
    edit_json(tree.path(tree.system), drop=("framework", "hw_notes"))
    found = {f.key: f for f in tree.findings("SY002")}
    assert set(found) == {"framework", "hw_notes"}
    assert found["framework"].path == tree.system
    assert (found["framework"].expected, found["framework"].found) == ("framework", "missing")


# --- SY003 count field not an integer -----------------------------------------------------------------------
def test_sy003_pass_integers_and_digit_strings(tree: Tree) -> None:
    edit_json(tree.path(tree.system), accelerators_per_node="1", host_processor_core_count=" 12 ")
    assert tree.findings("SY003") == []


@pytest.mark.parametrize("value", ["2x", "N/A", 1.5, -1, True, [1]])
def test_sy003_fail_not_a_count(tree: Tree, value: object) -> None:
    edit_json(tree.path(tree.system), accelerators_per_node=value)
    finding = tree.only("SY003")
    assert finding.path == tree.system
    assert (finding.key, finding.expected, finding.found) == ("accelerators_per_node", "integer", value)


def test_sy003_pin_amd_turin_core_count_na(tmp_path: Path) -> None:
    """Deliberate difference: the official checker accepts 'N/A' here; the totals it feeds become meaningless."""
    root = copy_system(tmp_path, "closed", "AMD", "8xMI300X_2xEPYC-TURIN")
    finding = only(root, "SY003")
    assert finding.path == "closed/AMD/systems/8xMI300X_2xEPYC-TURIN.json"
    assert (finding.key, finding.found) == ("host_processor_core_count", "N/A")
    assert finding.fails


# --- SY004 empty field --------------------------------------------------------------------------------------
def test_sy004_pass_optional_fields_may_be_empty(tree: Tree) -> None:
    # The real description leaves accelerator_frequency, host_processor_caches, ... empty: allowed.
    assert tree.findings("SY004") == []


@pytest.mark.parametrize("value", ["", "   ", None])
def test_sy004_fail_required_value_blank(tree: Tree, value: object) -> None:
    edit_json(tree.path(tree.system), framework=value)
    finding = tree.only("SY004")
    assert finding.path == tree.system
    assert (finding.key, finding.expected, finding.found) == ("framework", "a value", value)


# --- SY005 status -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["available", "Preview", " RDI "])
def test_sy005_pass_categories_any_case(tree: Tree, value: str) -> None:
    edit_json(tree.path(tree.system), status=value)
    assert tree.findings("SY005") == []


@pytest.mark.parametrize("value", ["released", "", 1])
def test_sy005_fail_not_a_category(tree: Tree, value: object) -> None:
    edit_json(tree.path(tree.system), status=value)
    finding = tree.only("SY005")
    assert finding.path == tree.system
    assert (finding.key, finding.found) == ("status", value)
    assert finding.expected == ["available", "preview", "rdi"]


# --- SY006 system type --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["edge", "datacenter", "datacenter,edge", "edge,datacenter"])
def test_sy006_pass_exact_strings(tree: Tree, value: str) -> None:
    edit_json(tree.path(tree.system), system_type=value)
    assert tree.findings("SY006") == []


@pytest.mark.parametrize("value", ["Edge", "edge, datacenter", "mobile", ["edge"]])
def test_sy006_fail_other_values(tree: Tree, value: object) -> None:
    edit_json(tree.path(tree.system), system_type=value)
    finding = tree.only("SY006")
    assert finding.path == tree.system
    assert (finding.key, finding.found) == ("system_type", value)
    assert finding.expected == sorted(tree.rules()["system_types"])


# --- SY007 submitter ----------------------------------------------------------------------------------------
def test_sy007_pass_case_insensitive(tree: Tree) -> None:
    edit_json(tree.path(tree.system), submitter=tree.submitter.lower())
    assert tree.findings("SY007") == []


def test_sy007_fail_other_submitter(tree: Tree) -> None:
    edit_json(tree.path(tree.system), submitter="Connect Tech")
    finding = tree.only("SY007")
    assert finding.path == tree.system
    assert (finding.key, finding.expected, finding.found) == ("submitter", tree.submitter, "Connect Tech")


# --- SY008 division -----------------------------------------------------------------------------------------
def test_sy008_pass_matching_division(tree: Tree) -> None:
    assert tree.findings("SY008") == []
    move_division(tree.root, tree.submitter, "closed", "open")  # also rewrites "division"
    assert tree.findings("SY008") == []


def test_sy008_fail_division_mismatch(tree: Tree) -> None:
    edit_json(tree.path(tree.system), division="open")
    finding = tree.only("SY008")
    assert finding.path == tree.system
    assert (finding.key, finding.expected, finding.found) == ("division", "closed", "open")


# --- SY009 network mode -------------------------------------------------------------------------------------
def _network_fields(tree: Tree) -> list[str]:
    return tree.rules()["system_description"]["network_fields"]


def test_sy009_pass_closed_and_complete_network_system(tree: Tree) -> None:
    edit_json(tree.path(tree.system), is_network=False)
    assert tree.findings("SY009") == []
    move_division(tree.root, tree.submitter, "closed", "network")
    system = tree.path(f"network/{tree.submitter}/systems/{tree.system_name}.json")
    edit_json(system, **{**{name: "1" for name in _network_fields(tree)}, "is_network": "true"})
    assert tree.findings("SY009") == []


def test_sy009_fail_closed_system_flagged_network(tree: Tree) -> None:
    edit_json(tree.path(tree.system), is_network=True)
    found = tree.findings("SY009")
    flag = [f for f in found if f.key == "is_network"]
    assert len(flag) == 1 and flag[0].path == tree.system
    assert (flag[0].expected, flag[0].found) == ("false", True)
    missing = {f.key for f in found if f.found == "missing"}
    assert missing == set(_network_fields(tree)) - {"is_network"}


def test_sy009_fail_network_division_without_flag(tree: Tree) -> None:
    move_division(tree.root, tree.submitter, "closed", "network")
    finding = tree.only("SY009")
    assert finding.path == f"network/{tree.submitter}/systems/{tree.system_name}.json"
    assert (finding.key, finding.expected, finding.found) == ("is_network", "true", None)


# --- SY010 unknown field (notice) ---------------------------------------------------------------------------
def test_sy010_pass_known_fields(tree: Tree) -> None:
    assert tree.findings("SY010") == []


def test_sy010_fail_misspelt_field_is_notice(tree: Tree) -> None:
    edit_json(tree.path(tree.system), acelerator_model_name="Orin")
    finding = tree.only("SY010")
    assert finding.path == tree.system
    assert (finding.key, finding.found) == ("acelerator_model_name", "acelerator_model_name")
    assert finding.severity is Severity.NOTICE and not finding.fails


def test_sy010_real_redhat_extra_field(tmp_path: Path) -> None:
    root = copy_submitter(tmp_path, "closed", "RedHat")
    finding = only(root, "SY010")
    assert finding.path == "closed/RedHat/systems/L40S-RedHat-OpenShift.json"
    assert finding.key == "host_processor_vcpu_count"


def test_second_run_in_process_sees_edited_description(tree: Tree) -> None:
    load_all()
    rules = tree.rules()

    def sy003() -> list[str]:
        report = run_checks(
            discover(tree.root, rules["layout"]),
            rules,
            jobs=1,
            selection=Selection(("SY003",), ()),
            rules_path=tree.rules_path,
        )
        return [f.code for f in report.findings]

    assert sy003() == []
    edit_json(tree.path(tree.system), number_of_nodes="N/A")
    assert sy003() == ["SY003"]
