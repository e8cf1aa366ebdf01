"""ST rules: each with a passing and a failing input, built from mutated copies of real v4.1 results.

Tests taking ``tree`` run on the real ConnectTechInc copy (v4.1) and on a copy of the bundled demo tree.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from checker.findings import Severity
from checker.registry import load_all
from tests import trees
from tests.conftest import require_data
from tests.mutate import (
    CTT_RESULTS,
    copy_system,
    edit_json,
    findings,
    move_division,
    only,
    rename_scenario,
)
from tests.trees import Tree

tree = trees.tree  # each test taking ``tree`` runs on the real ConnectTechInc copy and on the demo copy


# --- ST001 unknown top-level folder ---------------------------------------------------------------------
def test_st001_pass_divisions_and_tolerated_folders(tree: Tree) -> None:
    for name in (".git", ".github", "assets"):
        (tree.root / name).mkdir()
        (tree.root / name / "keep.md").write_text("x")
    assert tree.findings("ST001") == []


def test_st001_fail_unknown_folder_is_a_warning(tree: Tree) -> None:
    (tree.root / "Closed").mkdir()
    finding = tree.only("ST001")
    assert finding.path == "Closed"
    assert finding.found == "Closed"
    assert finding.expected == ["open", "closed", "network"]
    assert finding.severity is Severity.WARNING and not finding.fails


# --- ST002 stray root file --------------------------------------------------------------------------------
def test_st002_pass_markdown_and_pdf(tree: Tree) -> None:
    (tree.root / "README.md").write_text("# results\n")
    (tree.root / "Paper.PDF").write_bytes(b"%PDF-1.4\n")
    assert tree.findings("ST002") == []


def test_st002_fail_other_file(tree: Tree) -> None:
    (tree.root / "results.csv").write_text("a,b\n")
    finding = tree.only("ST002")
    assert (finding.path, finding.found) == ("results.csv", "results.csv")
    assert finding.expected == "only *.md or *.pdf files"


# --- ST003 stray division file ----------------------------------------------------------------------------
def test_st003_pass_only_submitter_folders(tree: Tree) -> None:
    assert tree.findings("ST003") == []


def test_st003_fail_file_in_division(tree: Tree) -> None:
    shutil.copy(tree.path(tree.system), tree.root / "closed" / f"{tree.system_name}.json")
    finding = tree.only("ST003")
    assert finding.path == f"closed/{tree.system_name}.json"
    assert finding.found == f"closed/{tree.system_name}.json"
    assert finding.expected == "only submitter folders"


# --- ST004 system description missing ---------------------------------------------------------------------
def test_st004_pass_description_present(tree: Tree) -> None:
    assert tree.findings("ST004") == []


def test_st004_fail_description_renamed(tree: Tree) -> None:
    other = "orin_trt.json" if tree.real else "Demo_CPU_numpy.json"  # the name in another case
    tree.path(tree.system).rename(tree.path(tree.sub) / "systems" / other)
    finding = tree.only("ST004")
    assert finding.path == tree.system
    assert (finding.expected, finding.found) == (f"systems/{tree.system_name}.json", "missing")


# --- ST005 system without results (v5.1 on) ---------------------------------------------------------------
def test_st005_pass_in_v41_and_when_results_exist(tree: Tree) -> None:
    assert tree.under("v5.1").findings("ST005") == []
    if tree.real:  # v4.1 did not require it (the demo round, v6.1 on, has no such round to compare)
        shutil.copy(tree.path(tree.system), tree.path(f"{tree.sub}/systems/Spare.json"))
        assert tree.findings("ST005") == []


def test_st005_fail_unused_description_v51(tree: Tree) -> None:
    shutil.copy(tree.path(tree.system), tree.path(f"{tree.sub}/systems/Spare.json"))
    finding = tree.under("v5.1").only("ST005")
    assert finding.path == f"{tree.sub}/systems/Spare.json"
    assert (finding.expected, finding.found) == ("results/Spare/", "missing")


def test_st005_real_google_descriptions_without_results_v51(tmp_path: Path) -> None:
    root = copy_system(tmp_path, "closed", "Google", "tpu_v6_x4_flax")
    systems = require_data("inference-v4.1", "closed", "Google", "systems")
    for path in systems.glob("*.json"):
        shutil.copy(path, root / "closed/Google/systems" / path.name)
    expected = {f"closed/Google/systems/{p.name}" for p in systems.glob("*.json") if p.stem != "tpu_v6_x4_flax"}
    assert len(expected) == 13
    assert {f.path for f in findings(root, "ST005", "v5.1")} == expected
    assert findings(root, "ST005", "v4.1") == []


# --- ST006 unknown benchmark --------------------------------------------------------------------------------
def test_st006_pass_open_division_model_mapping(tree: Tree) -> None:
    move_division(tree.root, tree.submitter, "closed", "open")
    results = tree.path(f"open/{tree.submitter}/results/{tree.system_name}")
    (results / tree.benchmark).rename(results / "my-model")
    tree.path(f"open/{tree.submitter}/model_mapping.json").write_text(json.dumps({"my-model": tree.benchmark}))
    assert tree.findings("ST006") == []


def test_st006_fail_unknown_name_and_mapping_ignored_in_closed(tree: Tree) -> None:
    tree.path(tree.results).rename(tree.path(f"{tree.sub}/results/{tree.system_name}/my-model"))
    tree.path(f"{tree.sub}/model_mapping.json").write_text(json.dumps({"my-model": tree.benchmark}))
    found = tree.findings("ST006")
    assert len(found) == tree.results_count  # one per scenario folder
    for finding in found:
        assert finding.path == f"{tree.sub}/results/{tree.system_name}/my-model"
        assert finding.found == "my-model"
        assert finding.expected == sorted(tree.rules().models)


def test_st006_fail_gptj_retired_in_v51(ctt_tree: Path) -> None:
    found = findings(ctt_tree, "ST006", "v5.1")
    assert {(f.path, f.found) for f in found} == {(CTT_RESULTS, "gptj-99")}


# --- ST007 unknown scenario ---------------------------------------------------------------------------------
def test_st007_pass_lower_case_folder(tree: Tree) -> None:
    rename_scenario(tree.root, tree.sub, tree.system_name, tree.benchmark, "Offline", "offline")
    assert tree.findings("ST007") == []


def test_st007_fail_not_a_scenario(tree: Tree) -> None:
    rename_scenario(tree.root, tree.sub, tree.system_name, tree.benchmark, "SingleStream", "Streaming")
    finding = tree.only("ST007")
    assert finding.path == f"{tree.results}/Streaming"
    assert finding.found == "Streaming"
    assert finding.expected == ["SingleStream", "MultiStream", "Server", "Offline", "Interactive"]


def test_st007_fail_scenario_not_allowed_on_edge(tree: Tree) -> None:
    # gptj-99 on edge allows SingleStream and Offline; digits on edge allows all but Interactive.
    new = "Server" if tree.real else "Interactive"
    rename_scenario(tree.root, tree.sub, tree.system_name, tree.benchmark, "SingleStream", new)
    finding = tree.only("ST007")
    assert finding.path == f"{tree.results}/{new}"
    allowed = ["SingleStream", "Offline"] if tree.real else ["Offline", "SingleStream", "MultiStream", "Server"]
    assert (finding.expected, finding.found) == (allowed, new)


def test_st007_pass_any_scenario_in_open(tree: Tree) -> None:
    new = "Server" if tree.real else "Interactive"
    rename_scenario(tree.root, tree.sub, tree.system_name, tree.benchmark, "SingleStream", new)
    move_division(tree.root, tree.submitter, "closed", "open")
    assert tree.findings("ST007") == []


# --- ST008 benchmark not for system type -------------------------------------------------------------------
def test_st008_pass_benchmark_allowed(tree: Tree) -> None:
    assert tree.findings("ST008") == []
    edit_json(tree.path(tree.system), system_type="datacenter")  # gptj-99 and digits have a datacenter table too
    assert tree.findings("ST008") == []


def test_st008_fail_datacenter_benchmark_on_edge(tree: Tree) -> None:
    other = "llama2-70b-99" if tree.real else "rgat"  # a benchmark of the round with no edge table
    tree.path(tree.results).rename(tree.path(f"{tree.sub}/results/{tree.system_name}/{other}"))
    found = tree.findings("ST008")
    assert len(found) == tree.results_count
    for finding in found:
        assert finding.path == f"{tree.sub}/results/{tree.system_name}/{other}"
        assert finding.found == "edge"


# --- ST009 required scenario missing ------------------------------------------------------------------------
def test_st009_pass_complete_and_open(tree: Tree) -> None:
    assert tree.findings("ST009") == []
    required = "SingleStream" if tree.real else "Offline"  # digits on edge requires only Offline
    shutil.rmtree(tree.path(f"{tree.results}/{required}"))
    move_division(tree.root, tree.submitter, "closed", "open")
    assert tree.findings("ST009") == []


def test_st009_fail_required_scenario_removed(tree: Tree) -> None:
    required = "SingleStream" if tree.real else "Offline"
    shutil.rmtree(tree.path(f"{tree.results}/{required}"))
    finding = tree.only("ST009")
    assert finding.path == tree.results
    if tree.real:
        assert (finding.expected, finding.found) == (["SingleStream", "Offline"], ["Offline"])
    else:
        assert (finding.expected, finding.found) == (["Offline"], ["MultiStream", "Server", "SingleStream"])


@pytest.mark.parametrize("kind", ["real", "demo"])
def test_st009_server_or_interactive_v51(tmp_path: Path, kind: str) -> None:
    """Real: AMD's llama2-70b-99 under v5.1 (Server and Interactive both optional). Demo: digits under a test-made
    round whose edge table makes Server and Interactive both optional."""
    if kind == "real":
        root = copy_system(tmp_path, "closed", "AMD", "1xMI300X_2xEPYC-9374F")
        bench_rel = "closed/AMD/results/1xMI300X_2xEPYC-9374F/llama2-70b-99"

        def st009() -> list:
            return findings(root, "ST009", "v5.1")

        remaining = ["Offline"]
    else:
        demo = trees.demo_tree(tmp_path)
        rules = tmp_path / "server_or_interactive.yaml"
        table = "{digits: {scenarios: {edge: {required: [Offline], optional: [Server, Interactive]}}}}"
        rules.write_text(f"extends: {trees.DEMO_RULES}\nmodels: {table}\n")
        later = replace(demo, rules_path=str(rules))
        root, bench_rel = demo.root, demo.results

        def st009() -> list:
            return later.findings("ST009")

        remaining = ["MultiStream", "Offline", "SingleStream"]
    bench = root / bench_rel
    assert st009() == []
    shutil.copytree(bench / "Server", bench / "Interactive")
    shutil.rmtree(bench / "Server")
    assert st009() == []  # Interactive alone satisfies the pair
    shutil.rmtree(bench / "Interactive")
    found = [f for f in st009() if f.path.endswith(bench_rel.rsplit("/", 1)[1])]
    assert len(found) == 1
    assert found[0].path == bench_rel
    assert (found[0].expected, found[0].found) == (["Server", "Interactive"], remaining)


# --- ST010 performance files missing ------------------------------------------------------------------------
def test_st010_pass_complete(tree: Tree) -> None:
    optional = tree.path(f"{tree.results}/Offline/performance/run_1/mlperf_log_accuracy.json")
    if tree.real:
        optional.unlink()  # optional
    assert not optional.exists()  # the demo's performance runs have none
    assert tree.findings("ST010") == []


def test_st010_fail_summary_missing(tree: Tree) -> None:
    tree.path(tree.perf_summary("SingleStream")).unlink()
    finding = tree.only("ST010")
    assert finding.path == tree.perf_summary("SingleStream")
    assert (finding.expected, finding.found) == ("mlperf_log_summary.txt", "missing")


def test_st010_power_run_needs_spl(tmp_path: Path) -> None:
    root = copy_system(tmp_path, "closed", "UntetherAI", "r760_u6_slim")
    assert findings(root, "ST010") == []
    run = "closed/UntetherAI/results/r760_u6_slim/resnet50/offline/performance/run_1"
    (root / run / "spl.txt").unlink()
    finding = only(root, "ST010")
    assert finding.path == f"{run}/spl.txt"
    assert (finding.expected, finding.found) == ("spl.txt", "missing")


# --- ST011 accuracy files missing ---------------------------------------------------------------------------
def test_st011_pass_complete(tree: Tree) -> None:
    assert tree.findings("ST011") == []


def test_st011_fail_accuracy_txt_missing(tree: Tree) -> None:
    path = f"{tree.results}/Offline/accuracy/accuracy.txt"
    tree.path(path).unlink()
    finding = tree.only("ST011")
    assert finding.path == path
    assert (finding.expected, finding.found) == ("accuracy.txt", "missing")


# --- ST012 code folder missing ------------------------------------------------------------------------------
def test_st012_pass_code_folder_present(tree: Tree) -> None:
    assert tree.findings("ST012") == []


def test_st012_fail_reported_once_per_benchmark(tree: Tree) -> None:
    shutil.rmtree(tree.path(f"{tree.code}/{tree.benchmark}"))
    finding = tree.only("ST012")  # not once per scenario
    assert finding.path == f"{tree.code}/{tree.benchmark}"
    expected = [f"code/{tree.benchmark}"] if tree.real else [f"src/{tree.benchmark}", f"code/{tree.benchmark}"]
    assert (finding.expected, finding.found) == (expected, "missing")


# --- ST013 calibration document (v5.1 on) -------------------------------------------------------------------
def test_st013_pass_documentation_and_open(tree: Tree) -> None:
    assert tree.under("v5.1").findings("ST013") == []  # documentation/calibration.md
    tree.path(f"{tree.documentation}/calibration.md").unlink()
    if tree.real:
        assert tree.findings("ST013") == []  # v4.1 did not require it
    tree.path(f"{tree.sub}/calibration.md").write_text("# Calibration\n")
    assert tree.under("v5.1").findings("ST013") == []


def test_st013_fail_no_calibration_v51(tree: Tree) -> None:
    tree.path(f"{tree.documentation}/calibration.md").unlink()
    finding = tree.under("v5.1").only("ST013")
    assert finding.path == f"{tree.sub}/calibration.md"
    assert finding.expected == ["calibration.md", "documentation/calibration.md"]
    assert finding.found == "missing"
    move_division(tree.root, tree.submitter, "closed", "open")
    assert tree.under("v5.1").findings("ST013") == []


# --- ST014 git-unfriendly names -----------------------------------------------------------------------------
def test_st014_pass_real_tree(tree: Tree) -> None:
    assert tree.findings("ST014") == []


def test_st014_fail_dot_space_pycache(tree: Tree) -> None:
    docs = tree.path(tree.documentation)
    (docs / ".DS_Store").write_bytes(b"\0")
    (docs / "run notes.md").write_text("x")
    tree.path(f"{tree.code}/__pycache__").mkdir()
    tree.path(f"{tree.code}/__pycache__/main.cpython-311.pyc").write_bytes(b"\0")
    found = {f.path: f for f in tree.findings("ST014")}
    assert set(found) == {
        f"{tree.documentation}/.DS_Store",
        f"{tree.documentation}/run notes.md",
        f"{tree.code}/__pycache__",
    }
    assert found[f"{tree.documentation}/.DS_Store"].expected == "no hidden entries"
    assert found[f"{tree.documentation}/run notes.md"].found == "run notes.md"
    assert found[f"{tree.code}/__pycache__"].found == "__pycache__"


# --- ST015 empty folder -------------------------------------------------------------------------------------
def test_st015_pass_folder_with_file(tree: Tree) -> None:
    tree.path(f"{tree.documentation}/extra").mkdir()
    tree.path(f"{tree.documentation}/extra/a.md").write_text("x")
    assert tree.findings("ST015") == []


def test_st015_fail_empty_folder(tree: Tree) -> None:
    (tree.path(tree.measurements()) / "logs").mkdir()
    finding = tree.only("ST015")
    assert finding.path == f"{tree.measurements()}/logs"
    assert (finding.expected, finding.found) == ("at least one file", "empty")


# --- ST016 broken link or large file ------------------------------------------------------------------------
def test_st016_pass_good_link_and_file_at_limit(tree: Tree) -> None:
    docs = tree.path(tree.documentation)
    os.symlink("FAQ.md" if tree.real else "calibration.md", docs / "faq-link.md")
    with (docs / "big.bin").open("wb") as stream:
        stream.truncate(50 * 2**20)  # exactly the limit: allowed
    assert tree.findings("ST016") == []


def test_st016_fail_broken_link(tree: Tree) -> None:
    os.symlink("/nonexistent/user.conf", tree.path(tree.measurements()) / "extra.conf")
    finding = tree.only("ST016")
    assert finding.path == f"{tree.measurements()}/extra.conf"
    assert (finding.expected, finding.found) == ("a file", "broken link to /nonexistent/user.conf")


def test_st016_fail_file_over_limit(tree: Tree) -> None:
    with tree.path(f"{tree.documentation}/big.bin").open("wb") as stream:
        stream.truncate(50 * 2**20 + 1)
    finding = tree.only("ST016")
    assert finding.path == f"{tree.documentation}/big.bin"
    assert (finding.expected, finding.found) == ("<= 50 MiB", 50 * 2**20 + 1)


# --- coverage of the rule families ------------------------------------------------------------------------
FAMILY_MODULES = {
    "ST": ("tests.test_rules_structure", "tests.test_evidence_reads", "tests.test_layouts"),
    "SY": ("tests.test_rules_system",),
    "ME": ("tests.test_rules_measurements",),
    "PE": ("tests.test_rules_performance", "tests.test_loadgen_verdicts"),
}


def test_every_rule_has_a_passing_and_a_failing_test() -> None:
    missing = []
    for code, rule in sorted(load_all().items()):
        if rule.suite != "inference" or code[:2] not in FAMILY_MODULES:
            continue
        names = [n for m in FAMILY_MODULES[code[:2]] for n in dir(importlib.import_module(m)) if n.startswith("test_")]
        for kind in ("pass", "fail"):
            if not any(n.startswith(f"test_{code.lower()}_{kind}") for n in names):
                missing.append(f"{code} {kind}")
    assert not missing


def test_st011_published_tree_missing_accuracy_log_is_a_notice(tree: Tree) -> None:
    target = f"{tree.results}/Offline/accuracy/mlperf_log_accuracy.json"
    tree.path(target).unlink()
    for published, severity in ((False, "error"), (True, "notice")):
        found = [(f.path, f.severity.value) for f in tree.findings("ST011", published=published)]
        assert found == [(target, severity)]
