"""CI output formats: GitHub workflow commands, JUnit XML, SARIF 2.1.0 (validated against the OASIS schema)."""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.engine import Report
from checker.findings import Finding, Severity
from checker.reporters import load_reporters
from checker.reporters.github import annotation, escape_data, escape_property
from tests import trees
from tests.conftest import REPO, data_root
from tests.trees import Tree

UNIT = "closed/ConnectTechInc/results/Orin_TRT/gptj-99/Offline"
SARIF = "sarif-schema-2.1.0.json"
tree = trees.tree  # the real ConnectTechInc copy and the demo copy


def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema, from ``reference/`` beside the data, else beside the checkout (``../shared``).

    It is no MLPerf data: a run pointed away from the data (SUBCHECK_DATA) still validates SARIF when the checkout's
    ``../shared/reference`` holds the schema.
    """
    candidates = [data_root().parent / "reference", REPO.parent / "shared" / "reference"]
    path = next((c / SARIF for c in candidates if (c / SARIF).is_file()), candidates[0] / SARIF)
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"SARIF schema missing under CI: {path}")
        pytest.skip(f"SARIF schema not available: {path}")
    return json.loads(path.read_text())


def sample_report() -> Report:
    findings = [
        Finding(
            "PE006",
            Severity.ERROR,
            f"{UNIT}/performance/run_1/mlperf_log_detail.txt",
            "seed, wrong: 100%\nx",
            "fix it",
            UNIT,
            1,
            2,
            line=45,
        ),
        Finding(
            "ST009",
            Severity.ERROR,
            "closed/ConnectTechInc/results/Orin_TRT/gptj-99",
            "needs SingleStream",
            "add",
            "closed/ConnectTechInc/systems/Orin_TRT",
        ),
        Finding(
            "SY010",
            Severity.NOTICE,
            "closed/ConnectTechInc/systems/Orin_TRT.json",
            "unknown field",
            "spell",
            "closed/ConnectTechInc/systems/Orin_TRT",
            key="x",
        ),
        Finding("ST002", Severity.WARNING, "junk.txt", "stray", "remove", "."),
        Finding("PE001", Severity.ERROR, f"{UNIT}/x", "waived one", "fix", UNIT, waived="accepted by WG"),
    ]
    rows = [{"Location": UNIT, "Valid": False}, {"Location": UNIT.replace("Offline", "SingleStream"), "Valid": True}]
    return Report("/nonexistent/root", "v4.1", findings=findings, rows=rows, results_checked=2, rejected=[UNIT])


def render(fmt: str, report: Report) -> str:
    out = io.StringIO()
    load_reporters()[fmt](report, out)
    return out.getvalue()


def test_github_escaping_and_levels() -> None:
    assert escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    report = sample_report()
    line = annotation(report.findings[0], report.root)
    assert line.startswith(f"::error file={UNIT}/performance/run_1/mlperf_log_detail.txt,line=45,title=PE006::")
    assert "seed, wrong: 100%25%0Ax" in line and "\n" not in line
    lines = render("github", report).splitlines()
    assert [ln.split(" ", 1)[0] for ln in lines[:5]] == ["::error", "::error", "::notice", "::warning", "::notice"]
    assert "[waived: accepted by WG]" in lines[4]
    assert lines[-1].startswith("subcheck FAILED")


def test_junit_one_case_per_result_and_failures() -> None:
    root = ET.fromstring(render("junit", sample_report()))
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert set(cases) == {
        ("closed/ConnectTechInc/Orin_TRT", "gptj-99/Offline"),
        ("closed/ConnectTechInc/Orin_TRT", "gptj-99/SingleStream"),
        ("closed/ConnectTechInc/Orin_TRT", "system description"),
        ("repository", "tree"),
    }
    offline = cases[("closed/ConnectTechInc/Orin_TRT", "gptj-99/Offline")]
    assert [f.get("type") for f in offline.iter("failure")] == ["PE006"]  # the waived error is not a failure
    assert "waived" in offline.find("system-out").text  # type: ignore[union-attr]
    assert not list(cases[("closed/ConnectTechInc/Orin_TRT", "gptj-99/SingleStream")])
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "2"


def test_sarif_validates_and_carries_rules_and_suppressions() -> None:
    doc = json.loads(render("sarif", sample_report()))
    jsonschema.validate(doc, sarif_schema())
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {"PE006", "ST009", "RH001", "WV001", "CI001"} <= set(rules)
    assert not any(code.startswith(("EP", "TL", "TE")) for code in rules)  # other suites' rules stay out
    assert "How to fix" in rules["ST009"]["help"]["text"] and rules["ST009"]["shortDescription"]["text"]
    first = run["results"][0]
    assert first["ruleId"] == "PE006" and first["level"] == "error"
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "PE006"
    location = first["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": f"{UNIT}/performance/run_1/mlperf_log_detail.txt"},
        "region": {"startLine": 45},
    }
    assert [r["level"] for r in run["results"]] == ["error", "error", "note", "warning", "error"]
    assert run["results"][4]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "accepted by WG"}
    ]


@pytest.mark.parametrize("fmt", ["github", "junit", "sarif"])
def test_check_command_offers_the_formats(tree: Tree, fmt: str) -> None:
    tree.break_seed()
    result = CliRunner().invoke(main, ["check", str(tree.root), *tree.round_args, "--format", fmt, "-j", "1"])
    assert result.exit_code == 1, result.output
    if fmt == "sarif":
        doc = json.loads(result.output)
        jsonschema.validate(doc, sarif_schema())
        assert "PE006" in {r["ruleId"] for r in doc["runs"][0]["results"]}
    elif fmt == "junit":
        root = ET.fromstring(result.output)
        classname = f"{tree.sub}/{tree.system_name}"
        names = {c.get("name") for c in root.iter("testcase") if c.get("classname") == classname}
        assert {f"{tree.benchmark}/Offline", f"{tree.benchmark}/SingleStream"} <= names
    else:
        assert "::error file=" in result.output and "title=PE006" in result.output
