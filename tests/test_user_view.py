"""What a person sees: the text report's shape, the view options, values for people, --output and the verdict."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.engine import Report
from checker.findings import Finding, Severity
from checker.reporters.human import human, middle, plain
from checker.reporters.text import Columns, render
from checker.reporters.view import View, width_for
from tests.conftest import DEMO_RULES, REPO, require_data

WRONG_SEED = str(REPO / "fixtures" / "wrong_seed")
REPR = re.compile(r"\[\s*'|\{\s*'|``")  # ['a', ...], {'k': ...} or reStructuredText literals


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), prog_name="subcheck")
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def v41_report() -> dict[str, str]:
    """The default text report and the -v one on the v4.1 sample, and its JSON, checked once."""
    root = str(require_data("inference-v4.1"))
    out = {}
    for name, extra in (("default", ()), ("verbose", ("-v",)), ("notices", ("--show", "notices")), ("json", ())):
        fmt = ("--format", "json") if name == "json" else ()
        code, stdout, _ = run("check", root, "--version", "v4.1", *fmt, *extra)
        assert code == 1
        out[name] = stdout
    return out


def test_v41_default_report_fits_120_columns_150_lines_and_ends_with_the_code_table(v41_report) -> None:  # type: ignore[no-untyped-def]
    lines = v41_report["default"].splitlines()
    assert len(lines) < 150 and max(len(line) for line in lines) <= 120
    table = lines.index("code   severity  count  summary")
    assert [line.split()[0] for line in lines[table + 1 : table + 4]] == ["AC006", "AC007", "AC009"]
    assert lines[-2] == "" and lines[-1].startswith(
        "FAILED: 131 results checked against v4.1, 119 accepted, 12 rejected"
    )
    assert "41 notices that need no action not shown (CO008: 41); --show notices lists them" in lines
    assert not any(" CO008 " in line for line in lines[:table])  # counted, not listed
    assert not REPR.search(v41_report["default"])


def test_v41_findings_are_grouped_under_their_result(v41_report) -> None:  # type: ignore[no-untyped-def]
    lines = v41_report["default"].splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("closed/AMD/results/1xMI300X_2xEPYC-9374F/"
                                                                         "llama2-70b-99.9/Server"))  # fmt: skip
    assert lines[header].endswith("2,520.27 Queries/s  REJECTED (AC006 AC007)")
    assert lines[header + 1].startswith("  accuracy/mlperf_log_accuracy.json: AC006 error:")
    system = lines.index("closed/AMD/systems/8xMI300X_2xEPYC-TURIN.json")
    assert lines[system + 1].startswith("  [host_processor_core_count]: SY003 error:")
    assert any(
        line.startswith("  compliance/TEST01/performance/run_1/mlperf_log_detail.txt:1: PE015") for line in lines
    )


def test_v41_verbose_restores_every_finding_and_every_result(v41_report) -> None:  # type: ignore[no-untyped-def]
    findings = json.loads(v41_report["json"])["findings"]
    verbose = v41_report["verbose"]
    heads = [line for line in verbose.splitlines() if re.match(r"^  \S.*: [A-Z]{2}\d{3} (error|warning|notice)", line)]
    assert len(heads) == len(findings) == 81
    assert verbose.count("      fix: ") == len(findings)  # -v repeats every fix
    assert "not shown" not in verbose and "more results accepted" not in verbose
    assert "closed/Oracle/results/GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT/resnet50/Offline" in verbose
    shown = v41_report["notices"]
    assert shown.count(" CO008 notice: ") == 41 and "more results accepted without findings" in shown


def demo_report() -> Report:
    long = "closed/Acme/results/" + "x" * 150 + "/resnet50/Offline"
    findings = [
        Finding("PE006", Severity.ERROR, f"{long}/performance/run_1/mlperf_log_detail.txt", "seed " * 40, "fix it",
                long, expected=["a.png"] * 12, found={"": ["b", "c"]}, line=47),
        Finding("CO008", Severity.NOTICE, f"{long}/TEST01/verify.txt", "truncated", "Nothing to fix: fine.", long),
        Finding("SY010", Severity.NOTICE, "closed/Acme/systems/s.json", "unknown ``x``", "Check it.",
                "closed/Acme/systems/s", key="x"),
    ]  # fmt: skip
    rows = [{"Location": long, "Result": 12.5, "Units": "Samples/s", "Valid": False, "Findings": "PE006"}]
    return Report("/root", "v4.1", findings, rows, 1, [long])


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_text_report_keeps_every_line_within_the_width(width: int) -> None:
    text = render(demo_report(), View(width=width))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert lines[0].startswith("closed/Acme") and "..." in lines[0] and lines[0].endswith("REJECTED (PE006)")
    assert "a.png, a.png" in text and "(12 in all)" in text and "found: b, c" in text
    assert "unknown `x`" in text and not REPR.search(text)


def test_view_options_choose_what_the_text_report_lists() -> None:
    report = demo_report()
    default = render(report, View())
    assert "Nothing to fix" not in default and "1 notice that needs no action not shown (CO008: 1)" in default
    assert "Nothing to fix: fine." in render(report, View(show_notices=True))
    quiet = render(report, View(quiet=True))
    assert quiet == "FAILED: 1 results checked against v4.1, 0 accepted, 1 rejected; 1 error, 2 notices\n"


def test_width_follows_a_terminal_and_is_120_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "90")
    assert width_for(Terminal()) == 90 and width_for(io.StringIO()) == 120
    monkeypatch.setenv("COLUMNS", "20")
    assert width_for(Terminal()) == 60  # never narrower than a readable minimum


def test_values_and_texts_for_people() -> None:
    assert human(["4655.png", "2569.png"]) == "4655.png, 2569.png" and human({"": [1, 2]}) == "1, 2"
    assert human({"cores": "N/A", "nodes": 2}) == "cores: N/A; nodes: 2" and human(None) == "-"
    assert human(list(range(10)), 30) == "0, 1, 2, 3, 4, ... (10 in all)"
    assert plain("a ``x`` and :class:`~y.Z`") == "a `x` and `y.Z`" and plain("a\nb") == "a\\x0ab"
    assert plain("a\nb", lines=True) == "a\nb" and middle("abcdefghij", 7) == "ab...ij"


def test_min_severity_filters_every_format_but_not_the_exit_code() -> None:
    code, stdout, _ = run("check", WRONG_SEED, "--rules", DEMO_RULES, "--format", "json", "--min-severity", "error")
    assert code == 1 and {f["code"] for f in json.loads(stdout)["findings"]} == {"PE006"}
    code, stdout, _ = run("check", WRONG_SEED, "--rules", DEMO_RULES, "--format", "json")
    assert code == 1 and {f["code"] for f in json.loads(stdout)["findings"]} == {"PE006", "CO008"}
    code, _, stderr = run("check", WRONG_SEED, "--rules", DEMO_RULES, "--min-severity", "loud")
    assert code == 2 and "loud" in stderr


def test_quiet_prints_only_the_verdict() -> None:
    code, stdout, _ = run("check", WRONG_SEED, "--rules", DEMO_RULES, "-q")
    assert code == 1 and stdout == "FAILED: 1 results checked against demo, 0 accepted, 1 rejected; 1 error, 1 notice\n"


def test_output_file_keeps_the_verdict_on_stderr_and_makes_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "report.sarif"
    code, stdout, stderr = run("check", WRONG_SEED, "--rules", DEMO_RULES, "--format", "sarif", "--output", str(target))
    assert code == 1 and stdout == "" and json.loads(target.read_text())["version"] == "2.1.0"
    assert stderr.strip() == "FAILED: 1 results checked against demo, 0 accepted, 1 rejected; 1 error, 1 notice"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, stderr = run("check", WRONG_SEED, "--rules", DEMO_RULES, "--output", str(blocker / "report.txt"))
    assert (
        code == 2
        and stderr == f"subcheck: cannot write {blocker / 'report.txt'}: a file is in the way of its folder {blocker}\n"
    )
    code, stdout, stderr = run("audit", WRONG_SEED, "--rules", DEMO_RULES, "--html", str(blocker / "a" / "r.html"))
    assert code == 2 and stdout == "" and "a file is in the way of its folder" in stderr and "internal" not in stderr


@pytest.mark.parametrize("fmt", ["text", "github", "junit", "sarif"])
def test_no_python_reprs_or_restructuredtext_in_any_format(fmt: str) -> None:
    root = str(require_data("inference-v4.1", "closed", "Google"))
    code, stdout, _ = run("check", root, "--version", "v4.1", "--format", fmt, "-v", "-j", "1")
    assert code == 1 and "4655.png, 2569.png" in stdout.replace("\\n", " ")
    assert not REPR.search(stdout), REPR.search(stdout)


def test_published_ac009_says_there_is_nothing_to_fix() -> None:
    root = str(require_data("inference-v4.1", "closed", "Google"))
    code, stdout, _ = run("check", root, "--version", "v4.1", "--format", "json", "--published", "-j", "1")
    ac009 = [f for f in json.loads(stdout)["findings"] if f["code"] == "AC009"]
    assert code == 0 and len(ac009) == 6
    assert all(f["severity"] == "notice" and f["fix"].startswith("Nothing to fix") for f in ac009)
    assert not any("Add the generated artefacts" in f["fix"] for f in ac009)
    code, stdout, _ = run("check", root, "--version", "v4.1", "--format", "json", "-j", "1")
    assert code == 1 and all(
        f["fix"].startswith("Add the generated artefacts")
        for f in json.loads(stdout)["findings"]
        if f["code"] == "AC009"
    )


def test_findings_of_one_file_sit_under_that_file_with_their_line_or_key() -> None:
    log = "Acme/results/box/bert/result_2.txt"
    findings = [
        Finding("TL008", Severity.WARNING, log, "no eval reaches the target", "Train longer.", "Acme/results/box/bert",
                line=99),
        Finding("TL002", Severity.WARNING, log, "run_stop missing", "Log it.", "Acme/results/box/bert", key="run_stop"),
    ]  # fmt: skip
    lines = render(Report("/root", "v4.1", findings, [], 1, []), View()).splitlines()
    assert lines[:3] == [log, "  [run_stop]: TL002 warning: run_stop missing", "      fix: Log it."]
    assert lines[3:5] == ["  line 99: TL008 warning: no eval reaches the target", "      fix: Train longer."]


def test_result_headers_line_up_where_they_fit_and_never_overflow() -> None:
    rows = [
        ("closed/A/results/s/resnet50/Offline", "1,234 Samples/s", "ok"),
        ("closed/A/results/s/resnet50/Server", "987.6 Queries/s", "REJECTED (PE006)"),
        ("closed/A/results/" + "x" * 90 + "/resnet50/Offline", "5 Samples/s", "ok"),
    ]
    columns = Columns.fit(rows, 120)
    lines = [columns.header(*row, 120) for row in rows]
    assert lines[0].index("Samples/s") == lines[1].index("Queries/s") and lines[0].endswith("  ok")
    assert len(lines[2]) <= 120 and "..." in lines[2] and lines[2].endswith("5 Samples/s  ok")
