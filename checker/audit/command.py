"""``subcheck audit``: check a round, then look across its results the way a reviewer does."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from checker import commandline as cl
from checker.audit.base import HistoryRound
from checker.audit.config import load_config
from checker.audit.frame import results_frame
from checker.audit.runner import build_context, results_of, run_audit
from checker.discovery import DiscoveryError, Tree, discover
from checker.engine import Report, Selection, default_jobs, run_checks
from checker.findings import Finding
from checker.options import RunOptions
from checker.rounds import Round
from checker.ruleset import RulesetError
from checker.suites import is_training_tree


def check_round(
    path: Path,
    rules: Round,
    jobs: int,
    options: RunOptions,
    chosen: Selection | None = None,
    rules_path: str | None = None,
) -> tuple[Report, Tree]:
    """Discover and check ``path`` exactly as ``subcheck check`` does; returns the report and the tree."""
    try:
        tree = discover(path, rules["layout"])
    except DiscoveryError as exc:
        cl.fail(str(exc))
    return run_checks(tree, rules, jobs=jobs, options=options, selection=chosen, rules_path=rules_path), tree


def audit_report(report: Report, audit_findings: list[Finding]) -> Report:
    """The check's findings plus the audit findings, and the results table with an ``Audit`` column of AU codes."""
    codes: dict[str, set[str]] = {}
    for finding in audit_findings:
        for location in results_of(finding):
            codes.setdefault(location, set()).add(finding.code)
    rows = [{**row, "Audit": " ".join(sorted(codes.get(row.get("Location", ""), ())))} for row in report.rows]
    findings = [*report.findings, *audit_findings]
    return replace(report, findings=findings, rows=rows, columns=[*report.columns, "Audit"])


@click.command("audit")
@click.argument("path", type=click.Path(path_type=Path))
@cl.shared_options("version", "rules")
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
@cl.shared_options("format", "output", "jobs", "select", "ignore", "waivers", "published", "debug", "view", "plugin")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Audit thresholds (default: rules/audit/defaults.yaml).")  # fmt: skip
@click.option("--timing", is_flag=True, help="Print the check and audit times to standard error.")
def audit(
    path: Path,
    version: str | None,
    rules_file: Path | None,
    history: tuple[Path, ...],
    history_version: str | None,
    html_file: Path | None,
    fmt: str,
    output: Path | None,
    jobs: int | None,
    select: str | None,
    ignore: str | None,
    waivers: Path | None,
    published: bool,
    debug: bool,
    config_file: Path | None,
    timing: bool,
) -> None:
    """Check the round at PATH, then audit it across results (AU findings, severity review).

    Exit code follows the check: 0 without errors, 1 with errors, 2 when it could not run. Audit findings
    are for reviewers and never fail the run on their own.
    """
    root = cl.resolve_root(path)
    if html_file:
        cl.make_folder(html_file)  # before the run: a report that cannot be written fails fast
    given = cl.with_config(root, version=version, select=select, ignore=ignore, waivers=waivers,
                           rules_file=rules_file)  # fmt: skip
    version, select, ignore, waivers = (given[k] for k in ("version", "select", "ignore", "waivers"))
    suite = "training" if rules_file is None and is_training_tree(root) else "inference"
    chosen = cl.selection(select, ignore, (suite, "audit"))
    rules, evidence = cl.choose_round(root, suite, version, rules_file)
    try:
        config = load_config(str(config_file) if config_file else None)
    except RulesetError as exc:
        cl.fail(f"audit threshold problem: {exc}")
    jobs = jobs or default_jobs()
    options = RunOptions(published=published, debug=debug)
    if suite == "training":
        result = training_audit(root, rules, config, jobs, options, chosen, bool(history or html_file))
        result.evidence = given["evidence"] or evidence
        cl.apply_waivers_or_fail(result, waivers, chosen)
        cl.emit(result, fmt, output)
        sys.exit(result.exit_code)
    rules_path = str(rules_file.resolve()) if rules_file else None
    started = time.perf_counter()
    report, tree = check_round(root, rules, jobs, options, chosen, rules_path)
    report.evidence = given["evidence"] or evidence
    checked = time.perf_counter()
    past = []
    past_rules = cl.load_round(history_version, None) if history_version else rules
    for earlier in history:
        past_report, _ = check_round(cl.resolve_root(earlier), past_rules, jobs, options, rules_path=rules_path)
        frame = results_frame(past_report.rows, past_rules, config["evidence"]["variant_suffix"])
        past.append(HistoryRound(str(earlier), past_rules.version, frame))
    history_done = time.perf_counter()
    ctx = build_context(report, tree, rules, config, past)
    findings = run_audit(ctx, chosen)
    audited = time.perf_counter()
    result = audit_report(report, findings)
    cl.apply_waivers_or_fail(result, waivers, chosen)
    cl.emit(result, fmt, output)
    if html_file:
        from checker.audit.html import write_html

        try:
            write_html(result, ctx, findings, html_file)
        except OSError as exc:
            cl.fail(f"cannot write {html_file}: {exc.strerror or exc}")
    if timing:
        click.echo(
            f"check {checked - started:.2f} s, history {history_done - checked:.2f} s, "
            f"audit {audited - history_done:.2f} s, output {time.perf_counter() - audited:.2f} s",
            err=True,
        )
    sys.exit(result.exit_code)


def training_audit(
    root: Path, rules: Round, config: dict, jobs: int, options: RunOptions, chosen: Selection, inference_only: bool
) -> Report:
    """The training round checked and audited (checker.audit.training); --history and --html are inference-only."""
    from checker.audit.training import audit_training
    from checker.suites import suite_named

    if inference_only:
        cl.fail("--history and --html audit inference rounds only; leave them out for a training tree")
    if "training" not in config:
        cl.fail("the audit thresholds lack the training section; copy it from rules/audit/defaults.yaml")
    try:
        tree = suite_named("training").discover(root, rules, None)
    except DiscoveryError as exc:
        cl.fail(str(exc))
    return audit_training(root, tree, rules, config, jobs, options, chosen)
