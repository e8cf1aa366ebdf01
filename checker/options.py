"""How the user asked to check, shared by every suite and command."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunOptions:
    """``published`` audits a published results repository, where some content (SDXL images, large logs) was
    removed on purpose, so such absences become notices; ``debug`` keeps the traceback of a crashing rule.
    ``plugins`` are the ``--plugin`` modules of the run (workers load them too); ``plugin_stamp`` fingerprints the
    loaded plugins so a cached check is not reused after a plugin changed. ``remember`` (``ci``) keeps what earlier
    runs proved in the user's cache: documents that passed their schema (:mod:`checker.schema_memo`) and an entry-point
    scan that found no plugin (:mod:`checker.plugins.scan_memo`).
    """

    published: bool = False
    debug: bool = False
    plugins: tuple[str, ...] = ()
    plugin_stamp: str = ""
    remember: bool = False
