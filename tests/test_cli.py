"""The command line: rules, explain, exit codes 0/1/2, formats and selection."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.registry import load_all
from checker.reporters.human import plain
from tests import trees
from tests.trees import Tree

REPO = Path(__file__).resolve().parent.parent
tree = trees.tree  # each test taking ``tree`` runs on the real ConnectTechInc copy and on the demo copy


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_rules_lists_every_code_with_summary() -> None:
    code, out = run("rules")
    assert code == 0
    for rule in load_all(audit=True).values():
        assert f"{rule.code}  " in out
        assert plain(rule.summary) in out
    assert "``" not in out  # reStructuredText stays in the docstrings


def test_every_rule_has_doc_fix_and_explain() -> None:
    for rule in load_all(audit=True).values():
        code, out = run("explain", rule.code)
        assert code == 0
        assert plain(rule.doc.splitlines()[0]) in out and "``" not in out
        assert "How to fix:" in out and rule.fix


def test_explain_unknown_code_exits_2() -> None:
    code, _ = run("explain", "ZZ999")
    assert code == 2


def test_missing_path_exits_2(tmp_path: Path) -> None:
    code, _ = run("check", str(tmp_path / "nope"), "--version", "v4.1")
    assert code == 2


def test_unknown_round_exits_2(tmp_path: Path) -> None:
    demo = trees.demo_tree(tmp_path)  # the round is rejected before the tree matters
    code, _ = run("check", str(demo.root), "--version", "v9.9")
    assert code == 2


def test_broken_rule_file_exits_2_with_json_path(tmp_path: Path) -> None:
    demo = trees.demo_tree(tmp_path)  # the rule file is rejected before the tree matters
    data = yaml.safe_load((REPO / "rules" / "inference" / "v4.1.yaml").read_text())
    data["seeds"]["qsl_rng_seed"] = "not a number"
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out = run("check", str(demo.root), "--rules", str(path))
    assert code == 2
    assert "$.seeds.qsl_rng_seed" in out


def test_valid_tree_exits_0_and_writes_all_formats(tree: Tree, tmp_path: Path) -> None:
    code, out = run("check", str(tree.root), *tree.round_args)
    assert code == 0, out
    assert f"PASSED: {tree.results_count} results checked" in out
    code, out = run("check", str(tree.root), *tree.round_args, "--format", "json", "-j", "2")
    doc = json.loads(out)
    assert doc["summary"]["results_accepted"] == tree.results_count and doc["summary"]["exit_code"] == 0
    target = tmp_path / "table.csv"
    code, _ = run("check", str(tree.root), *tree.round_args, "--format", "csv", "--output", str(target))
    assert code == 0
    header = target.read_text().splitlines()[0].split(",")
    assert header[:3] == ["Organization", "Availability", "Division"] and header[-2:] == ["Valid", "Findings"]


def test_errors_exit_1_and_select_ignore(tree: Tree) -> None:
    system = tree.path(tree.system)
    data = json.loads(system.read_text())
    data["number_of_nodes"] = "N/A"
    system.write_text(json.dumps(data))
    code, out = run("check", str(tree.root), *tree.round_args)
    assert code == 1 and "SY003" in out
    code, out = run("check", str(tree.root), *tree.round_args, "--ignore", "SY003")
    assert code == 0
    code, out = run("check", str(tree.root), *tree.round_args, "--select", "PE")
    assert code == 0 and "SY003" not in out


def test_submitter_folder_and_filter(tree: Tree) -> None:
    code, out = run("check", str(tree.path(tree.sub)), *tree.round_args)
    assert code == 0 and f"{tree.results_count} results checked" in out
    code, _ = run("check", str(tree.root), *tree.round_args, "--submitter", "Nobody")
    assert code == 2


def test_check_waivers_option(tree: Tree, tmp_path: Path) -> None:
    system = tree.path(tree.system)
    data = json.loads(system.read_text())
    data["number_of_nodes"] = "N/A"
    system.write_text(json.dumps(data))
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        f"- code: SY003\n  path: {tree.sub}/systems/*.json\n  reason: node count fixed upstream\n"
        "  approved_by: review chair\n  expires: '2999-12-31'\n"
    )
    code, out = run("check", str(tree.root), *tree.round_args, "--waivers", str(waivers))
    assert code == 0, out
    assert "SY003 error" in out and "(waived: node count fixed upstream" in out and "1 waived" in out
    waivers.write_text("- code: SY003\n  path: x\n")
    code, out = run("check", str(tree.root), *tree.round_args, "--waivers", str(waivers))
    assert code == 2
