"""What people expect of a linter: packaging, --version, a settings file, rounds, JSON rule lists, did-you-mean,
shell completion, and audit with the same options and reporters as check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker import __version__
from checker.cli import main
from checker.registry import load_all
from checker.ruleset import available_versions
from tests.conftest import DEMO_RULES, REPO, require_data

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

VERDICT = "FAILED: 1 results checked against demo, 0 accepted, 1 rejected; 1 error, 1 notice"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), prog_name="subcheck", env=env)
    return result.exit_code, result.stdout, result.stderr


# --- packaging ----------------------------------------------------------------------------------------------


def test_distribution_is_mlperf_subcheck_with_the_subcheck_command_license_and_changelog() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["name"] == "mlperf-subcheck" and project["scripts"] == {"subcheck": "checker.cli:program"}
    assert project["license"] == "Apache-2.0" and "version" in project["dynamic"]
    dist = metadata.distribution("mlperf-subcheck")
    assert dist.version == __version__
    assert [e.value for e in dist.entry_points if e.name == "subcheck"] == ["checker.cli:program"]
    license_text = (REPO / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text and len(license_text.splitlines()) > 150
    assert "## [Unreleased]" in (REPO / "CHANGELOG.md").read_text()


def test_version_flag_works_from_any_folder(tmp_path: Path) -> None:
    script = shutil.which("subcheck", path=str(Path(sys.executable).parent))
    assert script, "the console script is installed next to the interpreter"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([script, "--version"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and done.stdout == f"subcheck, version {__version__}\n"
    done = subprocess.run([script, "rounds"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and "inference  v4.1" in done.stdout  # the bundled rule files are found too


def test_readme_tells_how_to_install_run_and_regenerate() -> None:
    readme = (REPO / "README.md").read_text()
    assert "pip install subcheck" not in readme and "pip install ." in readme
    assert 'pip install "mlperf-subcheck @ git+' in readme
    assert "source .venv/bin/activate" in readme and ".venv/bin/subcheck" in readme
    assert "`make fixtures` rewrites the tracked" in readme
    assert "_SUBCHECK_COMPLETE=bash_source subcheck" in readme and "### Settings file" in readme
    guide = (REPO / "docs" / "adding-a-round.md").read_text()
    assert "extends: v6.1" in guide and "official" in guide and "tests/test_ruleset.py" in guide


def test_shell_completion_script_comes_from_click() -> None:
    code, stdout, _ = run(env={"_SUBCHECK_COMPLETE": "bash_source"})
    assert code == 0 and "_subcheck_completion" in stdout and "complete " in stdout
    code, stdout, _ = run(env={"_SUBCHECK_COMPLETE": "bash_complete", "COMP_WORDS": "subcheck ro", "COMP_CWORD": "1"})
    assert code == 0 and "rounds" in stdout and "rules" not in stdout


# --- rounds, rules, explain ---------------------------------------------------------------------------------


def test_rounds_lists_every_round_with_suite_layout_and_parent() -> None:
    code, stdout, _ = run("rounds")
    assert code == 0
    rows = {tuple(line.split()[:4]) for line in stdout.splitlines()}
    assert ("inference", "v4.1", "-", "split") in rows and ("inference", "v6.0", "v5.1", "merged") in rows
    assert ("training", "v5.0", "v4.1", "training") in rows
    code, stdout, _ = run("rounds", "--format", "json")
    records = json.loads(stdout)["rounds"]
    assert [r["version"] for r in records if r["suite"] == "inference"] == available_versions("inference")
    assert "resnet" in next(r for r in records if r["version"] == "v4.1")["benchmarks"]


def test_rules_json_lists_every_code_for_scripts() -> None:
    code, stdout, _ = run("rules", "--format", "json", "--version", "4.1")
    document = json.loads(stdout)
    assert code == 0 and {r["code"] for r in document["rules"]} == set(load_all(audit=True))
    pe006 = next(r for r in document["rules"] if r["code"] == "PE006")
    assert pe006["severity"] == "error" and pe006["family"] == "PE" and pe006["fix"]
    assert document["round"]["version"] == "v4.1" and "resnet" in document["round"]["benchmarks"]
    assert "``" not in stdout


def test_explain_a_family_lists_its_rules_and_a_short_code_suggests_the_padded_one() -> None:
    code, stdout, _ = run("explain", "pe")
    family = sorted(c for c in load_all(audit=True) if c.startswith("PE"))
    assert code == 0 and stdout.startswith(f"PE: {len(family)} rules")
    assert [line.split()[0] for line in stdout.splitlines()[2:]] == family
    code, _, stderr = run("explain", "PE06")
    assert code == 2 and "did you mean PE006" in stderr
    code, _, stderr = run("explain", "ZZ")
    assert code == 2 and "unknown rule code" in stderr


@pytest.mark.parametrize("given", ["4.1", "V4.1", "v4.1"])
def test_round_names_without_the_v_are_accepted(given: str) -> None:
    code, stdout, _ = run("rules", "--version", given)
    assert code == 0 and "Benchmarks in inference v4.1:" in stdout


def test_check_accepts_a_bare_round_number(tmp_path: Path) -> None:
    demo = REPO / "fixtures" / "valid"
    code, stdout, _ = run("check", str(demo), "--version", "6.1", "-q", "-j", "1")
    assert code in (0, 1) and "checked against v6.1," in stdout
    code, _, stderr = run("check", str(demo), "--version", "9.9")
    assert code == 2 and "'v9.9'" in stderr


# --- the settings file --------------------------------------------------------------------------------------


@pytest.fixture
def seed_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo" / "results"
    shutil.copytree(REPO / "fixtures" / "wrong_seed", root)
    return root


def json_codes(*args: str) -> tuple[int, set[str]]:
    code, stdout, stderr = run(*args, "--format", "json", "-j", "1")
    assert code in (0, 1), stderr
    return code, {f["code"] for f in json.loads(stdout)["findings"]}


def test_settings_file_found_up_the_tree_and_the_command_line_wins(seed_tree: Path) -> None:
    (seed_tree.parent / "subcheck.yaml").write_text("ignore: [CO]\nmin-severity: notice\n")
    submitter = seed_tree / "closed" / "SubcheckDemo"
    assert json_codes("check", str(submitter), "--rules", DEMO_RULES) == (1, {"PE006"})
    assert json_codes("check", str(submitter), "--rules", DEMO_RULES, "--ignore", "PE") == (0, {"CO008"})
    (seed_tree.parent / "subcheck.yaml").write_text("select: PE006\nmin_severity: error\n")
    code, stdout, _ = run("check", str(seed_tree), "--rules", DEMO_RULES, "--min-severity", "notice", "-v")
    assert code == 1 and " PE006 error" in stdout and "CO008" not in stdout


def test_pyproject_table_is_read_and_subcheck_yaml_wins_in_one_folder(seed_tree: Path) -> None:
    project = seed_tree.parent / "pyproject.toml"
    project.write_text('[project]\nname = "results"\n\n[tool.subcheck]\nignore = "PE006"\n')
    assert json_codes("check", str(seed_tree), "--rules", DEMO_RULES) == (0, {"CO008"})
    (seed_tree.parent / "subcheck.yaml").write_text("ignore: CO008\n")
    assert json_codes("check", str(seed_tree), "--rules", DEMO_RULES) == (1, {"PE006"})


def test_search_stops_at_the_repository_top(seed_tree: Path) -> None:
    (seed_tree.parent.parent / "subcheck.yaml").write_text("ignore: PE006\n")  # above the repository
    (seed_tree.parent / ".git").mkdir()
    assert json_codes("check", str(seed_tree), "--rules", DEMO_RULES) == (1, {"PE006", "CO008"})


def test_round_from_the_settings_file_is_named_in_the_verdict(seed_tree: Path) -> None:
    (seed_tree / "subcheck.yaml").write_text(yaml.safe_dump({"version": "v6.1"}))
    code, stdout, _ = run("check", str(seed_tree), "-q", "-j", "1")
    assert code == 1 and f"checked against v6.1 (set by {seed_tree / 'subcheck.yaml'})" in " ".join(stdout.split())
    code, stdout, _ = run("check", str(seed_tree), "-q", "-j", "1", "--version", "v6.0")
    assert code == 1 and "checked against v6.0," in stdout  # the command line wins


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("colour: red\n", "unknown setting 'colour'"),
        ("min_severity: loud\n", "min_severity must be"),
        ("ignore: 3\n", "ignore must be"),
        ("- a\n", "must be a mapping"),
        ("version: [\n", "not valid YAML"),
    ],
)
def test_a_broken_settings_file_is_exit_2_naming_the_file(seed_tree: Path, text: str, problem: str) -> None:
    (seed_tree / "subcheck.yaml").write_text(text)
    code, _, stderr = run("check", str(seed_tree), "--rules", DEMO_RULES)
    assert code == 2 and problem in stderr and str(seed_tree / "subcheck.yaml") in stderr


def test_waivers_path_in_the_settings_file_is_relative_to_it(seed_tree: Path) -> None:
    waiver = "- code: PE006\n  path: closed/**\n  reason: demo\n  approved_by: chair\n  expires: '2999-01-01'\n"
    (seed_tree.parent / "waivers.yaml").write_text(waiver)
    (seed_tree / "subcheck.yaml").write_text("waivers: ../waivers.yaml\n")
    code, stdout, _ = run("check", str(seed_tree), "--rules", DEMO_RULES, "-q")
    assert code == 0 and "1 waived" in stdout  # and the settings file at the root is no stray file (ST002)
    (seed_tree / "settings.yaml").write_text("x: 1\n")
    code, stdout, _ = run("check", str(seed_tree), "--rules", DEMO_RULES, "--format", "json")
    assert code == 1 and [f["path"] for f in json.loads(stdout)["findings"] if f["code"] == "ST002"] == [
        "settings.yaml"
    ]


# --- audit shares check's options and reporters -------------------------------------------------------------


def test_audit_text_report_keeps_warnings_and_notices_and_takes_ignore_and_ci_formats(tmp_path: Path) -> None:
    root = str(require_data("inference-v4.1", "closed", "Google"))
    code, stdout, _ = run("audit", root, "--version", "v4.1", "-j", "1", "--show", "notices")
    assert code == 1 and " PE015 warning: " in stdout and " DV003 notice: " in stdout and " CO008 notice: " in stdout
    assert stdout.splitlines()[-1].startswith("FAILED: 16 results checked against v4.1")
    code, stdout, _ = run("audit", root, "--version", "v4.1", "-j", "1", "--ignore", "PE015,CO", "--format", "github")
    assert code == 1 and "title=AC009" in stdout and "PE015" not in stdout and "CO008" not in stdout
    report = tmp_path / "out" / "audit.sarif"
    code, _, stderr = run("audit", root, "--version", "4.1", "-j", "1", "--format", "sarif", "--output", str(report))
    assert code == 1 and json.loads(report.read_text())["runs"][0]["results"]
    assert stderr.strip().startswith("FAILED: 16 results checked against v4.1")


def test_make_demo_says_how_to_run_subcheck_afterwards(capfd: pytest.CaptureFixture[str]) -> None:
    from checker import demo

    assert demo.main() == 0
    out, err = capfd.readouterr()
    assert "PASSED: 4 results checked against demo" in out
    venv = os.path.relpath(Path(sys.executable).parent)
    assert f"not on your PATH: run `source {venv}/activate`" in err and f"`{venv}/subcheck ...`" in err
