"""Regression against the published v4.1 round: every submitter passes and every score equals the official one."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from checker.findings import Severity
from checker.training.run import TrainingReport, check_training

from .conftest import OFFICIAL_CSV

SUBMITTERS = [
    "ASUSTeK",
    "Azure",
    "Cisco",
    "FlexAI",
    "Fujitsu",
    "GigaComputing",
    "Google",
    "Krai",
    "Quanta_Cloud_Technology",
    "tinycorp",
]


@pytest.fixture(scope="module")
def report(real_v41: Path) -> TrainingReport:
    return check_training(real_v41, "v4.1", jobs=2)


def test_all_ten_submitters_pass(report: TrainingReport, real_v41: Path) -> None:
    assert sorted(p.name for p in real_v41.iterdir() if p.is_dir()) == SUBMITTERS
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    assert errors == []


def test_only_tolerated_finding_is_tinycorp_missing_run_stop(report: TrainingReport) -> None:
    # tinybox_green/bert/result_2.txt has no run_stop: non-compliant, tolerated by olympic scoring, dropped.
    paths = {f.path for f in report.findings}
    assert paths == {"tinycorp/results/tinybox_green/bert/result_2.txt"}
    assert {f.severity for f in report.findings} == {Severity.WARNING}


def test_scores_equal_official_summary(report: TrainingReport) -> None:
    official = list(csv.DictReader(OFFICIAL_CSV.open(encoding="utf-8")))
    ours = {r["details_url"]: r for r in report.wide_rows()}
    assert len(ours) == len(official) == 25
    compared = 0
    for row in official:
        mine = ours[row["details_url"]]
        for col, value in row.items():
            if col in report.benchmarks:
                if value == "":
                    assert mine[col] is None, (row["details_url"], col)
                    continue
                compared += 1
                assert abs(mine[col] - float(value)) / float(value) < 1e-6, (row["details_url"], col)
            elif col != "private_id":
                assert str(mine[col] if mine[col] is not None else "") == value, (row["details_url"], col)
    assert compared == 42


def test_rcp_factors_equal_committed_scaling(report: TrainingReport) -> None:
    for row in report.rows:
        assert row["RCP"] == "Pass" and row["Valid"], row["path"]
        assert abs(row["computed_rcp_factor"] - row["scaling_factor"]) < 1e-12, row["path"]


def test_serial_and_parallel_agree(report: TrainingReport, real_v41: Path) -> None:
    serial = check_training(real_v41 / "tinycorp", "v4.1", jobs=1)
    moved = [replace(f, path="tinycorp/" + f.path, unit="tinycorp/" + f.unit) for f in serial.findings]
    assert [f for f in report.findings if f.path.startswith("tinycorp/")] == moved
