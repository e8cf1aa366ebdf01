"""``subcheck prepare SRC --output OUT``: plan on SRC (read only), apply to a copy, check the copy."""

from __future__ import annotations

import posixpath
import shutil
import sys
from pathlib import Path

import click

from checker.commandline import choose_round, emit, fail, shared_options
from checker.discovery import DiscoveryError, Tree, discover, locate_root
from checker.engine import Report, default_jobs
from checker.prepare import drop, infer, truncate
from checker.prepare.copy import PrepareError, check_pack_dir, check_paths, copy_tree, linked, prune
from checker.prepare.log import LOG_NAME, ActionLog
from checker.prepare.pack import pack as write_pack
from checker.rounds import Round

MAX_DROP_ROUNDS = 4  # a drop can fail the benchmark's other scenarios (ST009), rarely more than once


@click.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--output", "out", required=True, type=click.Path(path_type=Path), help="New or empty folder to write.")
@click.option("--drop-invalid", is_flag=True, help="Leave out results that fail error-level rules (else list them).")
@click.option("--dry-run", is_flag=True, help="List every action; write nothing.")
@click.option("--pack", "do_pack", is_flag=True, help="Write mlperf_submission_<SUBMITTER>.tar.gz and .sha1.")
@click.option("--pack-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where --pack writes (default: the folder holding OUT).")  # fmt: skip
@click.option("--submitter-name", default=None, help="SUBMITTER in the tarball's name (default: the one submitter).")
@click.option("--encrypt", is_flag=True, help="Encrypt the tarball with openssl enc -aes256 (password: "
              "$SUBCHECK_PACK_PASSWORD, else openssl asks).")  # fmt: skip
@shared_options("version", "rules", "format", "jobs")
def prepare(
    src: Path,
    out: Path,
    drop_invalid: bool,
    dry_run: bool,
    do_pack: bool,
    pack_dir: Path | None,
    submitter_name: str | None,
    encrypt: bool,
    version: str | None,
    rules_file: Path | None,
    fmt: str,
    jobs: int | None,
) -> None:
    """Copy the inference submission at SRC to OUT and make OUT submittable; SRC is never written.

    In OUT: truncates accuracy logs as the official truncate_accuracy_log.py does, infers the results the
    round allows (as preprocess_submission.py does), removes files the layout forbids, and with --drop-invalid
    leaves out failing results. Every action is one line in OUT/prepare_log.txt. Exit 0 when OUT passes
    `check`, 1 when it does not, 2 when prepare could not run.
    """
    given = str(src)
    try:
        src, out = check_paths(src, out)
        pack_dir = check_pack_dir(src, out, pack_dir) if do_pack and pack_dir is not None else pack_dir
        _, division, submitter = locate_root(src)
    except (PrepareError, DiscoveryError) as exc:
        fail(str(exc))
    if division or submitter:
        fail(f"{src} is a division or submitter folder; give the results root that holds closed/, open/ or network/")
    rules, evidence = choose_round(src, "inference", version, rules_file)
    jobs = jobs or default_jobs()
    rules_path = str(rules_file.resolve()) if rules_file else None  # worker processes load the round from it
    tree = discover(src, rules["layout"])
    pack_name = _pack_name(tree, submitter_name) if do_pack else ""
    log = ActionLog()
    log.add("copy", ".", f"from {given}")
    skip, truncations, inferences = _plan(tree, rules, drop_invalid, (jobs, rules_path), log)
    if dry_run:
        for line in log.lines():
            click.echo(line)
        click.echo(f"dry run: {len(log.actions)} actions listed, nothing written")
        return
    try:
        copy_tree(src, out, skip, log)
        for item in truncations:
            truncate.apply(out, item, rules)
        for made in inferences:
            for source, target in made.copies:
                if linked(out, out / target):  # copied from SRC as a link: writing below it would write SRC
                    log.add("skip", target, "a folder on its path is a link: never written through (RH006/RH009)")
                    continue
                shutil.copytree(out / source, out / target, symlinks=True)
        report = _settle(out, rules, drop_invalid, (jobs, rules_path), log)
        report.evidence = evidence
        log.add("check", ".", "passes" if not report.errors else f"fails: {report.errors} error finding(s)")
        if do_pack:
            try:
                _pack(out, pack_dir or out.parent, pack_name, encrypt, not report.errors, log)
            except PrepareError as exc:
                log.add("no-pack", ".", str(exc))
                log.write(out)
                raise
        log.write(out)
    except PrepareError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc} ({getattr(exc, 'filename', '') or 'no file'}); free space "
             "or choose another --output")  # fmt: skip
    for line in log.lines():
        click.echo(line, err=fmt != "text")  # a machine format's standard output is the report alone
    emit(report, fmt, None)
    click.echo(f"prepare: {len(log.actions)} actions, see {out / LOG_NAME}", err=True)
    sys.exit(report.exit_code)


def _settle(out: Path, rules: Round, drop_invalid: bool, engine: tuple[int, str | None], log: ActionLog) -> Report:
    """Check OUT; with --drop-invalid also leave out what fails only because of what was left out before.

    Dropping a required scenario's result fails the benchmark's other scenarios (ST009), so OUT is checked
    again after each such round of drops, until nothing more fails or nothing more can be dropped.
    """
    for _ in range(MAX_DROP_ROUNDS):
        tree = discover(out, rules["layout"])
        verdict = drop.judge(tree, rules, [], set(), *engine)
        if not drop_invalid or not verdict.failing:
            break
        results = {r.rel: r for r in tree.results}
        for location, codes in sorted(verdict.failing.items()):
            log.add("drop", location, "fails " + " ".join(codes) + " once the results above are left out")
            for folder in drop.result_folders(results[location]):
                if linked(out, out / folder):
                    log.add("skip", folder, "a folder on its path is a link: never removed through (RH006/RH009)")
                elif (out / folder).is_dir():
                    shutil.rmtree(out / folder)
                    prune(out, posixpath.dirname(folder), log)
    return verdict.report


def _plan(
    tree: Tree, rules: Round, drop_invalid: bool, engine: tuple[int, str | None], log: ActionLog
) -> tuple[set[str], list[truncate.Truncation], list[infer.Inference]]:
    """What to leave out, truncate and infer, worked out on SRC without writing; each step logged."""
    results = {r.rel: r for r in tree.results}
    notes: list[tuple[str, str]] = []
    truncations = truncate.plan(tree, rules, notes)
    inferred = {posixpath.dirname(made.result) for made in infer.plan(tree, rules, set())}
    verdict = drop.judge(tree, rules, truncations, inferred, *engine)
    skip: set[str] = set()
    dropped: set[str] = set()
    for location, codes in sorted(verdict.failing.items()):
        if drop_invalid and location in results:
            log.add("drop", location, "fails " + " ".join(codes))
            skip.update(drop.result_folders(results[location]))
            dropped.add(location)
        else:
            log.add("failing", location, "fails " + " ".join(codes) + "; kept (--drop-invalid leaves it out)")
    for path, why in verdict.removals:
        if not drop.under(path, skip):
            log.add("remove", path, why)
            skip.add(path)
    truncations = [t for t in truncations if not drop.under(t.log, skip)]
    for path, why in notes:
        if not drop.under(path, skip):
            log.add("skip", path, why)
    for item in truncations:
        log.add("truncate", item.log, truncate.describe(item, rules))
    inferences = infer.plan(tree, rules, dropped)
    for made in inferences:
        log.add("infer", made.result, f"copied from {made.source}; the table marks it inferred")
    return skip, truncations, inferences


def _pack_name(tree: Tree, given: str | None) -> str:
    """SUBMITTER in the tarball's name, settled before anything is written."""
    submitters = sorted({s.submitter for s in tree.submitters})
    if given is None and len(submitters) != 1:
        fail(f"--pack needs --submitter-name: the tree holds {len(submitters)} submitters")
    name = given or submitters[0]
    if not name or "/" in name or name.startswith("."):
        fail(f"--submitter-name {name!r} cannot be part of a file name")
    return name


def _pack(out: Path, dest: Path, name: str, encrypt: bool, passed: bool, log: ActionLog) -> None:
    """Pack OUT only when it passes: a tarball of a failing tree is not a submission."""
    if not passed:
        log.add("no-pack", ".", "OUT fails check; nothing packed")
        return
    if not dest.is_dir():
        raise PrepareError(f"--pack-dir {dest} is not a folder")
    tarball, sha = write_pack(out, dest, name, encrypt)
    log.add("pack", str(tarball), ("encrypted, " if encrypt else "") + f"sha1 in {sha.name}")
