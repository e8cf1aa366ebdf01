"""``subcheck audit``: check a round, then look across its results the way a reviewer does."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from checker.audit.base import HistoryRound
from checker.audit.config import load_config
from checker.audit.frame import results_frame
from checker.audit.runner import build_context, results_of, run_audit
from checker.commandline import emit, load_round
from checker.commandline import fail as _fail
from checker.commandline import parse_codes as _codes
from checker.context import RunOptions
from checker.discovery import DiscoveryError, discover
from checker.engine import Report, Selection, default_jobs, run_checks
from checker.findings import Finding
from checker.registry import load_all
from checker.rounds import Round
from checker.ruleset import RulesetError, available_versions


def _round(version: str) -> Round:
    return load_round(version)


def check_round(path: Path, rules: Round, jobs: int, options: RunOptions) -> tuple[Report, object]:
    """Discover and check ``path`` exactly as ``subcheck check`` does; returns the report and the tree."""
    try:
        tree = discover(path, rules["layout"])
    except DiscoveryError as exc:
        _fail(str(exc))
    return run_checks(tree, rules, jobs=jobs, options=options), tree


def audit_report(report: Report, audit_findings: list[Finding]) -> Report:
    """The check's errors plus the audit findings, and the results table with an ``Audit`` column of AU codes."""
    codes: dict[str, set[str]] = {}
    for finding in audit_findings:
        for location in results_of(finding):
            codes.setdefault(location, set()).add(finding.code)
    rows = [{**row, "Audit": " ".join(sorted(codes.get(row.get("Location", ""), ())))} for row in report.rows]
    findings = [f for f in report.findings if f.fails] + audit_findings
    return replace(report, findings=findings, rows=rows, columns=[*report.columns, "Audit"])


@click.command("audit")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--version", "version", default=None, help="Round whose rules apply (default: the newest).")
@click.option(
    "--history",
    "history",
    type=click.Path(path_type=Path, file_okay=False),
    multiple=True,
    help="An earlier round's results root to compare against (repeatable).",
)
@click.option("--history-version", default=None, help="Rules for reading the --history roots (default: --version).")
@click.option("--html", "html_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write a self-contained HTML report to FILE.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report to FILE instead of standard output.")  # fmt: skip
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: CPUs).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Audit thresholds (default: rules/audit/defaults.yaml).")  # fmt: skip
@click.option("--select", default=None, help="Only these audit codes or prefixes, comma-separated.")
@click.option("--published", is_flag=True, help="PATH is a published results repository (see `check --published`).")
@click.option("--timing", is_flag=True, help="Print the check and audit times to standard error.")
def audit(
    path: Path,
    version: str | None,
    history: tuple[Path, ...],
    history_version: str | None,
    html_file: Path | None,
    fmt: str,
    output: Path | None,
    jobs: int | None,
    config_file: Path | None,
    select: str | None,
    published: bool,
    timing: bool,
) -> None:
    """Check the round at PATH, then audit it across results (AU findings, severity review).

    Exit code follows the check: 0 without errors, 1 with errors, 2 when it could not run. Audit findings
    are for reviewers and never fail the run on their own.
    """
    load_all()
    version = version or (available_versions("inference") or ["v6.1"])[-1]
    rules = _round(version)
    try:
        config = load_config(str(config_file) if config_file else None)
    except RulesetError as exc:
        _fail(f"audit threshold problem: {exc}")
    jobs = jobs or default_jobs()
    options = RunOptions(published=published)
    started = time.perf_counter()
    report, tree = check_round(path, rules, jobs, options)
    checked = time.perf_counter()
    past = []
    past_rules = _round(history_version or version)
    for root in history:
        past_report, _ = check_round(root, past_rules, jobs, options)
        frame = results_frame(past_report.rows, past_rules, config["evidence"]["variant_suffix"])
        past.append(HistoryRound(str(root), past_rules.version, frame))
    history_done = time.perf_counter()
    ctx = build_context(report, tree, rules, config, past)  # type: ignore[arg-type]
    selection = Selection(_codes(select), ())
    findings = run_audit(ctx, selection)
    audited = time.perf_counter()
    result = audit_report(report, findings)
    emit(result, fmt, output)
    if html_file:
        from checker.audit.html import write_html

        write_html(result, ctx, findings, html_file)
    if timing:
        click.echo(
            f"check {checked - started:.2f} s, history {history_done - checked:.2f} s, "
            f"audit {audited - history_done:.2f} s, output {time.perf_counter() - audited:.2f} s",
            err=True,
        )
    sys.exit(result.exit_code)
