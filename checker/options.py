"""How the user asked to check, shared by every suite and command."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunOptions:
    """``published`` audits a published results repository, where some content (SDXL images, large logs) was
    removed on purpose, so such absences become notices; ``debug`` keeps the traceback of a crashing rule.
    """

    published: bool = False
    debug: bool = False
