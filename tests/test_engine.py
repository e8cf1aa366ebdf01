"""The one engine: crash policy, verdicts, selections, engine codes and the CLI conventions every suite shares.

Runs on the bundled demo fixtures (made with real LoadGen), so it needs no shared data.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker import engine, table
from checker.cli import main
from checker.engine import Selection, SelectionError
from checker.registry import REGISTRY, load_all
from tests.conftest import DEMO_OFFLINE, DEMO_RULES, check_demo_json

REPO = Path(__file__).resolve().parent.parent
OFFLINE = DEMO_OFFLINE


@pytest.fixture
def tree(demo_tree: Path) -> Path:
    return demo_tree


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def check_json(root: Path, *extra: str) -> tuple[int, dict]:
    return check_demo_json(root, *extra)


def crash(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx: object) -> None:
        raise OverflowError("int too large to convert to float")

    load_all()
    monkeypatch.setitem(REGISTRY, code, dataclasses.replace(REGISTRY[code], func=boom))


# --- crash policy --------------------------------------------------------------------------------------------
def test_crashing_result_rule_rejects_the_result_and_the_run_goes_on(tree: Path, monkeypatch) -> None:
    crash("PE012", monkeypatch)
    code, doc = check_json(tree)
    assert code == 1
    crashes = [f for f in doc["findings"] if f["code"] == "EN001"]
    assert {f["unit"] for f in crashes} == {
        f"closed/SubcheckDemo/results/demo_cpu_numpy/digits/{s}"
        for s in ("MultiStream", "Offline", "Server", "SingleStream")
    }
    first = crashes[0]
    assert first["severity"] == "error" and "rule PE012 crashed" in first["message"]
    assert first["found"].startswith("test_engine.py:") and first["extra"]["rule"] == "PE012"
    assert "traceback" not in first["extra"]
    assert doc["summary"]["results_rejected"] == 4 and doc["rejected"]
    assert all(not r["Valid"] and "EN001" in r["Findings"] for r in doc["results"])


def test_debug_keeps_the_traceback(tree: Path, monkeypatch) -> None:
    crash("PE012", monkeypatch)
    _, doc = check_json(tree, "--debug")
    assert "OverflowError" in next(f for f in doc["findings"] if f["code"] == "EN001")["extra"]["traceback"]


def test_crashing_system_rule_rejects_every_result_of_the_system(tree: Path, monkeypatch) -> None:
    system_rule = next(
        r.code
        for r in sorted(load_all().values(), key=lambda r: r.code)
        if r.scope == "system" and r.suite == "inference"
    )
    crash(system_rule, monkeypatch)
    code, doc = check_json(tree)
    assert code == 1
    assert all("system:EN001" in r["Findings"] for r in doc["results"])


def test_crashing_audit_run_rule_is_reported_with_the_audit(tree: Path, monkeypatch) -> None:
    crash("PE006", monkeypatch)
    _, doc = check_json(tree, "--select", "CO003")
    crashes = [f for f in doc["findings"] if f["code"] == "EN001"]
    assert crashes and all("PE006" in f["message"] for f in crashes)


def test_ignoring_the_crash_code_is_an_explicit_choice(tree: Path, monkeypatch) -> None:
    crash("PE012", monkeypatch)
    code, doc = check_json(tree, "--ignore", "EN001")
    assert code == 0 and not [f for f in doc["findings"] if f["code"] == "EN001"]


# --- every result has a row; nothing checkable is not a pass -------------------------------------------------
def test_a_result_whose_row_cannot_be_made_is_rejected_not_dropped(tree: Path, monkeypatch) -> None:
    def broken(ctx: object) -> list:
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr("checker.suites.inference.result_row", broken)
    code, doc = check_json(tree)
    assert code == 1 and doc["summary"]["results_checked"] == 4
    assert len(doc["results"]) == 4 and all(r["Findings"] == "EN003" for r in doc["results"])
    assert {r["Location"] for r in doc["results"]} >= {OFFLINE}
    en003 = [f for f in doc["findings"] if f["code"] == "EN003"]
    assert len(en003) == 4 and "OverflowError" in en003[0]["message"]


def test_a_result_without_a_row_and_without_findings_is_rejected(tree: Path, monkeypatch) -> None:
    monkeypatch.setattr("checker.suites.inference.result_row", lambda ctx: [])
    code, doc = check_json(tree)
    assert code == 1 and all(r["Findings"] == "EN003" and r["Valid"] is False for r in doc["results"])


def test_submitter_without_results_is_an_error(tree: Path) -> None:
    (tree / "closed" / "Empty").mkdir()
    code, doc = check_json(tree)
    en002 = [f for f in doc["findings"] if f["code"] == "EN002"]
    assert code == 1 and [(f["path"], f["severity"]) for f in en002] == [("closed/Empty", "error")]


def test_division_without_submitters_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "closed").mkdir()
    code, doc = check_json(tmp_path)
    assert code == 1 and [f["path"] for f in doc["findings"] if f["code"] == "EN002"] == ["."]


@pytest.mark.parametrize("suite", ["inference", "training", "endpoints"])
def test_an_empty_folder_cannot_be_checked_in_any_suite(tmp_path: Path, suite: str) -> None:
    code, out = run("check", str(tmp_path), "--suite", suite, "--version", "v1.0" if suite == "endpoints" else "v4.1")
    assert code == 2 and "subcheck:" in out and "Traceback" not in out


@pytest.mark.parametrize("suite", ["inference", "training"])
def test_unknown_submitter_is_a_usage_error_in_every_suite(tree: Path, suite: str) -> None:
    code, out = run("check", str(tree), "--suite", suite, "--version", "v4.1", "--submitter", "NoSuch")
    assert code == 2 and "NoSuch" in out


# --- selections --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_code_or_prefix_is_a_usage_error_with_a_suggestion(tree: Path, option: str) -> None:
    code, out = run("check", str(tree), "--rules", DEMO_RULES, option, "PE06")
    assert code == 2 and "unknown rule code or prefix 'PE06'" in out and "did you mean" in out and "PE006" in out
    code, out = run("check", str(tree), "--rules", DEMO_RULES, option, "XX999")
    assert code == 2 and "XX999" in out


def test_every_listed_code_can_be_selected_and_ignored() -> None:
    codes = sorted(load_all(audit=True))
    for code in codes:
        assert Selection((code,), ()).validate(codes)(code)
        assert not Selection((), (code,)).validate(codes)(code)
    with pytest.raises(SelectionError):
        Selection(("ZZ",)).validate(codes)


def test_engine_codes_go_through_the_selection() -> None:
    problem = engine.Problem("x", "m")
    assert engine.emit("CI001", problem, "x", Selection()) and not engine.emit(
        "CI001", problem, "x", Selection(ignore=("CI",))
    )
    for code in ("EN001", "EN002", "EN003", "CI001", "CI002", "WV001", "WV002", "WV003"):
        assert REGISTRY[code].scope == "engine" and REGISTRY[code].doc


def test_unused_waiver_finding_can_be_ignored(tree: Path, tmp_path: Path) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text("- code: PE006\n  path: 'nowhere/*'\n  reason: r\n  approved_by: a\n  expires: '2999-01-01'\n")
    _, doc = check_json(tree, "--waivers", str(waivers))
    assert [f["code"] for f in doc["findings"] if f["code"].startswith("WV")] == ["WV002"]
    _, doc = check_json(tree, "--waivers", str(waivers), "--ignore", "WV002")
    assert not [f for f in doc["findings"] if f["code"].startswith("WV")]


# --- paths and rounds ----------------------------------------------------------------------------------------
def test_relative_and_linked_roots_give_the_findings_of_the_absolute_path(
    tree: Path, tmp_path: Path, monkeypatch
) -> None:
    (tree / "stray.bin").write_bytes(b"\0")  # a repository-hygiene finding at the root
    _, absolute = check_json(tree)
    link = tmp_path / "link"
    link.symlink_to(tree)
    monkeypatch.chdir(tree / "closed")
    for spelling in ("..", "../../tree", str(link)):
        _, doc = check_json(Path(spelling))
        assert doc["findings"] == absolute["findings"], spelling
        assert doc["results"] == absolute["results"], spelling
    assert any(f["path"] == "stray.bin" for f in absolute["findings"])


def test_empty_version_is_a_usage_error(tree: Path) -> None:
    code, out = run("check", str(tree), "--version", "")
    assert code == 2 and "--version is empty" in out


def test_the_verdict_line_says_how_the_round_was_chosen(tree: Path) -> None:
    code, out = run("check", str(tree), "-j", "1")
    assert re.search(r"checked against v6\.1 \(detected v6\.1 from \d+ sampled LoadGen logs", out), out


# --- commands that describe the rules ------------------------------------------------------------------------
def test_rules_lists_the_suites_own_benchmarks() -> None:
    code, out = run("rules", "--suite", "training", "--version", "v4.1")
    assert code == 0 and "Benchmarks in training v4.1: bert," in out and "resnet" not in out
    assert "EN001" in out and "PE006" not in out


def test_explain_says_where_the_rule_lives_and_what_it_reads() -> None:
    code, out = run("explain", "PE006")
    assert code == 0 and re.search(r"Defined at: checker/checks/performance\.py:\d+", out)
    assert "Rule-file keys it reads: " in out and "seeds" in out
    code, out = run("explain", "EN001")
    assert code == 0 and "emitted by the engine" in out
    code, out = run("explain", "PE06")
    assert code == 2 and "did you mean" in out


def test_columns_come_from_the_rule_file() -> None:
    from checker.rounds import Round

    assert "Valid" in table.columns(Round.load("inference", "demo", DEMO_RULES))


# --- structure -----------------------------------------------------------------------------------------------
def _sources() -> dict[str, str]:
    return {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8") for p in (REPO / "checker").rglob("*.py")}


def test_one_process_pool_and_one_mllog_reader() -> None:
    sources = _sources()
    pools = [p for p, text in sources.items() if "ProcessPoolExecutor(" in text]
    assert pools == ["checker/workers.py"]
    readers = [p for p, text in sources.items() if re.search(r"^(MARKER|TOKEN) = \":::MLLOG", text, re.M)]
    assert len(readers) == 1, readers
    assert not (REPO / "reference_sut" / "mllog.py").exists()


def test_library_code_never_exits() -> None:
    allowed = {
        "checker/commandline.py",
        "checker/cli.py",
        "checker/cli_app.py",
        "checker/ci.py",
        "checker/audit/command.py",
        "checker/bench.py",
        "checker/demo.py",
        "checker/differential/__main__.py",
        "checker/prepare/command.py",
    }
    offenders = [p for p, text in _sources().items() if "sys.exit(" in text and p not in allowed]
    assert not offenders


def test_no_module_is_huge() -> None:
    sizes = {p: text.count("\n") for p, text in _sources().items()}
    assert max(sizes.values()) <= 430, max(sizes.items(), key=lambda i: i[1])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a writable tmp tree only")
def test_the_checked_tree_is_never_written(tree: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in tree.rglob("*")}
    check_json(tree)
    assert {p: p.stat().st_mtime_ns for p in tree.rglob("*")} == before


def test_every_code_documents_a_passing_and_a_failing_example() -> None:
    registry = load_all(audit=True)
    missing = [code for code, r in sorted(registry.items()) if "Passes" not in r.doc or "Fails" not in r.doc]
    assert not missing


def test_check_starts_without_the_audit_rules_and_pandas(tree: Path) -> None:
    """The reviewer audits need pandas (half a second to import); a plain check must not pay for them."""
    import subprocess
    import sys

    script = (
        "import sys\nfrom checker.cli import main\n"
        f"try:\n    main(['check', {str(tree)!r}, '--rules', {DEMO_RULES!r}, '-j', '1', '--format', 'json'])\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write('pandas' if 'pandas' in sys.modules else 'no pandas')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.stderr.endswith("no pandas"), done.stderr[-500:]
