"""SY rules: each with a passing and a failing input, built from mutated copies of real system descriptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.discovery import discover
from checker.engine import Selection, run_checks
from checker.findings import Severity
from checker.registry import load_all
from checker.rounds import Round
from tests.conftest import copy_submitter
from tests.mutate import CTT_SYSTEM, copy_system, edit_json, findings, move_division, only


# --- SY001 unreadable ------------------------------------------------------------------------------------
def test_sy001_pass_real_description(ctt_tree: Path) -> None:
    assert findings(ctt_tree, "SY001") == []


def test_sy001_fail_truncated_json(ctt_tree: Path) -> None:
    path = ctt_tree / CTT_SYSTEM
    text = path.read_text()
    path.write_text(text[: text.index('"framework"')])
    finding = only(ctt_tree, "SY001")
    assert finding.path == CTT_SYSTEM
    assert finding.expected == "a JSON object"
    assert str(finding.found).startswith("not valid JSON")
    assert finding.line == text[: text.index('"framework"')].count("\n") + 1


def test_sy001_fail_top_level_list_and_bad_bytes(ctt_tree: Path) -> None:
    path = ctt_tree / CTT_SYSTEM
    original = path.read_bytes()
    path.write_text("[" + original.decode() + "]")
    finding = only(ctt_tree, "SY001")
    assert finding.found == "top level is a JSON list, expected an object"
    path.write_bytes(original.replace(b"Orin 64G", b"Orin \xff64G"))
    finding = only(ctt_tree, "SY001")
    assert finding.found == f"not valid UTF-8 (first bad byte at offset {original.index(b'Orin 64G') + 5})"


# --- SY002 required field missing ---------------------------------------------------------------------------
def test_sy002_pass_all_fields(ctt_tree: Path) -> None:
    assert findings(ctt_tree, "SY002") == []


def test_sy002_fail_field_dropped(ctt_tree: Path) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, drop=("framework", "hw_notes"))
    found = {f.key: f for f in findings(ctt_tree, "SY002")}
    assert set(found) == {"framework", "hw_notes"}
    assert found["framework"].path == CTT_SYSTEM
    assert (found["framework"].expected, found["framework"].found) == ("framework", "missing")


# --- SY003 count field not an integer -----------------------------------------------------------------------
def test_sy003_pass_integers_and_digit_strings(ctt_tree: Path) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, accelerators_per_node="1", host_processor_core_count=" 12 ")
    assert findings(ctt_tree, "SY003") == []


@pytest.mark.parametrize("value", ["2x", "N/A", 1.5, -1, True, [1]])
def test_sy003_fail_not_a_count(ctt_tree: Path, value: object) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, accelerators_per_node=value)
    finding = only(ctt_tree, "SY003")
    assert finding.path == CTT_SYSTEM
    assert (finding.key, finding.expected, finding.found) == ("accelerators_per_node", "integer", value)


def test_sy003_pin_amd_turin_core_count_na(tmp_path: Path) -> None:
    """Deliberate difference: the official checker accepts 'N/A' here; the totals it feeds become meaningless."""
    root = copy_system(tmp_path, "closed", "AMD", "8xMI300X_2xEPYC-TURIN")
    finding = only(root, "SY003")
    assert finding.path == "closed/AMD/systems/8xMI300X_2xEPYC-TURIN.json"
    assert (finding.key, finding.found) == ("host_processor_core_count", "N/A")
    assert finding.fails


# --- SY004 empty field --------------------------------------------------------------------------------------
def test_sy004_pass_optional_fields_may_be_empty(ctt_tree: Path) -> None:
    # The real description leaves accelerator_frequency, host_processor_caches, ... empty: allowed.
    assert findings(ctt_tree, "SY004") == []


@pytest.mark.parametrize("value", ["", "   ", None])
def test_sy004_fail_required_value_blank(ctt_tree: Path, value: object) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, framework=value)
    finding = only(ctt_tree, "SY004")
    assert finding.path == CTT_SYSTEM
    assert (finding.key, finding.expected, finding.found) == ("framework", "a value", value)


# --- SY005 status -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["available", "Preview", " RDI "])
def test_sy005_pass_categories_any_case(ctt_tree: Path, value: str) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, status=value)
    assert findings(ctt_tree, "SY005") == []


@pytest.mark.parametrize("value", ["released", "", 1])
def test_sy005_fail_not_a_category(ctt_tree: Path, value: object) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, status=value)
    finding = only(ctt_tree, "SY005")
    assert finding.path == CTT_SYSTEM
    assert (finding.key, finding.found) == ("status", value)
    assert finding.expected == ["available", "preview", "rdi"]


# --- SY006 system type --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["edge", "datacenter", "datacenter,edge", "edge,datacenter"])
def test_sy006_pass_exact_strings(ctt_tree: Path, value: str) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, system_type=value)
    assert findings(ctt_tree, "SY006") == []


@pytest.mark.parametrize("value", ["Edge", "edge, datacenter", "mobile", ["edge"]])
def test_sy006_fail_other_values(ctt_tree: Path, value: object) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, system_type=value)
    finding = only(ctt_tree, "SY006")
    assert finding.path == CTT_SYSTEM
    assert (finding.key, finding.found) == ("system_type", value)
    assert finding.expected == sorted(Round.load("inference", "v4.1")["system_types"])


# --- SY007 submitter ----------------------------------------------------------------------------------------
def test_sy007_pass_case_insensitive(ctt_tree: Path) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, submitter="connecttechinc")
    assert findings(ctt_tree, "SY007") == []


def test_sy007_fail_other_submitter(ctt_tree: Path) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, submitter="Connect Tech")
    finding = only(ctt_tree, "SY007")
    assert finding.path == CTT_SYSTEM
    assert (finding.key, finding.expected, finding.found) == ("submitter", "ConnectTechInc", "Connect Tech")


# --- SY008 division -----------------------------------------------------------------------------------------
def test_sy008_pass_matching_division(ctt_tree: Path) -> None:
    assert findings(ctt_tree, "SY008") == []
    move_division(ctt_tree, "ConnectTechInc", "closed", "open")  # also rewrites "division"
    assert findings(ctt_tree, "SY008") == []


def test_sy008_fail_division_mismatch(ctt_tree: Path) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, division="open")
    finding = only(ctt_tree, "SY008")
    assert finding.path == CTT_SYSTEM
    assert (finding.key, finding.expected, finding.found) == ("division", "closed", "open")


# --- SY009 network mode -------------------------------------------------------------------------------------
def _network_fields() -> list[str]:
    return Round.load("inference", "v4.1")["system_description"]["network_fields"]


def test_sy009_pass_closed_and_complete_network_system(ctt_tree: Path) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, is_network=False)
    assert findings(ctt_tree, "SY009") == []
    move_division(ctt_tree, "ConnectTechInc", "closed", "network")
    system = ctt_tree / "network/ConnectTechInc/systems/Orin_TRT.json"
    edit_json(system, **{**{name: "1" for name in _network_fields()}, "is_network": "true"})
    assert findings(ctt_tree, "SY009") == []


def test_sy009_fail_closed_system_flagged_network(ctt_tree: Path) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, is_network=True)
    found = findings(ctt_tree, "SY009")
    flag = [f for f in found if f.key == "is_network"]
    assert len(flag) == 1 and flag[0].path == CTT_SYSTEM
    assert (flag[0].expected, flag[0].found) == ("false", True)
    missing = {f.key for f in found if f.found == "missing"}
    assert missing == set(_network_fields()) - {"is_network"}


def test_sy009_fail_network_division_without_flag(ctt_tree: Path) -> None:
    move_division(ctt_tree, "ConnectTechInc", "closed", "network")
    finding = only(ctt_tree, "SY009")
    assert finding.path == "network/ConnectTechInc/systems/Orin_TRT.json"
    assert (finding.key, finding.expected, finding.found) == ("is_network", "true", None)


# --- SY010 unknown field (notice) ---------------------------------------------------------------------------
def test_sy010_pass_known_fields(ctt_tree: Path) -> None:
    assert findings(ctt_tree, "SY010") == []


def test_sy010_fail_misspelt_field_is_notice(ctt_tree: Path) -> None:
    edit_json(ctt_tree / CTT_SYSTEM, acelerator_model_name="Orin")
    finding = only(ctt_tree, "SY010")
    assert finding.path == CTT_SYSTEM
    assert (finding.key, finding.found) == ("acelerator_model_name", "acelerator_model_name")
    assert finding.severity is Severity.NOTICE and not finding.fails


def test_sy010_real_redhat_extra_field(tmp_path: Path) -> None:
    root = copy_submitter(tmp_path, "closed", "RedHat")
    finding = only(root, "SY010")
    assert finding.path == "closed/RedHat/systems/L40S-RedHat-OpenShift.json"
    assert finding.key == "host_processor_vcpu_count"


def test_second_run_in_process_sees_edited_description(ctt_tree: Path) -> None:
    load_all()
    rules = Round.load("inference", "v4.1")

    def sy003() -> list[str]:
        report = run_checks(discover(ctt_tree, "split"), rules, jobs=1, selection=Selection(("SY003",), ()))
        return [f.code for f in report.findings]

    assert sy003() == []
    edit_json(ctt_tree / CTT_SYSTEM, number_of_nodes="N/A")
    assert sy003() == ["SY003"]
