"""Waivers: matched findings are marked waived and stop failing; expired, unused and broken waivers are findings."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from checker.discovery import discover
from checker.engine import Report, run_checks
from checker.findings import Finding, Severity
from checker.registry import load_all
from checker.rounds import Round
from checker.waivers import WaiverError, apply_waiver_file, apply_waivers, load_waivers
from tests import trees
from tests.trees import Tree

UNIT = "closed/ConnectTechInc/results/Orin_TRT/gptj-99/Offline"
LOG = f"{UNIT}/performance/run_1/mlperf_log_detail.txt"
TODAY = date(2025, 6, 1)
tree = trees.tree  # each test taking ``tree`` runs on the real ConnectTechInc copy and on the demo copy


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return path


def waiver(code: str = "PE006", path: str = "closed/*/Orin_TRT/*", expires: str = "2025-06-01") -> str:
    return (
        f"- code: {code}\n  path: '{path}'\n  reason: seed agreed with WG\n  approved_by: chair\n  expires: {expires}\n"
    )


def finding(code: str = "PE006", path: str = LOG, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(code, severity, path, "seed differs", "fix", UNIT)


def test_matching_waiver_marks_finding_and_it_no_longer_fails(tmp_path: Path) -> None:
    waivers = load_waivers(write(tmp_path, waiver()))
    out = apply_waivers([finding(), finding("PE007")], waivers, TODAY)
    assert out[0].waived and "seed agreed with WG" in out[0].waived and not out[0].fails
    assert out[1].waived is None and out[1].fails
    assert len(out) == 2  # used and live: no finding about the waiver


def test_expired_waiver_stops_waiving_and_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "# waivers\n" + waiver(expires="2025-05-31"))
    out = apply_waivers([finding()], load_waivers(path, "waivers.yaml"), TODAY)
    assert out[0].fails
    expired = [f for f in out if f.code == "WV001"]
    assert len(expired) == 1 and expired[0].severity is Severity.WARNING
    assert expired[0].path == "waivers.yaml" and expired[0].line == 2


def test_unused_waiver_is_a_warning_only_in_scope(tmp_path: Path) -> None:
    waivers = load_waivers(write(tmp_path, waiver(path="open/*")))
    out = apply_waivers([finding()], waivers, TODAY)
    assert [f.code for f in out] == ["PE006", "WV002"] and out[1].severity is Severity.WARNING
    assert [f.code for f in apply_waivers([finding()], waivers, TODAY, checked_paths={LOG})] == ["PE006"]
    in_scope = apply_waivers([finding()], waivers, TODAY, checked_paths={"open/X/results/a.txt"})
    assert [f.code for f in in_scope] == ["PE006", "WV002"]


@pytest.mark.parametrize(
    ("text", "json_path"),
    [
        ("- code: PE006\n  path: x\n", "$[0]"),
        (waiver(code="pe6"), "$[0].code"),
        (waiver(code="XX999"), "$[0].code"),
        (waiver(code="WV001"), "$[0].code"),
        (waiver() + waiver(expires="2025-02-30"), "$[1].expires"),
        (waiver() + "- {code: PE006, path: x, reason: ' ', approved_by: a, expires: 2025-01-01}\n", "$[1].reason"),
        ("code: PE006\n", "$"),
        ("- [unclosed\n", "$"),
    ],
)
def test_broken_file_names_the_json_path(tmp_path: Path, text: str, json_path: str) -> None:
    with pytest.raises(WaiverError) as info:
        load_waivers(write(tmp_path, text))
    assert info.value.json_path == json_path
    assert "WV003" in str(info.value)


def test_codes_are_documented() -> None:
    registry = load_all()
    for code in ("WV001", "WV002", "WV003", "CI001", "CI002"):
        assert registry[code].doc and registry[code].fix


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--waivers", type=click.Path(path_type=Path), default=None)
@click.option("--version", default="v4.1")
@click.option("--rules", "rules_path", default=None)
def check_with_waivers(path: Path, waivers: Path | None, version: str, rules_path: str | None) -> None:
    """A stand-in for `subcheck check --waivers` (the lead wires the real option): exit codes as check."""
    load_all()
    rules = Round.load("inference", version, rules_path)
    report = run_checks(discover(path, rules["layout"]), rules, rules_path=rules_path)
    if waivers:
        try:
            apply_waiver_file(report, waivers, TODAY)
        except WaiverError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
    click.echo(json.dumps({"findings": [f.to_record() for f in report.findings], "rejected": report.rejected}))
    sys.exit(report.exit_code)


def test_check_with_waiver_passes_and_still_reports(tree: Tree, tmp_path: Path) -> None:
    tree.break_seed()
    runner = CliRunner()
    args = [str(tree.root), *tree.round_args]
    assert runner.invoke(check_with_waivers, args).exit_code == 1
    scope = f"closed/*/{tree.system_name}/*"
    result = runner.invoke(check_with_waivers, [*args, "--waivers", str(write(tmp_path, waiver(path=scope)))])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    pe006 = [f for f in doc["findings"] if f["code"] == "PE006"]
    assert pe006 and all(f["waived"] for f in pe006)
    assert doc["rejected"] == []
    broken = runner.invoke(check_with_waivers, [*args, "--waivers", str(write(tmp_path, waiver(code="x")))])
    assert broken.exit_code == 2 and "$[0].code" in broken.output


def test_refresh_keeps_results_rejected_by_unwaived_errors(tmp_path: Path) -> None:
    result = {"Location": UNIT, "depends": [], "rows": [{"Location": UNIT}], "stub": {}}
    report = Report(".", "v4.1", findings=[finding(), finding("PE007")], results=[result])
    apply_waiver_file(report, write(tmp_path, waiver()), TODAY)
    assert report.rows[0]["Valid"] is False and report.rows[0]["Findings"] == "PE007"
    assert report.rejected == [UNIT]
