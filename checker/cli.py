"""The ``subcheck`` command line: check, rules, explain (and the commands other modules add)."""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from typing import TextIO

import click

from checker import __version__
from checker.commandline import emit, load_round, newest
from checker.commandline import fail as _fail
from checker.commandline import parse_codes as _codes
from checker.context import RunOptions
from checker.discovery import DiscoveryError, discover
from checker.engine import Report, Selection, default_jobs, run_checks
from checker.registry import load_all
from checker.reporters import load_reporters
from checker.rounds import Round
from checker.ruleset import RulesetError, available_versions


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


class LazyGroup(click.Group):
    """A group whose heavier commands (audit: pandas; ci: git) are imported only when used."""

    lazy = {"audit": "checker.audit.command:audit", "ci": "checker.ci:ci"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, _, attr = self.lazy[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="subcheck")
def main() -> None:
    """subcheck: check MLPerf submissions before you submit, audit them after."""


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--version", "version", default=None, help="Round whose rules apply (default: the newest).")
@click.option(
    "--suite",
    type=click.Choice(["auto", "inference", "training"]),
    default="auto",
    show_default=True,
    help="auto recognises a training tree by its layout.",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Use this inference rule file instead of a bundled round (e.g. rules/demo/demo.yaml).",
)
@click.option("--submitter", default=None, help="Check only this submitter folder.")
@click.option("--format", "fmt", type=click.Choice(sorted(load_reporters())), default="text", show_default=True)
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
@click.option(
    "--waivers",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="YAML file of approved waivers (schemas/waivers.schema.json): matched findings stay visible but do not "
    "fail the run.",
)
@click.option(
    "--published",
    is_flag=True,
    help="Audit a published results repository: content removed on "
    "publication (SDXL images, large logs) is a notice, not an error.",
)
def check(
    path: Path,
    version: str | None,
    suite: str,
    rules_file: Path | None,
    submitter: str | None,
    fmt: str,
    output: Path | None,
    jobs: int | None,
    select: str | None,
    ignore: str | None,
    waivers: Path | None,
    published: bool,
) -> None:
    """Check the submission tree at PATH and report findings (exit 0 valid, 1 errors, 2 could not run)."""
    load_all()
    selection = Selection(_codes(select), _codes(ignore))
    if suite == "training" or (suite == "auto" and rules_file is None and _is_training(path)):
        report = _check_training(path, version, jobs or default_jobs(), selection)
    else:
        report = _check_inference(
            path, version, rules_file, submitter, jobs or default_jobs(), selection, RunOptions(published=published)
        )
    if waivers is not None:
        from checker.waivers import WaiverError, apply_waiver_file

        try:
            apply_waiver_file(report, waivers)
        except WaiverError as exc:
            _fail(str(exc))
    emit(report, fmt, output)
    sys.exit(report.exit_code)


def _is_training(path: Path) -> bool:
    from checker.training.run import detect_training_tree

    return path.is_dir() and detect_training_tree(path)


def _check_inference(
    path: Path,
    version: str | None,
    rules_file: Path | None,
    submitter: str | None,
    jobs: int,
    selection: Selection,
    options: RunOptions,
) -> Report:
    rules = load_round(version, rules_file)
    try:
        tree = discover(path, rules["layout"], submitter)
    except DiscoveryError as exc:
        _fail(str(exc))
    started = time.perf_counter()
    report = run_checks(
        tree,
        rules,
        jobs=jobs,
        selection=selection,
        options=options,
        rules_path=str(rules_file) if rules_file else None,
        progress=_progress(sys.stderr),
    )  # type: ignore[arg-type]
    if sys.stderr.isatty():
        click.echo(f"({time.perf_counter() - started:.2f} s)", err=True)
    return report


def _check_training(path: Path, version: str | None, jobs: int, selection: Selection) -> Report:
    from checker.training.run import check_training

    version = version or newest("training")
    if version not in available_versions("training"):
        _fail(f"no training rules for round {version!r}; known: {', '.join(available_versions('training'))}")
    try:
        training = check_training(path, version, jobs=jobs, select=selection)
    except (RulesetError, NotADirectoryError) as exc:
        _fail(str(exc))
    rows = training.wide_rows()
    report = Report(str(path), version, findings=training.findings, rows=rows, columns=list(rows[0]) if rows else [])
    report.results_checked = len(training.rows)
    report.accepted_count = sum(1 for r in training.rows if r.get("Valid"))
    report.rejected = [
        f"{r.get('submitter', '')}/{r.get('system', '')}/{r.get('benchmark', '')}"
        for r in training.rows
        if not r.get("Valid")
    ]
    return report


@main.command("rules")
@click.option("--version", "version", default=None, help="Show this round's benchmarks too.")
@click.option("--suite", type=click.Choice(["inference", "training"]), default=None)
def list_rules(version: str | None, suite: str | None) -> None:
    """List every rule code with its one-line summary."""
    registry = load_all(audit=True)
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
    registry = load_all(audit=True)
    rule = registry.get(code.upper())
    if rule is None:
        _fail(f"unknown rule code {code!r}; `subcheck rules` lists them")
    assert rule is not None
    click.echo(f"{rule.code} ({rule.name}), {rule.severity.value}, {rule.suite}, checked per {rule.scope}\n")
    click.echo(rule.doc)
    click.echo(f"\nHow to fix: {rule.fix}")


@main.command()
@click.argument("result_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option(
    "--tolerance",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Allowed relative shortfall of each measured number against the claim.",
)
@click.option(
    "--backend",
    type=click.Choice(["numpy", "torch", "onnxruntime"]),
    default=None,
    help="Reference SUT backend (default: numpy on cpu, torch on cuda).",
)
@click.option(
    "--onnx-model",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Run this ONNX model through onnxruntime instead of the bundled weights.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def reproduce(
    result_dir: Path, device: str, tolerance: float, backend: str | None, onnx_model: Path | None, fmt: str
) -> None:
    """Re-run RESULT_DIR's benchmark on the reference SUT under its logged LoadGen settings and compare.

    Exit 0 when every claim is reproduced within tolerance, 1 when one is not, 2 when the result
    cannot be reproduced here (the report says what it would need).
    """
    try:
        from reference_sut.reproduce import format_text
        from reference_sut.reproduce import reproduce as run_reproduce
    except ImportError as exc:
        _fail(f"reproduce needs the [sut] extra (pip install 'subcheck[sut]'): {exc}")
    if not result_dir.is_dir():
        _fail(f"{result_dir} is not a result folder")
    report = run_reproduce(result_dir, device=device, tolerance=tolerance, backend=backend, onnx_model=onnx_model)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        click.echo(format_text(report))
    sys.exit({"reproduced": 0, "not_reproduced": 1}.get(report.get("status", ""), 2))


if __name__ == "__main__":
    main()
