"""``subcheck ci``: the CI gate of a results repository: check what a git change touched, nothing else."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from checker.commandline import emit, load_round
from checker.commandline import fail as _fail
from checker.commandline import parse_codes as _codes
from checker.context import RunOptions
from checker.engine import Report, Selection, default_jobs
from checker.gitdiff import Affected, GitChangeError, affected_by, changed_files
from checker.gitsnapshot import snapshot
from checker.incremental import run_incremental
from checker.registry import load_all
from checker.reporters import load_reporters


@click.command("ci")
@click.option(
    "--repo",
    "repo",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="The submission tree (closed/, open/, ...) inside a git work tree.",
)
@click.option("--base", required=True, help="Revision the change starts from (e.g. origin/main, HEAD~1).")
@click.option(
    "--head",
    default=None,
    help="Revision the change ends at, checked from its git objects (default: the working tree, untracked too).",
)
@click.option("--version", "version", default=None, help="Round whose rules apply (default: the newest).")
@click.option("--format", "fmt", type=click.Choice(sorted(load_reporters())), default="text", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write the report here.")
@click.option("--waivers", "waivers", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: CPUs).")
@click.option("--select", default=None, help="Only these rule codes or prefixes, comma-separated.")
@click.option("--ignore", default=None, help="Skip these rule codes or prefixes, comma-separated.")
@click.option("--published", is_flag=True, help="Content removed on publication is a notice, not an error.")
def ci(
    repo: Path,
    base: str,
    head: str | None,
    version: str | None,
    fmt: str,
    output: Path | None,
    waivers: Path | None,
    jobs: int | None,
    select: str | None,
    ignore: str | None,
    published: bool,
) -> None:
    """Check the results a git change touched (BASE..HEAD) and report only findings about the change.

    Exit 0 when the change adds no error, 1 when it does, 2 when it cannot be checked.
    """
    report, affected = ci_report(
        repo,
        base,
        head,
        version=version,
        jobs=jobs or default_jobs(),
        selection=Selection(_codes(select), _codes(ignore)),
        options=RunOptions(published=published),
    )
    if waivers is not None:
        from checker.waivers import WaiverError, apply_waiver_file

        try:
            apply_waiver_file(report, waivers, date.today(), checked_paths=affected.paths | affected.ancestors)
        except WaiverError as exc:
            _fail(str(exc))
    emit(report, fmt, output)
    sys.exit(report.exit_code)


def ci_report(
    repo: Path,
    base: str,
    head: str | None,
    *,
    version: str | None = None,
    jobs: int = 1,
    selection: Selection | None = None,
    options: RunOptions | None = None,
) -> tuple[Report, Affected]:
    """Compute the change, check what it touched; the filtered report and the change (exits 2 on trouble)."""
    load_all()
    rules = load_round(version)
    repo = repo.resolve()  # `--repo .` and a relative path give the findings of the absolute path
    try:
        affected = affected_by(changed_files(repo, base, head))
        if head is None:
            report = run_incremental(repo, rules, affected, jobs=jobs, selection=selection, options=options)
        else:
            with snapshot(repo, head, affected) as tree:
                report = run_incremental(tree, rules, affected, jobs=jobs, selection=selection, options=options)
            report.root = str(repo)
    except GitChangeError as exc:
        _fail(str(exc))
    return report, affected
