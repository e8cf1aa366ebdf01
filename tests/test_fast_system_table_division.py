"""DV002 reads a submitter's model_mapping.json once per run: a later run sees the file as it is then."""

from __future__ import annotations

import json

from tests import trees
from tests.test_rules_division import _mapped
from tests.trees import Tree

open_tree = trees.open_tree  # CTuning's open submission and the demo copy moved to open


def test_dv002_a_mapping_edited_between_runs_is_read_again(open_tree: Tree) -> None:
    custom = _mapped(open_tree, open_tree.benchmark)
    assert open_tree.findings("DV002") == []
    target = f"{open_tree.benchmark}-large"
    open_tree.path(f"{open_tree.sub}/model_mapping.json").write_text(json.dumps({custom: target}))
    found = open_tree.findings("DV002")  # the same process, a new run
    assert found and all((f.key, f.found, f.fails) == (custom, target, True) for f in found)
    open_tree.path(f"{open_tree.sub}/model_mapping.json").unlink()
    assert open_tree.findings("DV002") == []  # no mapping now: nothing to judge


def test_dv002_every_result_of_a_submitter_is_judged_on_the_one_mapping(open_tree: Tree) -> None:
    target = f"{open_tree.benchmark}-large"
    custom = _mapped(open_tree, target)
    found = open_tree.findings("DV002")
    assert len(found) == (1 if open_tree.real else open_tree.results_count)
    assert {(f.path, f.key, f.found) for f in found} == {(f"{open_tree.sub}/model_mapping.json", custom, target)}
