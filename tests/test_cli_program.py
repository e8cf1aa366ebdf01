"""The ``subcheck`` program's own path (checker.cli): a plain re-check of an unchanged tree is written before click
loads, byte for byte what the click command writes, with its exit code; every other case (a changed tree, a
settings file, an option it does not read, a value click refuses) goes to click, which decides as always, and a
miss is compared once. Also: the run key changes with any of the checker's own files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import checker.recheck
from checker.cli import parse_check

from .conftest import DEMO_RULES, REPO

# The program in a child: an entry's times are trusted at once (the tree was copied a moment ago); how it ended
# (served before click, or through click) and how many stored manifests it compared, as the last line of stderr.
_SCRIPT = """
import atexit, json, os, sys
import checker.recheck as r
r.SETTLE_NS = 0
compares = []
real_compare, real_exit = r.compare, os._exit
def compare(*args):
    compares.append(1)
    return real_compare(*args)
def said():
    print(json.dumps({"click": "click" in sys.modules, "compares": len(compares)}), file=sys.stderr, flush=True)
def end(code):
    said()
    real_exit(code)
r.compare, os._exit = compare, end
atexit.register(said)
sys.argv = ["subcheck", *json.loads(sys.argv[1])]
from checker.cli import program
program()
"""


def _program(args: list[str], cache: Path) -> tuple[int, str, dict]:
    """Run ``subcheck ARGS`` as the program: exit code, standard output, and how it ended."""
    env = {**os.environ, "SUBCHECK_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(args)], capture_output=True, text=True, env=env, cwd=REPO,
        timeout=300, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "extra",
    [
        [], ["-q"], ["--format", "json"], ["-v", "-j", "2"],
        ["--format=sarif", "--show", "notices", "--min-severity=warning"],
    ],
)  # fmt: skip
def test_an_unchanged_tree_is_written_before_click_loads(demo_tree: Path, tmp_path: Path, extra: list[str]) -> None:
    args = ["check", str(demo_tree), "--rules", DEMO_RULES, *extra]
    first = _program(args, tmp_path / "cache")
    again = _program(args, tmp_path / "cache")
    assert first[2] == {"click": True, "compares": 0}  # nothing stored yet: the click command checked
    assert again[2] == {"click": False, "compares": 1}  # served by the program alone
    assert again[:2] == first[:2] and first[0] in (0, 1) and len(first[1]) > 50


def test_a_changed_tree_goes_to_click_and_is_compared_once(demo_tree: Path, tmp_path: Path) -> None:
    args = ["check", str(demo_tree), "--rules", DEMO_RULES, "--format", "json"]
    first = _program(args, tmp_path / "cache")
    log = next(demo_tree.rglob("mlperf_log_summary.txt"))
    log.write_text(log.read_text().replace("Result is : VALID", "Result is : INVALID"))
    changed = _program(args, tmp_path / "cache")
    assert changed[2] == {"click": True, "compares": 1}  # the program's compare handed to click, not done twice
    fresh = _program([*args, "--no-cache"], tmp_path / "cache")
    assert changed[:2] == fresh[:2] and changed[1] != first[1]


def test_a_settings_file_above_the_tree_goes_to_click(demo_tree: Path, tmp_path: Path) -> None:
    args = ["check", str(demo_tree), "--rules", DEMO_RULES]
    first = _program(args, tmp_path / "cache")
    (demo_tree.parent / "subcheck.yaml").write_text("min_severity: error\n")
    configured = _program(args, tmp_path / "cache")
    assert configured[2]["click"] is True
    assert configured[:2] == _program([*args, "--no-cache"], tmp_path / "cache")[:2]
    assert configured[0] == first[0]


@pytest.mark.parametrize("extra", [["-j", "0"], ["--show", "all"], ["--min-severity", "fatal"]])
def test_a_value_click_refuses_is_refused_with_an_entry_stored(
    demo_tree: Path, tmp_path: Path, extra: list[str]
) -> None:
    args = ["check", str(demo_tree), "--rules", DEMO_RULES]
    assert _program(args, tmp_path / "cache")[0] in (0, 1)
    refused = _program([*args, *extra], tmp_path / "cache")
    assert refused[0] == 2 and refused[2]["click"] is True


@pytest.mark.parametrize(
    ("argv", "read"),
    [
        (["check", "t"], {"path": "t", "show": []}),
        (["check", "-q", "t", "--show", "notices", "--show=results"],
         {"path": "t", "quiet": True, "show": ["notices", "results"]}),
        (["check", "t", "--format", "json", "--format", "csv", "-j", "64"],
         {"path": "t", "fmt": "csv", "jobs": "64", "show": []}),
        (["check", "t", "--rules=r.yaml", "--version", "v4.1", "--published"],
         {"path": "t", "rules": "r.yaml", "version": "v4.1", "published": True, "show": []}),
    ],
)  # fmt: skip
def test_the_program_reads_plain_check_options_as_click_does(argv: list[str], read: dict) -> None:
    assert parse_check(argv) == read


@pytest.mark.parametrize(
    "argv",
    [
        [], ["check"], ["rules"], ["--debug", "check", "t"], ["check", "t", "u"], ["check", "t", "-qv"],
        ["check", "t", "--output", "o.json"], ["check", "t", "--waivers", "w.yaml"], ["check", "t", "--no-cache"],
        ["check", "t", "--plugin", "p"], ["check", "t", "-h"], ["check", "t", "--"], ["check", "t", "-j4"],
        ["check", "t", "-j", "65"], ["check", "t", "-j", "x"], ["check", "t", "--quiet=1"], ["check", "t", "--select"],
        ["check", "t", "--select", "-PE"], ["check", "t", "--version="], ["check", "~/t"], ["check", "t", "-j=2"],
    ],
)  # fmt: skip
def test_anything_else_is_left_to_click(argv: list[str]) -> None:
    assert parse_check(argv) is None


def test_version_is_what_click_says(tmp_path: Path) -> None:
    from checker.cli import main

    env = {**os.environ, "SUBCHECK_CACHE_DIR": str(tmp_path)}
    script = "import sys; sys.argv = ['subcheck', '--version']; from checker.cli import program; program()"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)
    clicked = CliRunner().invoke(main, ["--version"])
    assert (done.returncode, done.stdout) == (clicked.exit_code, clicked.output) == (0, done.stdout)
    assert done.stdout.startswith("subcheck, version ")


def test_any_change_to_the_checkers_files_changes_the_run_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "copy" / "checker"
    for name in ("engine.py", "cli.py", "recheck.py"):
        package.joinpath(name).parent.mkdir(parents=True, exist_ok=True)
        package.joinpath(name).write_text((REPO / "checker" / name).read_text())
    (tmp_path / "copy" / "rules" / "inference").mkdir(parents=True)
    (tmp_path / "copy" / "rules" / "inference" / "v4.1.yaml").write_text("round: v4.1\n")
    monkeypatch.setattr(checker.recheck, "__file__", str(package / "recheck.py"))
    asked = {"submitter": None, "select": None, "ignore": None, "published": False, "debug": False}

    def key() -> str | None:
        return checker.recheck.check_key(str(tmp_path), "auto", None, None, **asked)

    keys = [key(), key()]
    assert keys[0] == keys[1] and keys[0] is not None
    for change in (
        lambda: package.joinpath("engine.py").write_text("# edited in place\n"),
        lambda: package.joinpath("new.py").write_text(""),
        lambda: package.joinpath("cli.py").unlink(),
        lambda: (tmp_path / "copy" / "rules" / "inference" / "v4.1.yaml").write_text("round: v4.1 \n"),
    ):
        change()
        keys.append(key())
        assert keys[-1] not in keys[:-1]
    assert checker.recheck.check_key(str(tmp_path), "inference", None, None, **asked) not in keys


def test_a_served_report_into_a_closed_pipe_ends_quietly_with_exit_1(demo_tree: Path, tmp_path: Path) -> None:
    args = ["check", str(demo_tree), "--rules", DEMO_RULES]
    assert _program(args, tmp_path / "cache")[0] in (0, 1)
    env = {**os.environ, "SUBCHECK_CACHE_DIR": str(tmp_path / "cache")}
    child = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, json.dumps(args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        cwd=REPO,
    )  # fmt: skip
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # the reader left before anything was written
    said = child.stderr.read().decode()
    assert child.wait(timeout=300) == 1 and "Traceback" not in said
    assert json.loads(said.strip().splitlines()[-1]) == {"click": False, "compares": 1}


def test_the_settings_files_the_program_looks_for_are_the_settings_module_s() -> None:
    """The served path steps aside wherever a settings file may apply; it must look for the very files
    :func:`checker.config.find_config` reads, or a setting would be ignored on a served run."""
    from checker import config, settings_places

    assert settings_places.NAMES == (config.CONFIG_FILE, config.PYPROJECT)


def test_settings_are_looked_for_up_to_the_repository_top(tmp_path: Path) -> None:
    """One walk for both readers: the start, each folder above, ending with the one holding .git; a .git that is a
    link loop counts as absent (as ``Path.exists`` says), and a relative start ends at the current folder."""
    from checker.settings_places import settings_folders

    (tmp_path / "repo" / "a" / "b").mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    start = str(tmp_path / "repo" / "a" / "b")
    assert list(settings_folders(start)) == [start, str(tmp_path / "repo" / "a"), str(tmp_path / "repo")]
    (tmp_path / "repo" / ".git").rmdir()
    (tmp_path / "repo" / ".git").symlink_to(tmp_path / "repo" / ".git")
    walked = list(settings_folders(start))
    assert walked[:4] == [start, str(tmp_path / "repo" / "a"), str(tmp_path / "repo"), str(tmp_path)]
    assert walked[-1] == "/"
    assert list(settings_folders("a/b")) == ["a/b", "a", "."]


@pytest.mark.parametrize(
    ("files", "start"),
    [
        ((), "repo/tree"),
        (("repo/.git/",), "repo/tree"),
        (("repo/subcheck.yaml", "repo/.git/"), "repo/tree"),
        (("repo/tree/pyproject.toml",), "repo/tree"),
        (("subcheck.yaml", "repo/.git/"), "repo/tree"),  # above the repository: find_config stops at .git
        (("repo/.git", "repo/pyproject.toml"), "repo/tree"),  # a .git file (a worktree) with settings beside it
    ],
)
def test_the_program_serves_only_where_no_settings_apply(tmp_path: Path, files: tuple[str, ...], start: str) -> None:
    """Where :func:`checker.config.find_config` finds settings, the served path must not answer (it hands to click);
    where it finds none, the served path may answer. A pyproject.toml without [tool.subcheck] only costs a served
    run, never a wrong one."""
    from checker import cli, config

    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            path.mkdir(exist_ok=True)
        elif path.name == "subcheck.yaml":
            path.write_text("version: v4.1\n")
        elif path.name == "pyproject.toml":
            path.write_text("[tool.subcheck]\nversion = 'v4.1'\n")
        else:
            path.write_text("gitdir: elsewhere\n")
    root = tmp_path / start
    root.mkdir(parents=True, exist_ok=True)
    settings_apply = config.find_config(root).path is not None
    assert cli._no_settings(str(root)) is not settings_apply
