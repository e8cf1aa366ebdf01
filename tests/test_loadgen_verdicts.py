"""PE020: LoadGen's per-criterion verdicts are logged, met, and agree with result_validity (real v4.1 logs).

Tests taking ``tree`` or ``server_tree`` also run on a copy of the bundled demo tree (real LoadGen 6.0 logs).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import trees
from tests.mutate import copy_system, drop_record, findings, set_record
from tests.test_rules_performance import AMD_SYSTEM
from tests.trees import Tree

tree = trees.tree  # the real ConnectTechInc copy (gptj-99 Offline, SingleStream) and the demo copy
server_tree = trees.server_tree  # the real AMD copy (llama2-70b-99 Server) and the demo copy


def test_pe020_pass_real_logs(tree: Tree, tmp_path: Path) -> None:
    # Offline and SingleStream logs have no result_perf_constraints_met: LoadGen logs it for Server only
    assert tree.findings("PE020") == []
    if tree.real:
        assert findings(copy_system(tmp_path, "closed", "AMD", AMD_SYSTEM), "PE020") == []


def test_pe020_pass_invalid_run_with_a_failed_criterion_is_pe003s(tree: Tree) -> None:
    set_record(tree.path(tree.perf_detail()), "result_validity", "INVALID")
    set_record(tree.path(tree.perf_detail()), "result_min_queries_met", False)
    assert tree.findings("PE020") == []
    assert tree.findings("PE003")


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("result_min_duration_met", "minimum duration not met"),
        ("result_min_queries_met", "minimum query count not met"),
        ("early_stopping_met", "early stopping criterion not met"),
    ],
)
def test_pe020_fail_valid_run_with_a_criterion_not_met(tree: Tree, key: str, text: str) -> None:
    number = set_record(tree.path(tree.perf_detail()), key, False)
    finding = tree.only("PE020")
    assert (finding.path, finding.line, finding.key) == (tree.perf_detail(), number, key)
    assert (finding.expected, finding.found) == (True, False)
    assert finding.message == f"{text}, yet result_validity is VALID"


def test_pe020_fail_server_latency_constraint_not_met(server_tree: Tree) -> None:
    key = "result_perf_constraints_met"
    log = server_tree.perf_detail("Server")
    number = set_record(server_tree.path(log), key, False)
    finding = server_tree.only("PE020")
    assert (finding.path, finding.line, finding.key, finding.found) == (log, number, key, False)


def test_pe020_fail_server_criterion_not_logged(server_tree: Tree) -> None:
    drop_record(server_tree.path(server_tree.perf_detail("Server")), "result_perf_constraints_met")
    finding = server_tree.only("PE020")
    assert (finding.path, finding.key, finding.line, finding.found) == (
        server_tree.perf_detail("Server"),
        "result_perf_constraints_met",
        None,
        None,
    )
    assert finding.message == "LoadGen criterion result_perf_constraints_met is not logged"


def test_pe020_fail_criterion_not_a_boolean(tree: Tree) -> None:
    number = set_record(tree.path(tree.perf_detail("SingleStream")), "result_min_queries_met", "yes")
    finding = tree.only("PE020")
    assert (finding.path, finding.line, finding.found) == (tree.perf_detail("SingleStream"), number, "yes")
    assert "not a boolean" in finding.message


def test_pe020_fail_invalid_although_every_criterion_met(tree: Tree) -> None:
    number = set_record(tree.path(tree.perf_detail()), "result_validity", "INVALID")
    finding = tree.only("PE020")
    assert (finding.path, finding.line, finding.key) == (tree.perf_detail(), number, "result_validity")
    assert (finding.expected, finding.found) == ("VALID", "INVALID")


def test_pe020_silent_without_a_verdict(tree: Tree) -> None:
    drop_record(tree.path(tree.perf_detail()), "result_validity")  # PE003 reports the unfinished run
    set_record(tree.path(tree.perf_detail()), "result_min_duration_met", False)
    assert tree.findings("PE020") == []
