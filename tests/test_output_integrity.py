"""Every reporter prints damaged file names safely, CSV cells cannot run as formulas, and verdicts agree."""

from __future__ import annotations

import csv
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
from checker.reporters.safe import printable, spreadsheet_cell, uri_path, write_safely
from tests import trees
from tests.test_ci_formats import sarif_schema
from tests.trees import Tree

tree = trees.tree  # the real ConnectTechInc copy (v4.1) and the demo copy (demo round)

FORMATS = ["text", "json", "csv", "github", "junit", "sarif"]
SUB = "closed/Bad\udcffCo"
RESULT = f"{SUB}/results/sys\x1b[31m/gptj-99/Offline"
CLEAN = "closed/Oracle/results/H200-SXM-141GBx8_TRT/gptj-99/Offline"
FORMULA = '=HYPERLINK("http://x","y")'
DAMAGE = "\udcff\n\r\x1b\x00\t\u202e"


def damaged_report() -> Report:
    findings = [
        Finding(
            "PE006",
            Severity.ERROR,
            f"{RESULT}/perf\nFAKE: PASSED\r\x00\t.txt",
            "seed \x1b[2Jwrong\nPASSED: 0 errors",
            "fix\udcfe it",
            RESULT,
            "exp\x07",
            ["found\x00", {"k\n": "v\udcff"}],
            line=3,
        ),
        Finding("ST002", Severity.WARNING, f"{SUB}/stray{DAMAGE}:a,b%.txt", "stray", "remove", SUB, key="k\x1b"),
        Finding("PE001", Severity.ERROR, f"{RESULT}/x", "waived", "fix", RESULT, waived="by WG\n\x1b"),
    ]
    rows = [
        {"SystemName": FORMULA, "Result": -1.5, "Units": "+x", "Location": RESULT, "Valid": False,
         "Findings": "PE006", "notes": "-1.5", "errors": "@SUM(A1)", "framework": "\tcmd"},
        {"SystemName": "ok", "Result": 2.0, "Units": "Samples/s", "Location": CLEAN, "Valid": True, "Findings": "",
         "notes": "-", "errors": "", "framework": "TRT"},
    ]  # fmt: skip
    columns = ["SystemName", "Result", "Units", "Location", "notes", "errors", "framework", "Valid", "Findings"]
    return Report("/nonexistent/root\udcff", "v4.1", findings, rows, 2, [RESULT], columns)


def render(fmt: str, report: Report) -> str:
    out = io.StringIO()
    load_reporters()[fmt](report, out)
    return out.getvalue()


def test_printable_escapes_control_characters_and_surrogate_bytes() -> None:
    assert printable("a\udcffb\n\r\x1b[31m\x00\t\x7f\x85") == "a\\xffb\\x0a\\x0d\\x1b[31m\\x00\\x09\\x7f\\x85"
    assert printable("\u202eevil\u2028\ud800") == "\\u202eevil\\u2028\\ud800"
    assert printable("é 中文 \u00a0x") == "é 中文 \u00a0x"
    assert printable("a\nb\x1b", keep="\n") == "a\nb\\x1b"
    assert printable(3) == "3" and printable(None) == "None"
    assert uri_path("a b/\udcff\n:c") == "a%20b/%FF%0A%3Ac"


def test_spreadsheet_cells_are_neutralised_but_numbers_stay() -> None:
    assert spreadsheet_cell(FORMULA) == "'" + FORMULA
    for cell in ("+1+2", "-A1", "@SUM(A1)", "\tx", "\rx", "-", "-inf"):
        assert spreadsheet_cell(cell).startswith(("'", "\\x")), cell
    for number in ("-1.5", "+2", "-3e-4", ".5", "12"):
        assert spreadsheet_cell(number) == number
    assert spreadsheet_cell(-1.5) == -1.5 and spreadsheet_cell(True) is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_damaged_names_give_clean_output_in_every_format(fmt: str) -> None:
    output = render(fmt, damaged_report())
    output.encode("utf-8")  # no lone surrogate survives
    allowed = {"\n"} | ({"\t"} if fmt == "json" else set())
    bad = {c for c in output if (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F) and c not in allowed}
    assert not bad, (fmt, bad)
    assert "\u202e" not in output
    assert "FAKE" not in {line.split(":")[0].strip() for line in output.splitlines()}
    assert not any(line.startswith("PASSED") for line in output.splitlines())


def test_text_report_escapes_and_groups_findings_under_their_result() -> None:
    report = damaged_report()
    output = render("text", report)
    lines = output.splitlines()
    header = next(line for line in lines if line.startswith(printable(RESULT)))
    assert header.split()[1:] == ["-1.5", "+x", "REJECTED", "(PE006)"] and "sys\\x1b[31m" in output
    below = lines[lines.index(header) + 1 :]
    assert below[0] == (
        "  perf\\x0aFAKE: PASSED\\x0d\\x00\\x09.txt:3: PE006 error: seed \\x1b[2Jwrong\\x0aPASSED: 0 errors"
    )
    assert "      fix: fix\\xfe it" in below and "(waived: by WG\\x0a\\x1b)" in output
    assert [CLEAN, "2", "Samples/s", "ok"] in [line.split() for line in lines]  # a small tree's clean results too
    assert lines[-1].startswith("FAILED: 2 results") and lines[-3].startswith("ST002  warning")
    assert all(len(line) <= 120 for line in lines)


def test_json_is_valid_utf8_with_escaped_names() -> None:
    output = render("json", damaged_report())
    output.encode("ascii")
    document = json.loads(output.encode("utf-8"))
    assert document["root"] == "/nonexistent/root\\xff"
    first = document["findings"][0]
    assert first["path"].startswith(printable(RESULT)) and first["fix"] == "fix\\xfe it"
    assert first["found"] == ["found\\x00", {"k\\x0a": "v\\xff"}]
    assert document["results"][0]["Location"] == printable(RESULT) and document["rejected"] == [printable(RESULT)]


def test_csv_cells_cannot_run_as_formulas() -> None:
    rows = list(csv.DictReader(io.StringIO(render("csv", damaged_report()))))
    first, second = rows
    assert first["SystemName"] == "'" + FORMULA
    assert first["Result"] == "-1.5" and first["notes"] == "-1.5"  # numbers stay numbers
    assert first["Units"] == "'+x" and first["errors"] == "'@SUM(A1)" and first["framework"] == "\\x09cmd"
    assert first["Location"] == printable(RESULT) and second["notes"] == "'-"


def test_junit_and_sarif_stay_well_formed() -> None:
    root = ET.fromstring(render("junit", damaged_report()).encode("utf-8"))
    classes = {c.get("classname") for c in root.iter("testcase")}
    assert "closed/Bad\\xffCo/sys\\x1b[31m" in classes
    doc = json.loads(render("sarif", damaged_report()))
    jsonschema.validate(doc, sarif_schema())
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert uris[1] == "closed/Bad%FFCo/stray%FF%0A%0D%1B%00%09%E2%80%AE%3Aa%2Cb%25.txt"


def test_github_commands_escape_data_and_properties() -> None:
    lines = render("github", damaged_report()).split("\n")
    assert lines[-1] == "" and len(lines) == 3 + 2  # one line per finding, the summary, the final newline
    stray = lines[1]
    assert stray.startswith("::warning file=closed/Bad\\xffCo/stray\\xff%0A%0D\\x1b\\x00\\x09\\u202e%3Aa%2Cb%25.txt,")
    assert "title=ST002::" in stray
    assert "::error file=" in lines[0] and "wrong%0APASSED" in lines[0]


def test_a_result_rejected_only_through_its_system_fails_everywhere() -> None:
    system = "closed/AMD/systems/8xMI300X"
    rel = "closed/AMD/results/8xMI300X/llama2-70b-99/Offline"
    sy003 = Finding("SY003", Severity.ERROR, f"{system}.json", "not an integer", "fix", system, key="cores")
    rows = [{"Location": rel, "Result": 1.0, "Units": "Samples/s", "Valid": False, "Findings": "system:SY003"}]
    report = Report("/nonexistent", "v4.1", [sy003], rows, 1, [rel])
    text = render("text", report)
    assert [rel, "1", "Samples/s", "REJECTED", "(system:SY003)"] in [line.split() for line in text.splitlines()]
    cases = {(c.get("classname"), c.get("name")): c for c in ET.fromstring(render("junit", report)).iter("testcase")}
    failures = list(cases[("closed/AMD/8xMI300X", "llama2-70b-99/Offline")].iter("failure"))
    assert [f.get("type") for f in failures] == ["rejected"] and "system:SY003" in (failures[0].get("message") or "")
    assert ET.fromstring(render("junit", report)).find("testsuite").get("failures") == "2"  # type: ignore[union-attr]
    doc = json.loads(render("sarif", report))
    jsonschema.validate(doc, sarif_schema())
    on_result = [
        r for r in doc["runs"][0]["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == rel
    ]  # fmt: skip
    assert [(r["ruleId"], r["level"]) for r in on_result] == [("SY003", "error")]


def test_a_rejected_result_without_a_row_is_still_listed() -> None:
    rel = "closed/X/results/s/resnet/Offline"
    rows = [{"Location": CLEAN, "Result": 1.0, "Units": "Samples/s", "Valid": True, "Findings": ""}]
    report = Report("/nonexistent", "v4.1", [], rows, 2, [rel])
    assert f"{rel}" in render("text", report) and "REJECTED (rejected)" in render("text", report)
    case = [c for c in ET.fromstring(render("junit", report)).iter("testcase") if c.get("name") == "resnet/Offline"]
    assert [f.get("type") for f in case[0].iter("failure")] == ["rejected"]


def test_an_ascii_stream_gets_escapes_instead_of_an_error() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    write_safely(stream, "é\n")
    stream.flush()
    assert raw.getvalue() == b"\\xe9\n"


def damaged_tree(tree: Tree) -> Tree:
    """The tree with a formula as system name and a stray file whose name holds control bytes and bad UTF-8."""
    system = tree.path(tree.system)
    data = json.loads(system.read_text())
    data["system_name"] = FORMULA
    system.write_text(json.dumps(data))
    stray = os.fsencode(tree.path(tree.sub)) + b"/stray\xff\x1b[31m\nFAKE: PASSED\r\t.txt"
    with open(stray, "wb") as handle:
        handle.write(b"x")
    return tree


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_on_a_tree_with_damaged_names(tree: Tree, fmt: str) -> None:
    root = damaged_tree(tree).root
    result = CliRunner().invoke(main, ["check", str(root), *tree.round_args, "--format", fmt, "-j", "1"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output  # the stray file's name breaks naming rules
    output = result.output
    assert "\x1b" not in output and "\r" not in output
    assert not any(line.startswith("FAKE") for line in output.splitlines())
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(output)))
        assert rows and {r["SystemName"] for r in rows} == {"'" + FORMULA}
    elif fmt == "json":
        paths = {f["path"] for f in json.loads(output)["findings"]}
        assert f"{tree.sub}/stray\\xff\\x1b[31m\\x0aFAKE: PASSED\\x0d\\x09.txt" in paths
    elif fmt == "sarif":
        jsonschema.validate(json.loads(output), sarif_schema())
    elif fmt == "junit":
        ET.fromstring(output.encode("utf-8"))
    else:
        assert "stray\\xff\\x1b[31m" in output, "the stray file is reported under its escaped name"
