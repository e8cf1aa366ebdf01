"""The options that shape what a person sees (``--show``, ``-v``, ``-q``, ``--min-severity``), declared once.

They do not change what is checked or the exit code, so commands do not take them as parameters: the options
store themselves on the click context and :func:`view_settings` reads them when the report is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TextIO

import click

if TYPE_CHECKING:  # imported where used: a re-check served from the cache writes a stored report without them
    from checker.reporters.view import View

SEVERITIES = ("notice", "review", "warning", "error")
_KEY = "subcheck.view"


@dataclass(frozen=True)
class ViewSettings:
    """What the person asked to see; ``min_severity`` applies to every format, the rest to the text report."""

    show: tuple[str, ...] = ()
    verbose: bool = False
    quiet: bool = False
    min_severity: str = "notice"

    def visible(self, report: Any) -> Any:
        """``report`` without the findings below ``--min-severity`` (errors are never hidden)."""
        from checker.findings import Severity

        floor = Severity(self.min_severity).rank
        if floor == 0:
            return report
        return replace(report, findings=[f for f in report.findings if f.severity.rank >= floor])

    def view(self, stream: TextIO) -> View:
        from checker.reporters.view import View, width_for

        return View(
            width=width_for(stream),
            show_notices=self.verbose or "notices" in self.show,
            show_results=self.verbose or "results" in self.show,
            quiet=self.quiet,
        )


def _store(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A callback that keeps the value when the person gave it (not when it is the option's default)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        source = ctx.get_parameter_source(param.name or name)
        if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP"):
            ctx.meta.setdefault(_KEY, {})[name] = value
        return value

    return callback


def remember_defaults(defaults: dict[str, Any]) -> None:
    """Settings from a config file; the command line still wins over them."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_KEY + ".defaults"] = dict(defaults)


def view_settings() -> ViewSettings:
    """The settings of the running command: the command line first, then a config file, then the defaults."""
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    chosen = {**meta.get(_KEY + ".defaults", {}), **meta.get(_KEY, {})}
    return ViewSettings(
        show=tuple(chosen.get("show") or ()),
        verbose=bool(chosen.get("verbose")),
        quiet=bool(chosen.get("quiet")),
        min_severity=str(chosen.get("min_severity") or "notice"),
    )


def _view_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--show",
            type=click.Choice(["notices", "results"]),
            multiple=True,
            expose_value=False,
            callback=_store("show"),
            help="Text report: also list notices that need no action, or every result (repeatable).",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=_store("verbose"),
            help="Text report: every result and every finding, each with its fix.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_store("quiet"),
            help="Text report: only the one-line verdict.",
        ),
        click.option(
            "--min-severity",
            type=click.Choice(SEVERITIES),
            default=None,
            expose_value=False,
            callback=_store("min_severity"),
            help="Report only findings at or above this severity (every format; the exit code is unchanged).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


VIEW_OPTIONS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {"view": _view_options}
