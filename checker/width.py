"""The width a text report is written at; outside :mod:`checker.reporters` so that a re-check served from the
cache (which keys a stored report by its width) imports nothing of the reporters (their package imports typing).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the served path imports no module it does not run
if TYPE_CHECKING:
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
