"""What every subcheck command shares: the exit code for 'could not run', code lists, rounds, output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from checker.reporters import load_reporters
from checker.rounds import Round
from checker.ruleset import RulesetError, available_versions

EXIT_CANNOT_RUN = 2


def fail(message: str) -> NoReturn:
    """Stop with exit code 2: the check could not run (bad arguments, unreadable input, broken rules)."""
    click.echo(f"subcheck: {message}", err=True)
    sys.exit(EXIT_CANNOT_RUN)


def parse_codes(value: str | None) -> tuple[str, ...]:
    """``PE,sy003`` -> ``("PE", "SY003")``."""
    return tuple(c.strip().upper() for c in (value or "").split(",") if c.strip())


def newest(suite: str) -> str:
    versions = available_versions(suite)
    return versions[-1] if versions else "v6.1"


def load_round(version: str | None, rules_file: Path | None = None, suite: str = "inference") -> Round:
    """The round to check against: a bundled round (default the newest) or a rule file of the user's."""
    if rules_file is None:
        version = version or newest(suite)
        if version not in available_versions(suite):
            fail(f"no rules for round {version!r}; known rounds: {', '.join(available_versions(suite))}")
    try:
        return Round.load(suite, version or rules_file.stem, str(rules_file) if rules_file else None)  # type: ignore[union-attr]
    except RulesetError as exc:
        fail(f"rule file problem: {exc}")


def emit(report: Any, fmt: str, output: Path | None) -> None:
    """Write the report in the chosen format to ``output`` (or standard output)."""
    write = load_reporters()[fmt]
    if output:
        with output.open("w", encoding="utf-8", newline="") as stream:
            write(report, stream)
    else:
        write(report, sys.stdout)
