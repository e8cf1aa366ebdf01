"""``subcheck ci``: the CI gate of a results repository: check what a git change touched, nothing else."""

from __future__ import annotations

import atexit
import contextlib
import gc
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from checker import detect_memo, yaml_memo
from checker.commandline import (
    apply_waivers_or_fail,
    choose_round,
    emit,
    fail,
    resolve_root,
    selection,
    shared_options,
    with_config,
)
from checker.engine import Report, Selection, default_jobs
from checker.gitdiff import Affected, GitChangeError, affected_by, changed_files, changes_between
from checker.gitinplace import InPlace
from checker.gitrepo import GitRepo, open_change
from checker.incremental import run_incremental
from checker.options import RunOptions
from checker.rounds import Round
from checker.suites import is_training_tree
from checker.workers import fewer_collections

if TYPE_CHECKING:
    from checker.training.ci import Touched


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
@shared_options("version", "rules", "format", "output", "waivers", "jobs", "select", "ignore", "published", "debug")
@shared_options("plugin", "view")
def ci(
    repo: Path,
    base: str,
    head: str | None,
    version: str | None,
    rules_file: Path | None,
    fmt: str,
    output: Path | None,
    waivers: Path | None,
    jobs: int | None,
    select: str | None,
    ignore: str | None,
    published: bool,
    debug: bool,
) -> None:
    """Check the results a git change touched (BASE..HEAD) and report only findings about the change.

    Exit 0 when the change adds no error, 1 when it does, 2 when it cannot be checked.
    """
    fewer_collections()  # from here, not only once the checks run: the imports and the proof allocate as much
    given = with_config(resolve_root(repo), version=version, select=select, ignore=ignore, waivers=waivers,
                        rules_file=rules_file)  # fmt: skip
    version, select, ignore, waivers = (given[k] for k in ("version", "select", "ignore", "waivers"))
    suite = "training" if rules_file is None and is_training_tree(resolve_root(repo)) else "inference"
    chosen = selection(select, ignore, (suite,))
    report, affected = ci_report(
        repo,
        base,
        head,
        version=version,
        rules_file=rules_file,
        jobs=jobs or default_jobs(),
        selection=chosen,
        options=RunOptions(published=published, debug=debug, remember=True),
        suite=suite,
    )
    apply_waivers_or_fail(report, waivers, chosen, today=date.today(),
                          checked_paths=affected.paths | affected.ancestors)  # fmt: skip
    emit(report, fmt, output)
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)  # the interpreter's exit then skips walking the heap: a sixth of a one-result run
    sys.exit(report.exit_code)


def ci_report(
    repo: Path,
    base: str,
    head: str | None,
    *,
    version: str | None = None,
    rules_file: Path | None = None,
    jobs: int = 1,
    selection: Selection | None = None,
    options: RunOptions | None = None,
    suite: str = "inference",
) -> tuple[Report, Affected | Touched]:
    """Compute the change, check what it touched; the filtered report and the change (exits 2 on trouble)."""
    repo = resolve_root(repo)  # `--repo .` and a relative path give the findings of the absolute path
    # the modules import while git computes the change and lists head: its waits are this process's idle time
    detecting = version is None and rules_file is None
    rule_modules = None if suite == "training" else _import_in_background(suite, detecting)
    change = None if suite == "training" else _Change(repo, base, head)  # git lists head while the round is chosen
    # a fresh process per push: rule files parsed and logs voted on in an earlier run are not read again
    before = yaml_memo.use(True), detect_memo.use(True)
    try:
        rules, evidence = choose_round(repo, suite, version, rules_file)
    except BaseException:
        _join(rule_modules)  # a round that cannot be chosen exits 2: not while a module is half imported
        raise
    finally:
        yaml_memo.use(before[0])
        detect_memo.use(before[1])
    if change is None:
        return training_ci_report(repo, base, head, rules, evidence, jobs, selection, options)
    rules_path = str(rules_file.resolve()) if rules_file else None
    if rule_modules is None or rules.suite != suite:  # a rule file of another suite: its modules, once these are in
        _join(rule_modules)
        rule_modules = _import_in_background(rules.suite)
    try:
        git, prefix, new, affected = change.opened()
        # the work tree is what is checked; the thread is joined before the proof walks the touched submitters
        in_place = change.in_place is None or change.in_place.answer(rule_modules.join)
        rule_modules.join()  # before the engine runs: from here on, imports happen in this thread only
        if in_place:
            with _walks_taken(repo, change.in_place):
                report = run_incremental(
                    repo, rules, affected, jobs=jobs, selection=selection, options=options, rules_path=rules_path
                )
        else:
            from checker.gitsnapshot import snapshot  # here: a CI job's checkout usually holds head already

            with snapshot(repo, new, affected, (git, prefix, new)) as tree:
                report = run_incremental(
                    tree, rules, affected, jobs=jobs, selection=selection, options=options, rules_path=rules_path
                )
            report.root = str(repo)
        report.evidence = evidence
    except GitChangeError as exc:
        fail(str(exc))
    finally:
        rule_modules.join()
    return report, affected


class _Change:
    """The change, computed before the round is chosen, and git started on listing head for :class:`InPlace`: its
    processes run on another core while this one chooses the round. A git error is kept and raised by
    :meth:`opened`, after the round, so a round that cannot be chosen is still the one reported.
    """

    def __init__(self, repo: Path, base: str, head: str | None) -> None:
        self.error: GitChangeError | None = None
        self.in_place: InPlace | None = None
        try:
            self.git, self.prefix, commits = open_change(repo, (base, head) if head else (base,))
            self.new = commits[1] if head else None
            self.affected = affected_by(changes_between(self.git, self.prefix, commits[0], self.new))
        except GitChangeError as exc:
            self.error = exc
            return
        if self.new is not None:
            self.in_place = InPlace(self.git, self.prefix, self.new, self.affected)

    def opened(self) -> tuple[GitRepo, str, str | None, Affected]:
        if self.error is not None:
            raise self.error
        return self.git, self.prefix, self.new, self.affected


def _import_in_background(suite: str, detecting: bool = False) -> threading.Thread:
    """Import what the run needs next while git works: imports keep one core busy, git runs in its own processes.

    First what :func:`choose_round` imports (the round's detection when it is detected, the cache), so that it
    finds them imported or waits for them; then the suite's rule modules, its discovery and the built-in metrics;
    then what checking and reporting import. The calling thread imports nothing else until this one is joined, and
    what choose_round imports imports no rule module: the two threads never wait on each other's import. An import
    that fails here fails again, with its message, where it is needed.
    """
    from checker.registry import load_suite
    from checker.suites import suite_named

    def load() -> None:
        with contextlib.suppress(Exception):
            if detecting:
                import checker.detect  # noqa: F401
            import importlib.util  # noqa: F401  (the rule files' memo asks where PyYAML is)

            import checker.cache  # noqa: F401  (the rule file's validation memo, then the engine's)
        with contextlib.suppress(Exception):
            load_suite(suite)
            suite_named(suite)
            import checker.metrics_plugins  # noqa: F401  (the built-in metrics every run registers)
        with contextlib.suppress(Exception):
            import checker.prefetch  # noqa: F401  (the read-ahead of the checked files)
            import checker.reporters.text  # noqa: F401  (the verdict line every format ends with)

    thread = threading.Thread(target=load, name="subcheck-rule-imports", daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def _walks_taken(root: Path, proof: InPlace | None) -> Iterator[None]:
    """The checks of this run read the walks the proof took of the work tree (the same function, moments before),
    and only this run: they are forgotten after it.
    """
    from checker.context import TAKEN_WALKS

    walks = proof.walks if proof is not None else {}
    TAKEN_WALKS.update({(str(root), path): walk for path, walk in walks.items()})
    try:
        yield
    finally:
        TAKEN_WALKS.clear()


def _join(thread: threading.Thread | None) -> None:
    if thread is not None:
        thread.join()


def training_ci_report(
    repo: Path,
    base: str,
    head: str | None,
    rules: Round,
    evidence: str,
    jobs: int,
    selection: Selection | None,
    options: RunOptions | None,
) -> tuple[Report, Touched]:
    """The training tree's change: its touched benchmark folders checked (see checker.training.ci)."""
    from checker.training.ci import run_training_ci, touched_by, training_snapshot
    from checker.training.discovery import is_submitter

    try:
        touched = touched_by(changed_files(repo, base, head), single=is_submitter(repo))
        if head is None:
            report = run_training_ci(repo, rules, touched, jobs=jobs, selection=selection, options=options)
        else:
            with training_snapshot(repo, head, touched) as tree:
                report = run_training_ci(tree, rules, touched, jobs=jobs, selection=selection, options=options)
            report.root = str(repo)
        report.evidence = evidence
    except GitChangeError as exc:
        fail(str(exc))
    return report, touched
