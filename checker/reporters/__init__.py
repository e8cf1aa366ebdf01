"""Pluggable reporters: each turns a :class:`~checker.engine.Report` into text on a stream.

A reporter registers itself under a format name; ``--format NAME`` picks it. Adding a format
means adding one module with one decorated function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

Reporter = Callable[[Any, TextIO], None]
REPORTERS: dict[str, Reporter] = {}


def reporter(name: str) -> Callable[[Reporter], Reporter]:
    def register(func: Reporter) -> Reporter:
        REPORTERS[name] = func
        return func

    return register


def load_reporters() -> dict[str, Reporter]:
    from checker.reporters import csv_table, github, json_report, junit, sarif, text  # noqa: F401  (registers them)

    return REPORTERS
