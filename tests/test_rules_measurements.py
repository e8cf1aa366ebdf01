"""ME rules: each with a passing and a failing input, built from mutated copies of real measurements folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutate import CTT_MEASUREMENTS, edit_json, findings, only

OFFLINE = f"{CTT_MEASUREMENTS}/Offline"
OFFLINE_JSON = f"{OFFLINE}/Orin_TRT_Offline.json"


# --- ME001 measurements JSON missing ------------------------------------------------------------------------
def test_me001_pass_real_and_any_system_prefixed_name(ctt_tree: Path) -> None:
    assert findings(ctt_tree, "ME001") == []
    (ctt_tree / OFFLINE_JSON).rename(ctt_tree / OFFLINE / "Orin_TRT_gptj.json")
    assert findings(ctt_tree, "ME001") == []


def test_me001_fail_json_removed(ctt_tree: Path) -> None:
    (ctt_tree / OFFLINE_JSON).unlink()
    finding = only(ctt_tree, "ME001")
    assert finding.path == OFFLINE
    assert (finding.expected, finding.found) == ("Orin_TRT_<scenario>.json", "missing")


def test_me001_fail_json_named_for_another_system(ctt_tree: Path) -> None:
    (ctt_tree / OFFLINE_JSON).rename(ctt_tree / OFFLINE / "Xavier_Offline.json")
    assert only(ctt_tree, "ME001").path == OFFLINE


# --- ME002 measurements JSON invalid ------------------------------------------------------------------------
def test_me002_pass_real_json(ctt_tree: Path) -> None:
    assert findings(ctt_tree, "ME002") == []


def test_me002_fail_unreadable(ctt_tree: Path) -> None:
    path = ctt_tree / OFFLINE_JSON
    path.write_text(path.read_text().replace('"retraining": "No",', '"retraining": No,'))
    finding = only(ctt_tree, "ME002")
    assert finding.path == OFFLINE_JSON
    assert finding.line == 3
    assert finding.expected == "a JSON object"
    assert str(finding.found).startswith("not valid JSON")


def test_me002_fail_field_missing(ctt_tree: Path) -> None:
    edit_json(ctt_tree / OFFLINE_JSON, drop=("retraining",))
    finding = only(ctt_tree, "ME002")
    assert finding.path == OFFLINE_JSON
    assert (finding.key, finding.expected, finding.found) == ("retraining", "retraining", "missing")


@pytest.mark.parametrize("value", ["", "  ", None])
def test_me002_fail_field_empty(ctt_tree: Path, value: object) -> None:
    edit_json(ctt_tree / OFFLINE_JSON, weight_data_types=value)
    finding = only(ctt_tree, "ME002")
    assert (finding.key, finding.expected, finding.found) == ("weight_data_types", "a value", value)


# --- ME003 measurements files -------------------------------------------------------------------------------
def test_me003_pass_complete_and_mlperf_conf_optional_from_v50(ctt_tree: Path) -> None:
    assert findings(ctt_tree, "ME003") == []
    (ctt_tree / OFFLINE / "mlperf.conf").unlink()
    assert findings(ctt_tree, "ME003", "v5.1") == []


def test_me003_fail_user_conf_missing(ctt_tree: Path) -> None:
    (ctt_tree / OFFLINE / "user.conf").unlink()
    finding = only(ctt_tree, "ME003")
    assert finding.path == f"{OFFLINE}/user.conf"
    assert (finding.expected, finding.found) == ("user.conf", "missing")


def test_me003_fail_mlperf_conf_missing_v41_and_readme_empty(ctt_tree: Path) -> None:
    (ctt_tree / OFFLINE / "mlperf.conf").unlink()
    (ctt_tree / CTT_MEASUREMENTS / "SingleStream" / "README.md").write_text("")
    found = {f.path: f for f in findings(ctt_tree, "ME003")}
    assert set(found) == {f"{OFFLINE}/mlperf.conf", f"{CTT_MEASUREMENTS}/SingleStream/README.md"}
    assert found[f"{OFFLINE}/mlperf.conf"].found == "missing"
    readme = found[f"{CTT_MEASUREMENTS}/SingleStream/README.md"]
    assert (readme.expected, readme.found) == ("non-empty file", "0 bytes")
