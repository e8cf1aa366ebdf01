"""The ``subcheck`` command line: check, rules, explain (and the commands other modules add)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

import click

from checker import __version__
from checker.discovery import DiscoveryError, discover
from checker.engine import Selection, default_jobs, run_checks
from checker.registry import load_all
from checker.reporters import load_reporters
from checker.rounds import Round
from checker.ruleset import RulesetError, available_versions

EXIT_CANNOT_RUN = 2


def _codes(value: str | None) -> tuple[str, ...]:
    return tuple(c.strip().upper() for c in (value or "").split(",") if c.strip())


def _fail(message: str) -> None:
    click.echo(f"subcheck: {message}", err=True)
    sys.exit(EXIT_CANNOT_RUN)


def _progress(stream: TextIO) -> object:
    """A progress callback for terminals; None in CI or when stderr is redirected."""
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        stream.write(f"\rchecked {done}/{total} submitters")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def newest(suite: str) -> str:
    versions = available_versions(suite)
    return versions[-1] if versions else "v6.1"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="subcheck")
def main() -> None:
    """subcheck: check MLPerf submissions before you submit, audit them after."""


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--version", "version", default=None, help="Round whose rules apply (default: the newest).")
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Use this rule file instead of a bundled round.",
)
@click.option("--submitter", default=None, help="Check only this submitter folder.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report to FILE instead of standard output.",
)
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: CPUs).")
@click.option("--select", default=None, help="Only these rule codes or prefixes, comma-separated (e.g. PE,SY001).")
@click.option("--ignore", default=None, help="Skip these rule codes or prefixes, comma-separated.")
def check(
    path: Path,
    version: str | None,
    rules_file: Path | None,
    submitter: str | None,
    fmt: str,
    output: Path | None,
    jobs: int | None,
    select: str | None,
    ignore: str | None,
) -> None:
    """Check the submission tree at PATH and report findings (exit 0 valid, 1 errors, 2 could not run)."""
    load_all()
    suite = "inference"
    version = version or (None if rules_file else newest(suite))
    try:
        rules = Round.load(suite, version or rules_file.stem, str(rules_file) if rules_file else None)  # type: ignore[union-attr]
    except RulesetError as exc:
        _fail(f"rule file problem: {exc}")
    if rules_file is None and version not in available_versions(suite):
        _fail(f"no rules for round {version!r}; known rounds: {', '.join(available_versions(suite))}")
    try:
        tree = discover(path, rules["layout"], submitter)
    except DiscoveryError as exc:
        _fail(str(exc))
    started = time.perf_counter()
    report = run_checks(
        tree,
        rules,
        jobs=jobs or default_jobs(),
        selection=Selection(_codes(select), _codes(ignore)),
        rules_path=str(rules_file) if rules_file else None,
        progress=_progress(sys.stderr),
    )  # type: ignore[arg-type]
    write = load_reporters()[fmt]
    if output:
        with output.open("w", encoding="utf-8", newline="") as stream:
            write(report, stream)
    else:
        write(report, sys.stdout)
    if sys.stderr.isatty():
        click.echo(f"({time.perf_counter() - started:.2f} s)", err=True)
    sys.exit(report.exit_code)


@main.command("rules")
@click.option("--version", "version", default=None, help="Show this round's benchmarks too.")
@click.option("--suite", type=click.Choice(["inference", "training"]), default=None)
def list_rules(version: str | None, suite: str | None) -> None:
    """List every rule code with its one-line summary."""
    registry = load_all()
    for code in sorted(registry):
        rule = registry[code]
        if suite and rule.suite != suite:
            continue
        click.echo(f"{code}  {rule.severity.value:<7}  {rule.summary}")
    if version:
        try:
            rules = Round.load("inference", version)
        except RulesetError as exc:
            _fail(str(exc))
        click.echo(f"\nBenchmarks in {version}: {', '.join(sorted(rules.models))}")


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the documentation of rule CODE: why it exists and how to fix what it finds."""
    registry = load_all()
    rule = registry.get(code.upper())
    if rule is None:
        _fail(f"unknown rule code {code!r}; `subcheck rules` lists them")
    assert rule is not None
    click.echo(f"{rule.code} ({rule.name}), {rule.severity.value}, {rule.suite}, checked per {rule.scope}\n")
    click.echo(rule.doc)
    click.echo(f"\nHow to fix: {rule.fix}")


if __name__ == "__main__":
    main()
