"""DV rules (divisions, model mapping, availability, inferred results), from mutated copies of real v4.1 results.

Tests taking ``tree`` (or ``audited``, ``open_tree``) run on real v4.1 copies (skipped without the shared data) and
on a copy of the bundled demo tree under the demo round.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checker.context import ResultContext, RunOptions
from checker.discovery import discover
from checker.findings import Severity
from checker.metrics import primary_metric
from checker.table import result_row
from tests import trees
from tests.conftest import copy_submitter
from tests.mutate import edit_json
from tests.trees import Tree

tree = trees.tree  # the real ConnectTechInc copy (gptj-99, edge) and the demo copy (digits, edge)
open_tree = trees.open_tree  # CTuning's open submission and the demo copy moved to open

ORACLE_SYSTEM = "GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT"


@pytest.fixture(params=["real", "demo"])
def closed_tree(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    """Oracle's closed submission (bert-99, and resnet50: the official alias of resnet) and the demo copy."""
    if request.param == "demo":
        return trees.demo_tree(tmp_path)
    root = copy_submitter(tmp_path, "closed", "Oracle")
    return Tree("real", root, "closed", "Oracle", ORACLE_SYSTEM, "bert-99", "v4.1", None)


# A closed folder name that resolves only through the official checker's substring guesses, and the benchmark.
GUESSED = {"real": ("bert-99-int8-custom", "bert-99"), "demo": ("resnet50-digits", "resnet")}


def _rename_benchmark(root: Path, division: str, submitter: str, old: str, new: str) -> None:
    for kind in ("results", "measurements", "compliance"):
        for folder in (root / division / submitter / kind).glob(f"*/{old}"):
            folder.rename(folder.parent / new)


# --- DV001 closed needs the exact benchmark ------------------------------------------------------------------
def test_dv001_pass_exact_name_and_official_alias(closed_tree: Tree) -> None:
    # Real: 'resnet50' is the official alias of resnet; demo: 'digits' is the exact name.
    assert closed_tree.findings("DV001") == []


def test_dv001_fail_closed_folder_resolved_by_a_guess(closed_tree: Tree) -> None:
    folder, benchmark = GUESSED[closed_tree.kind]
    _rename_benchmark(closed_tree.root, "closed", closed_tree.submitter, closed_tree.benchmark, folder)
    hits = closed_tree.findings("DV001")
    assert hits and all(f.found == folder and benchmark in f.expected for f in hits)
    if closed_tree.demo:
        assert {f.path for f in hits} == {f"{closed_tree.sub}/results/{closed_tree.system_name}/{folder}"}
        assert len(hits) == closed_tree.results_count


def test_dv001_open_may_use_other_names(open_tree: Tree) -> None:
    folder, _ = GUESSED[open_tree.kind]
    _rename_benchmark(open_tree.root, "open", open_tree.submitter, open_tree.benchmark, folder)
    assert open_tree.findings("DV001") == []


# --- DV002 open model mapping ------------------------------------------------------------------------------------
def _mapped(tree: Tree, target: str) -> str:
    """Rename the open benchmark folder to a custom name mapped to ``target``; returns the custom name."""
    custom = f"tiny-{tree.benchmark.split('-')[0]}"  # tiny-bert, tiny-digits
    _rename_benchmark(tree.root, "open", tree.submitter, tree.benchmark, custom)
    tree.path(f"{tree.sub}/model_mapping.json").write_text(json.dumps({custom: target}))
    return custom


def test_dv002_pass_mapping_to_a_benchmark(open_tree: Tree) -> None:
    custom = _mapped(open_tree, open_tree.benchmark)
    assert open_tree.findings("DV002") == []
    rows = [r for r in open_tree.report().rows if r["Model"] == custom]
    assert rows and all(r["MlperfModel"] == open_tree.benchmark for r in rows)


def test_dv002_fail_mapping_to_an_unknown_benchmark(open_tree: Tree) -> None:
    target = f"{open_tree.benchmark}-large"  # bert-99-large, digits-large: no benchmark of the round
    custom = _mapped(open_tree, target)
    found = open_tree.findings("DV002")
    assert len(found) == (1 if open_tree.real else open_tree.results_count)  # one per result that uses it
    for finding in found:
        assert (finding.key, finding.found) == (custom, target) and finding.fails
        assert finding.path == f"{open_tree.sub}/model_mapping.json"


def test_dv002_fail_unreadable_mapping(open_tree: Tree) -> None:
    _mapped(open_tree, open_tree.benchmark)
    open_tree.path(f"{open_tree.sub}/model_mapping.json").write_text("{not json")
    finding = open_tree.only("DV002")
    assert finding.fails and finding.path == f"{open_tree.sub}/model_mapping.json"


# --- DV003 preview -------------------------------------------------------------------------------------------
def test_dv003_available_and_rdi_have_no_notice(tree: Tree) -> None:
    assert tree.findings("DV003") == []
    edit_json(tree.path(tree.system), status="rdi")
    assert tree.findings("DV003") == []


def test_dv003_preview_is_a_notice(tree: Tree) -> None:
    edit_json(tree.path(tree.system), status="preview")
    finding = tree.only("DV003")
    assert finding.severity is Severity.NOTICE and "re-submitted as available" in finding.message
    assert (finding.path, finding.key, finding.found) == (tree.system, "status", "preview")


# --- DV004 inferred results ------------------------------------------------------------------------------------
def _infer_offline_from_singlestream(tree: Tree) -> None:
    """Offline's performance run replaced by the SingleStream one; its audits too where it has any (the demo)."""
    for part in ("performance", "TEST01", "TEST04"):
        offline, single = tree.path(f"{tree.results}/Offline/{part}"), tree.path(f"{tree.results}/SingleStream/{part}")
        if single.is_dir():
            shutil.rmtree(offline)
            shutil.copytree(single, offline)
    if tree.real:  # gptj-99 has no audits in v4.1
        assert not tree.path(f"{tree.sub}/compliance").exists()


def test_dv004_measured_results_are_not_flagged(tree: Tree) -> None:
    assert tree.findings("DV004") == []


def test_dv004_inferred_result_is_marked_in_table_and_findings(tree: Tree) -> None:
    _infer_offline_from_singlestream(tree)
    finding = tree.only("DV004")
    assert finding.severity is Severity.NOTICE and (finding.expected, finding.found) == ("Offline", "SingleStream")
    assert finding.path == f"{tree.results}/Offline"
    report = tree.report()
    offline = next(r for r in report.rows if r["Scenario"] == "Offline")
    assert offline["inferred"] == 1 and offline["Valid"]  # edge system: SingleStream -> Offline is allowed
    assert not [f for f in report.findings if f.code == "PE016"]


def test_inferred_result_on_a_datacenter_system_is_rejected(tree: Tree) -> None:
    _infer_offline_from_singlestream(tree)
    edit_json(tree.path(tree.system), system_type="datacenter")
    assert tree.only("PE016").fails


def test_primary_metric_of_inferred_offline_is_qps_without_overhead(tree: Tree) -> None:
    _infer_offline_from_singlestream(tree)
    rules = tree.rules()
    units = [u for s in discover(tree.root, rules["layout"]).submitters for u in s.results]
    unit = next(u for u in units if u.scenario_dir == "Offline")
    ctx = ResultContext(rules, unit, RunOptions())
    metric = primary_metric(ctx)
    assert metric is not None and metric.inferred
    assert metric.value == ctx.perf_log.get("result_qps_without_loadgen_overhead")
    assert result_row(ctx)[0]["inferred"] == 1
