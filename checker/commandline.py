"""What every subcheck command shares: its options (declared once), exit 2, code lists, rounds and output.

Library code never exits; only the functions here turn a problem into exit code 2 with a message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from checker.viewopts import VIEW_OPTIONS, remember_defaults, view_settings

if TYPE_CHECKING:  # the engine and the rules are imported where used: a stored report needs neither
    from checker.engine import Selection
    from checker.rounds import Round

EXIT_CANNOT_RUN = 2


def fail(message: str) -> NoReturn:
    """Stop with exit code 2: the check could not run (bad arguments, unreadable input, broken rules)."""
    click.echo(f"subcheck: {message}", err=True)
    sys.exit(EXIT_CANNOT_RUN)


def parse_codes(value: str | None) -> tuple[str, ...]:
    """``PE,sy003`` -> ``("PE", "SY003")``."""
    return tuple(c.strip().upper() for c in (value or "").split(",") if c.strip())


def selection(select: str | None, ignore: str | None, suites: tuple[str, ...]) -> Selection:
    """The validated selection for a run of ``suites``: an unknown code or prefix is exit 2 with a did-you-mean,
    and so is a ``--select`` item that names no rule this run can apply (``--select PE`` on a training tree
    would otherwise run nothing and pass).
    """
    from checker.engine import Selection, SelectionError
    from checker.registry import load_all

    chosen = Selection(parse_codes(select), parse_codes(ignore))
    if not chosen.select and not chosen.ignore:
        return chosen
    registry = load_all(audit=True)
    try:
        chosen.validate(registry)
    except SelectionError as exc:
        fail(str(exc))
    runnable = [code for code, rule in registry.items() if rule.suite in (*suites, "any")]
    for item in chosen.select:
        if not any(code.startswith(item) for code in runnable):
            names = " or ".join(suites)
            fail(f"--select {item} names no {names} rule; `subcheck rules --suite {suites[0]}` lists them")
    return chosen


def round_name(version: str | None) -> str | None:
    """``4.1`` and ``V4.1`` name the round ``v4.1``; anything else is kept for the error message."""
    if version is None:
        return None
    name = version.strip()
    if name[:1].isdigit():
        return "v" + name
    return "v" + name[1:] if name[:1] == "V" else name


def load_round(version: str | None, rules_file: Path | None = None, suite: str = "inference") -> Round:
    """The round to check against: a bundled round or a rule file of the user's (exit 2 when neither works)."""
    from checker.rounds import Round
    from checker.ruleset import RulesetError, available_versions

    version = round_name(version)
    if rules_file is None:
        if not version:
            fail("no round given: pass --version (e.g. --version v4.1)")
        if version not in available_versions(suite):
            fail(f"no {suite} rules for round {version!r}; known rounds: {', '.join(available_versions(suite))}")
    try:
        return Round.load(suite, version or rules_file.stem, str(rules_file) if rules_file else None)  # type: ignore[union-attr]
    except RulesetError as exc:
        fail(f"rule file problem: {exc}")


def choose_round(path: Path, suite: str, version: str | None, rules_file: Path | None) -> tuple[Round, str]:
    """The round and how it was chosen: given, from a rule file, or detected from the evidence (never assumed)."""
    if version is not None and not version.strip():
        fail("--version is empty; name a round such as v4.1, or leave the option out to detect it")
    version = round_name(version)
    if rules_file is not None or version:
        rules = load_round(version, rules_file, suite)
        return rules, ("from " + str(rules_file)) if rules_file else "as given"
    from checker.detect import RoundDetectionError, detect_round

    try:
        found = detect_round(path, suite)
    except RoundDetectionError as exc:
        fail(str(exc))
    return load_round(found.version, None, suite), found.evidence


def emit(report: Any, fmt: str, output: Path | None) -> None:
    """Write the report in the chosen format to ``output`` (its folder made when missing) or standard output.

    With ``--output`` the one-line verdict still goes to standard error, so a terminal or CI log shows it.
    """
    from checker.reporters import write_report
    from checker.reporters.text import verdict_line

    if not output:
        sys.stdout.write(rendered(report, fmt))
        return
    settings = view_settings()
    report = settings.visible(report)
    make_folder(output)
    try:
        with output.open("w", encoding="utf-8", newline="") as stream:
            write_report(report, fmt, stream, settings.view(stream))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    click.echo(verdict_line(report), err=True)


def render_key(fmt: str, output: Path | None, waivers: Path | None, evidence: str | None) -> str | None:
    """Everything that shapes a report written to standard output, as a key to store the writing under
    (:mod:`checker.recheck`); None when it must be written afresh: to a file, with waivers (a file whose content
    no key holds), in a plugin's format, or as ``github``, which also writes the step summary.
    """
    if output is not None or waivers is not None or fmt not in BUILT_IN_FORMATS or fmt == "github":
        return None
    from checker.recheck import render_shape
    from checker.width import width_for

    view = view_settings()
    return render_shape(fmt, view.show, view.verbose, view.quiet, view.min_severity, width_for(sys.stdout), evidence)


def rendered(report: Any, fmt: str) -> str:
    """``report`` in format ``fmt`` as it goes to standard output (:func:`emit` writes this; a re-check stores it)."""
    from io import StringIO

    from checker.reporters import write_report

    settings = view_settings()
    buffer = StringIO()
    write_report(settings.visible(report), fmt, buffer, settings.view(sys.stdout))
    return buffer.getvalue()


def make_folder(output: Path) -> None:
    """Create the folder ``output`` goes into; exit 2 when a file stands in the way or it cannot be made."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        fail(f"cannot write {output}: a file is in the way of its folder {output.parent}")
    except OSError as exc:
        fail(f"cannot write {output}: cannot make its folder: {exc.strerror or exc}")


def with_config(start: Path, **given: Any) -> dict[str, Any]:
    """Each option as given on the command line, else from the nearest settings file (``checker.config``).

    Also returns ``evidence``: how a round taken from the file was chosen, for the verdict line.
    """
    from checker.config import ConfigError, find_config

    try:
        config = find_config(start)
    except ConfigError as exc:
        fail(str(exc))
    chosen = {key: value if value is not None else config.get(key) for key, value in given.items()}
    if "waivers" in chosen and isinstance(chosen["waivers"], str):
        chosen["waivers"] = Path(chosen["waivers"])
    if config.get("min_severity"):
        remember_defaults({"min_severity": config.get("min_severity")})
    from_file = given.get("version") is None and given.get("rules_file") is None and config.get("version")
    chosen["evidence"] = f"set by {config.path}" if from_file else None
    return chosen


def resolve_root(path: Path) -> Path:
    """The absolute, symlink-free path: ``.``, ``..`` and linked roots give exactly the findings of the real path."""
    try:
        return path.expanduser().resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        fail(f"{path} cannot be read: {getattr(exc, 'strerror', None) or exc}")


def _request_plugins(modules: tuple[str, ...]) -> None:
    """``--plugin``: remembered for the run; :func:`checker.engine.run_checks` loads them (and tells the workers)."""
    if not modules:  # nothing asked: do not import the plugin machinery (importlib.metadata) for nothing
        return
    from checker.plugins.discovery import request

    request(modules)


def plugins_requested() -> bool:
    """Whether ``--plugin`` named a module in this process."""
    discovery = sys.modules.get("checker.plugins.discovery")
    return bool(discovery is not None and discovery.requested())


# --- the options every checking command shares, declared once ------------------------------------------------
def _formats() -> list[str]:
    """Built-in reporters and those of ``subcheck.reporters`` entry points (a broken one is EN004 in the run)."""
    from checker.plugins.discovery import load_plugins
    from checker.reporters import load_reporters

    load_plugins()
    return sorted(load_reporters())


BUILT_IN_FORMATS = ("csv", "github", "json", "junit", "sarif", "text")


class _Formats(click.Choice):
    """``--format``: a built-in name is taken as it is; the plugins are looked up (an entry-point scan) only for
    another name, or when the choices are listed (``--help``).
    """

    def __init__(self) -> None:
        self._all: tuple[str, ...] | None = None
        super().__init__(BUILT_IN_FORMATS)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        if self._all is None:
            self._all = tuple(_formats())
        return self._all

    @choices.setter
    def choices(self, value: Any) -> None:
        self._all = None

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in BUILT_IN_FORMATS:
            return value
        return super().convert(value, param, ctx)


SHARED_OPTIONS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "version": click.option(
        "--version", "version", default=None, help="Round whose rules apply (default: detected from the evidence)."
    ),
    "format": click.option("--format", "fmt", type=_Formats(), default="text", show_default=True),
    "output": click.option(
        "--output",
        "output",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Write the report to FILE instead of standard output.",
    ),
    "jobs": click.option(
        "--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: CPUs)."
    ),
    "select": click.option("--select", default=None, help="Only these rule codes or prefixes, comma-separated."),
    "ignore": click.option("--ignore", default=None, help="Skip these rule codes or prefixes, comma-separated."),
    "waivers": click.option(
        "--waivers",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="YAML file of approved waivers (schemas/waivers.schema.json): matched findings stay visible but do "
        "not fail the run.",
    ),
    "published": click.option(
        "--published",
        is_flag=True,
        help="Audit a published results repository: content removed on publication (SDXL images, large logs) is a "
        "notice, not an error.",
    ),
    "rules": click.option(
        "--rules",
        "rules_file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Use this rule file instead of a bundled round (e.g. rules/demo/demo.yaml).",
    ),
    "debug": click.option("--debug", is_flag=True, help="Keep the traceback of a crashing rule in its finding."),
    "plugin": click.option(
        "--plugin",
        "plugins",
        multiple=True,
        metavar="PACKAGE.MODULE",
        expose_value=False,
        callback=lambda _ctx, _param, value: _request_plugins(value),
        help="Also load this plugin module for the run (its metrics, validators, rules, reporters); repeatable. "
        "One that fails to import is an EN004 finding.",
    ),
    "no_cache": click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        help="Check every submitter again instead of reusing what an unchanged one gave before "
        "(the cache lives in ~/.cache/subcheck or $SUBCHECK_CACHE_DIR, never in the checked tree).",
    ),
    **VIEW_OPTIONS,
}


def shared_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Apply the named shared options, in the order given, to a click command."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed(names):
            func = SHARED_OPTIONS[name](func)
        return func

    return apply


def apply_waivers_or_fail(report: Any, waivers: Path | None, chosen: Selection, **kw: Any) -> None:  # noqa: D103
    """Apply a waiver file to the report; a broken or unreadable file is exit 2 (WV003)."""
    if waivers is None:
        return
    from checker.waivers import WaiverError, apply_waiver_file

    try:
        apply_waiver_file(report, waivers, selection=chosen, **kw)
    except WaiverError as exc:
        fail(str(exc))
