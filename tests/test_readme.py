"""Every ``$ subcheck ...`` example in README.md runs and prints what the README shows, so the README cannot drift.

A block is a fenced block whose first line is ``$ subcheck ...``; the lines after it are the expected output. A line
``...`` stands for any number of lines. ``../shared/data`` in a command is the test data (``SUBCHECK_DATA``).
"""

from __future__ import annotations

import re
import shlex

import pytest
from click.testing import CliRunner

from checker.cli import main
from tests.conftest import REPO, data_root, require_data

FENCE = re.compile(r"^```[a-z]*\n(\$ subcheck .*?)^```", re.S | re.M)


def examples() -> list[tuple[str, list[str]]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = []
    for block in FENCE.findall(text):
        lines = block.rstrip("\n").splitlines()
        found.append((lines[0][2:], lines[1:]))
    return found


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` equals ``actual`` line by line, where a line ``...`` matches any run of lines (none too)."""
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(matches(expected[1:], actual[start:]) for start in range(len(actual) + 1))
    return bool(actual) and expected[0].rstrip() == actual[0].rstrip() and matches(expected[1:], actual[1:])


def test_matches_allows_elision_and_nothing_else() -> None:
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"]) and matches(["a", "...", "b"], ["a", "b"])
    assert not matches(["a", "d"], ["a", "b", "d"]) and not matches(["a", "...", "e"], ["a", "b", "d"])


def test_readme_has_examples() -> None:
    commands = [command for command, _ in examples()]
    assert len(commands) >= 4 and any("inference-v4.1" in c for c in commands), commands


@pytest.mark.parametrize(("command", "expected"), examples(), ids=[c for c, _ in examples()])
def test_readme_example_prints_what_the_readme_shows(
    command: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = shlex.split(command)[1:]
    if any("../shared/data" in arg for arg in argv):
        require_data()
        argv = [arg.replace("../shared/data", str(data_root())) for arg in argv]
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, argv, prog_name="subcheck", terminal_width=120)
    actual = result.output.rstrip("\n").splitlines()
    assert matches(expected, actual), "\n".join(["README shows:", *expected, "", "the command prints:", *actual])
