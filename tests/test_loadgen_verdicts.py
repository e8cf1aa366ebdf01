"""PE020: LoadGen's per-criterion verdicts are logged, met, and agree with result_validity (real v4.1 logs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutate import copy_system, drop_record, findings, only, perf_detail, set_record
from tests.test_rules_performance import AMD_SERVER_LOG, AMD_SYSTEM

OFFLINE_LOG = perf_detail("Offline")  # ConnectTechInc gptj-99 (ctt_tree)
SS_LOG = perf_detail("SingleStream")


@pytest.fixture
def amd_tree(tmp_path: Path) -> Path:
    """A real llama2-70b Server result (AMD, 1x MI300X): it logs result_perf_constraints_met."""
    return copy_system(tmp_path, "closed", "AMD", AMD_SYSTEM)


def test_pe020_pass_real_logs(ctt_tree: Path, amd_tree: Path) -> None:
    # Offline and SingleStream logs have no result_perf_constraints_met: LoadGen logs it for Server only
    assert findings(ctt_tree, "PE020") == []
    assert findings(amd_tree, "PE020") == []


def test_pe020_pass_invalid_run_with_a_failed_criterion_is_pe003s(ctt_tree: Path) -> None:
    set_record(ctt_tree / OFFLINE_LOG, "result_validity", "INVALID")
    set_record(ctt_tree / OFFLINE_LOG, "result_min_queries_met", False)
    assert findings(ctt_tree, "PE020") == []
    assert findings(ctt_tree, "PE003")


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("result_min_duration_met", "minimum duration not met"),
        ("result_min_queries_met", "minimum query count not met"),
        ("early_stopping_met", "early stopping criterion not met"),
    ],
)
def test_pe020_fail_valid_run_with_a_criterion_not_met(ctt_tree: Path, key: str, text: str) -> None:
    number = set_record(ctt_tree / OFFLINE_LOG, key, False)
    finding = only(ctt_tree, "PE020")
    assert (finding.path, finding.line, finding.key) == (OFFLINE_LOG, number, key)
    assert (finding.expected, finding.found) == (True, False)
    assert finding.message == f"{text}, yet result_validity is VALID"


def test_pe020_fail_server_latency_constraint_not_met(amd_tree: Path) -> None:
    key = "result_perf_constraints_met"
    number = set_record(amd_tree / AMD_SERVER_LOG, key, False)
    finding = only(amd_tree, "PE020")
    assert (finding.path, finding.line, finding.key, finding.found) == (AMD_SERVER_LOG, number, key, False)


def test_pe020_fail_server_criterion_not_logged(amd_tree: Path) -> None:
    drop_record(amd_tree / AMD_SERVER_LOG, "result_perf_constraints_met")
    finding = only(amd_tree, "PE020")
    assert (finding.path, finding.key, finding.line, finding.found) == (
        AMD_SERVER_LOG,
        "result_perf_constraints_met",
        None,
        None,
    )
    assert finding.message == "LoadGen criterion result_perf_constraints_met is not logged"


def test_pe020_fail_criterion_not_a_boolean(ctt_tree: Path) -> None:
    number = set_record(ctt_tree / SS_LOG, "result_min_queries_met", "yes")
    finding = only(ctt_tree, "PE020")
    assert (finding.path, finding.line, finding.found) == (SS_LOG, number, "yes")
    assert "not a boolean" in finding.message


def test_pe020_fail_invalid_although_every_criterion_met(ctt_tree: Path) -> None:
    number = set_record(ctt_tree / OFFLINE_LOG, "result_validity", "INVALID")
    finding = only(ctt_tree, "PE020")
    assert (finding.path, finding.line, finding.key) == (OFFLINE_LOG, number, "result_validity")
    assert (finding.expected, finding.found) == ("VALID", "INVALID")


def test_pe020_silent_without_a_verdict(ctt_tree: Path) -> None:
    drop_record(ctt_tree / OFFLINE_LOG, "result_validity")  # PE003 reports the unfinished run
    set_record(ctt_tree / OFFLINE_LOG, "result_min_duration_met", False)
    assert findings(ctt_tree, "PE020") == []
