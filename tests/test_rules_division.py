"""DV rules (divisions, model mapping, availability, inferred results), from mutated copies of real v4.1 results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from checker.context import ResultContext, RunOptions
from checker.discovery import discover
from checker.findings import Severity
from checker.metrics import primary_metric
from checker.rounds import Round
from checker.table import result_row
from tests.conftest import copy_submitter
from tests.test_rules_accuracy import CTT_GPTJ, check, found, one

CTT_SYSTEM = "closed/ConnectTechInc/systems/Orin_TRT.json"


def _rename_benchmark(root: Path, division: str, submitter: str, old: str, new: str) -> None:
    for kind in ("results", "measurements", "compliance"):
        for folder in (root / division / submitter / kind).glob(f"*/{old}"):
            folder.rename(folder.parent / new)


# --- DV001 closed needs the exact benchmark ------------------------------------------------------------------
def test_dv001_pass_exact_name_and_official_alias(tmp_path: Path) -> None:
    root = copy_submitter(tmp_path, "closed", "Oracle")  # 'resnet50' is the official alias of resnet
    assert found(root, "DV001") == []


def test_dv001_fail_closed_folder_resolved_by_a_guess(tmp_path: Path) -> None:
    root = copy_submitter(tmp_path, "closed", "Oracle")
    _rename_benchmark(root, "closed", "Oracle", "bert-99", "bert-99-int8-custom")
    hits = found(root, "DV001")
    assert hits and all(f.found == "bert-99-int8-custom" and "bert-99" in f.expected for f in hits)


def test_dv001_open_may_use_other_names(tmp_path: Path) -> None:
    root = copy_submitter(tmp_path, "open", "CTuning")
    _rename_benchmark(root, "open", "CTuning", "bert-99", "bert-99-int8-custom")
    assert found(root, "DV001") == []


# --- DV002 open model mapping ------------------------------------------------------------------------------------
def _mapped(tmp_path: Path, target: str) -> Path:
    root = copy_submitter(tmp_path, "open", "CTuning")
    _rename_benchmark(root, "open", "CTuning", "bert-99", "tiny-bert")
    (root / "open/CTuning/model_mapping.json").write_text(json.dumps({"tiny-bert": target}))
    return root


def test_dv002_pass_mapping_to_a_benchmark(tmp_path: Path) -> None:
    root = _mapped(tmp_path, "bert-99")
    assert found(root, "DV002") == []
    rows = [r for r in check(root).rows if r["Model"] == "tiny-bert"]
    assert rows and all(r["MlperfModel"] == "bert-99" for r in rows)


def test_dv002_fail_mapping_to_an_unknown_benchmark(tmp_path: Path) -> None:
    root = _mapped(tmp_path, "bert-large-99")
    finding = one(root, "DV002")
    assert (finding.key, finding.found) == ("tiny-bert", "bert-large-99") and finding.fails


def test_dv002_fail_unreadable_mapping(tmp_path: Path) -> None:
    root = _mapped(tmp_path, "bert-99")
    (root / "open/CTuning/model_mapping.json").write_text("{not json")
    assert one(root, "DV002").fails


# --- DV003 preview -------------------------------------------------------------------------------------------
def _set_status(root: Path, status: str) -> None:
    path = root / CTT_SYSTEM
    data = json.loads(path.read_text())
    data["status"] = status
    path.write_text(json.dumps(data))


def test_dv003_available_and_rdi_have_no_notice(ctt_tree: Path) -> None:
    assert found(ctt_tree, "DV003") == []
    _set_status(ctt_tree, "rdi")
    assert found(ctt_tree, "DV003") == []


def test_dv003_preview_is_a_notice(ctt_tree: Path) -> None:
    _set_status(ctt_tree, "preview")
    finding = one(ctt_tree, "DV003")
    assert finding.severity is Severity.NOTICE and "re-submitted as available" in finding.message


# --- DV004 inferred results ------------------------------------------------------------------------------------
def _infer_offline_from_singlestream(root: Path) -> None:
    base = root / CTT_GPTJ
    shutil.rmtree(base / "Offline" / "performance")
    shutil.copytree(base / "SingleStream" / "performance", base / "Offline" / "performance")


def test_dv004_measured_results_are_not_flagged(ctt_tree: Path) -> None:
    assert found(ctt_tree, "DV004") == []


def test_dv004_inferred_result_is_marked_in_table_and_findings(ctt_tree: Path) -> None:
    _infer_offline_from_singlestream(ctt_tree)
    finding = one(ctt_tree, "DV004")
    assert finding.severity is Severity.NOTICE and (finding.expected, finding.found) == ("Offline", "SingleStream")
    report = check(ctt_tree)
    offline = next(r for r in report.rows if r["Scenario"] == "Offline")
    assert offline["inferred"] == 1 and offline["Valid"]  # edge system: SingleStream -> Offline is allowed
    assert not [f for f in report.findings if f.code == "PE016"]


def test_inferred_result_on_a_datacenter_system_is_rejected(ctt_tree: Path) -> None:
    _infer_offline_from_singlestream(ctt_tree)
    path = ctt_tree / CTT_SYSTEM
    data = json.loads(path.read_text())
    data["system_type"] = "datacenter"
    path.write_text(json.dumps(data))
    assert one(ctt_tree, "PE016").fails


def test_primary_metric_of_inferred_offline_is_qps_without_overhead(ctt_tree: Path) -> None:
    _infer_offline_from_singlestream(ctt_tree)
    rules = Round.load("inference", "v4.1")
    unit = next(u for s in discover(ctt_tree, "split").submitters for u in s.results if u.scenario_dir == "Offline")
    ctx = ResultContext(rules, unit, RunOptions())
    metric = primary_metric(ctx)
    assert metric is not None and metric.inferred
    assert metric.value == ctx.perf_log.get("result_qps_without_loadgen_overhead")
    assert result_row(ctx)[0]["inferred"] == 1
