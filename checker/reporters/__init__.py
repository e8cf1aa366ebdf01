"""Pluggable reporters: each turns a :class:`~checker.engine.Report` into text on a stream.

A reporter registers itself under a format name; ``--format NAME`` picks it. Adding a format
means adding one module with one decorated function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

Reporter = Callable[..., None]
REPORTERS: dict[str, Reporter] = {}
VIEWED: set[str] = set()  # formats whose reporter also takes the person's View (width, hidden notices)


def reporter(name: str, *, view: bool = False) -> Callable[[Reporter], Reporter]:
    """Register ``func(report, out)`` (or ``func(report, out, view)`` with ``view=True``) as format ``name``."""

    def register(func: Reporter) -> Reporter:
        REPORTERS[name] = func
        if view:
            VIEWED.add(name)
        return func

    return register


def write_report(report: Any, fmt: str, out: TextIO, view: Any = None) -> None:
    """Write ``report`` in format ``fmt``; only formats that take a view get one."""
    write = REPORTERS.get(fmt) or _built_in(fmt) or load_reporters()[fmt]
    if fmt in VIEWED and view is not None:
        write(report, out, view)
    else:
        write(report, out)


_MODULES = {"csv": "csv_table", "github": "github", "json": "json_report", "junit": "junit", "sarif": "sarif"}


def _built_in(fmt: str) -> Reporter | None:
    """Import the one built-in reporter asked for (a stored report is written without importing the others)."""
    import importlib

    if fmt != "text" and fmt not in _MODULES:
        return None
    importlib.import_module(f"checker.reporters.{_MODULES.get(fmt, fmt)}")
    return REPORTERS.get(fmt)


def load_reporters() -> dict[str, Reporter]:
    from checker.reporters import csv_table, github, json_report, junit, sarif, text  # noqa: F401  (registers them)

    return REPORTERS
