"""The width a text report is written at; apart from :mod:`checker.reporters.view` so that a re-check served from
the cache (which keys a stored report by its width) needs nothing else from the reporters.
"""

from __future__ import annotations

from typing import TextIO

DEFAULT_WIDTH = 120  # columns of a report that does not go to a terminal (a file, a CI log)
MIN_WIDTH = 60


def width_for(stream: TextIO) -> int:
    """The terminal's width when ``stream`` is one, else the fixed width of files and CI logs."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        import shutil

        return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH
