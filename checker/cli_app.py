"""The ``subcheck`` command line as a click application: check, rules, explain (and the commands other modules add).

The program itself starts in :mod:`checker.cli`, which answers a served re-check before this module (and click) is
imported.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn, TextIO

import click

from checker import __version__
from checker.commandline import (
    apply_waivers_or_fail,
    choose_round,
    emit,
    fail,
    plugins_requested,
    render_key,
    rendered,
    resolve_root,
    selection,
    shared_options,
    with_config,
)
from checker.suites import is_training_tree, suite_named, suite_names


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
    """A group whose heavier commands (audit: pandas; ci: git; reproduce: LoadGen) are imported only when used."""

    lazy = {
        "audit": "checker.audit.command:audit",
        "ci": "checker.ci:ci",
        "explain": "checker.catalog:explain",
        "plugins": "checker.plugins.command:plugins",
        "prepare": "checker.prepare.command:prepare",
        "reproduce": "checker.reproduce_cmd:reproduce",
        "rounds": "checker.catalog:rounds",
        "rules": "checker.catalog:list_rules",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def invoke(self, ctx: click.Context) -> object:
        """Never a traceback: an unexpected error is exit 2 with one line (the traceback with SUBCHECK_DEBUG=1)."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            fail("interrupted")
        except BrokenPipeError:  # `subcheck rules | head`: the reader left; say nothing more (Python's own recipe)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - the last line of defence: report, never crash
            if os.environ.get("SUBCHECK_DEBUG"):
                raise
            fail(f"internal error, please report it: {type(exc).__name__}: {exc} (SUBCHECK_DEBUG=1 shows where)")

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
@shared_options("version")
@click.option(
    "--suite",
    type=click.Choice(["auto", *suite_names()]),
    default="auto",
    show_default=True,
    help="auto recognises a training tree by its layout.",
)
@shared_options("rules")
@click.option("--submitter", default=None, help="Check only this submitter folder.")
@shared_options("format", "output", "jobs", "select", "ignore", "waivers", "published", "debug", "plugin", "no_cache")
@shared_options("view")
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
    debug: bool,
    no_cache: bool,
) -> None:
    """Check the submission tree at PATH and report findings (exit 0 valid, 1 errors, 2 could not run)."""
    from checker.recheck import Fingerprints, check_key, lookup, take_manifest  # here: other commands never need it

    root = resolve_root(path)
    given = with_config(root, version=version, suite=None if suite == "auto" else suite, select=select,
                        ignore=ignore, waivers=waivers, rules_file=rules_file)  # fmt: skip
    version, select, ignore, waivers, suite = (given[k] for k in ("version", "select", "ignore", "waivers", "suite"))
    suite = suite or "auto"
    rules_at = str(rules_file.resolve()) if rules_file else None
    asked = {"submitter": submitter, "select": select, "ignore": ignore, "published": published, "debug": debug}
    key = None if no_cache or plugins_requested() else check_key(str(root), suite, version, rules_at, **asked)
    stored, manifest, walked = lookup(key, str(root)) if key else (None, None, True)
    if stored is not None:  # the tree is as it was when this report was made: nothing to read or judge again
        written = stored.renders.get(render_key(fmt, output, waivers, given["evidence"]) or "")
        if written is not None:  # and this very report was written before: write it again
            _write(written, served=True)
        report, evidence = stored.output()
        chosen = selection(select, ignore, (report.suite,)) if waivers is not None else None
        _finish(report, given["evidence"] or evidence, waivers, chosen, fmt, output)
    if not walked:  # taken before anything is read: a later change will show
        manifest = take_manifest(str(root))
    if suite == "auto":
        suite = _auto_suite(root) if rules_file is None else "inference"
    chosen = selection(select, ignore, (suite,))
    rules, evidence = choose_round(root, suite, version, rules_file)
    from checker.discovery import DiscoveryError
    from checker.engine import default_jobs, run_checks
    from checker.options import RunOptions

    try:
        tree = suite_named(suite).discover(root, rules, submitter)
    except DiscoveryError as exc:
        fail(str(exc))
    started = time.perf_counter()
    report = run_checks(
        tree,
        rules,
        jobs=jobs or default_jobs(),
        selection=chosen,
        options=RunOptions(published=published, debug=debug),
        rules_path=rules_at,
        progress=_progress(sys.stderr),  # type: ignore[arg-type]
        cache=not no_cache,
        fingerprint=Fingerprints(manifest) if manifest else None,
    )
    if sys.stderr.isatty():
        click.echo(f"({time.perf_counter() - started:.2f} s)", err=True)
    shape = render_key(fmt, output, waivers, given["evidence"]) if key and manifest else None
    renders: dict[str, tuple[int, str]] = {}
    if shape is not None:  # written once: stored for the next run over this tree, and written out now
        report.evidence = given["evidence"] or evidence
        renders[shape] = (report.exit_code, rendered(report, fmt))
    if key and manifest:
        _remember(key, manifest, report, evidence, rules_file, renders)
    if shape is not None:
        _write(renders[shape])
    _finish(report, given["evidence"] or evidence, waivers, chosen, fmt, output)


def _finish(report: Any, evidence: str, waivers: Path | None, chosen: Any, fmt: str, output: Path | None) -> NoReturn:
    """Waivers, the report in the asked format, and the exit code (the same for a fresh and a stored report)."""
    report.evidence = evidence
    apply_waivers_or_fail(report, waivers, chosen)
    emit(report, fmt, output)
    sys.exit(report.exit_code)


def _write(written: tuple[int, str], served: bool = False) -> NoReturn:
    """A report already written out as text (:func:`checker.commandline.rendered`), and its exit code.

    ``served``: the run did nothing else (no worker, no file, no engine). Run as the ``subcheck`` program
    (:func:`checker.cli.program`), it then ends without the interpreter's teardown (:func:`checker.cli.serve`).
    """
    from checker import cli

    if served and cli.running_as_program():
        cli.serve(written)
    sys.stdout.write(written[1])
    sys.exit(written[0])


def _remember(
    key: str, manifest: Any, report: Any, evidence: str, rules_file: Path | None, renders: dict[str, tuple[int, str]]
) -> None:
    """Store the report of this run for the next one over the same tree (:mod:`checker.recheck`): with the status
    of the rule file it used and of the plugins that judged; not at all when a plugin failed to load.
    """
    from checker.recheck import add_files, plugin_files, store
    from checker.ruleset import RulesetError, extends_chain

    files = plugin_files()
    if files is None:
        return
    try:
        files += [str(path) for path in extends_chain(rules_file)] if rules_file else []
    except RulesetError:
        return
    manifest = add_files(manifest, files)
    if manifest is not None:
        from dataclasses import replace

        from checker.registry import REGISTRY

        codes = {finding.code for finding in report.findings}
        summaries = {code: REGISTRY[code].summary for code in codes if code in REGISTRY}
        store(key, manifest, (replace(report, summaries=summaries), evidence), renders)


def _auto_suite(path: Path) -> str:
    """The suite a tree's layout says: Endpoints point folders, training result logs, else inference."""
    from checker.endpoints.discovery import detect_endpoints_tree

    if detect_endpoints_tree(path):
        return "endpoints"
    return "training" if is_training_tree(path) else "inference"
