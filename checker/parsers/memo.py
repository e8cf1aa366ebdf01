"""Parsed files shared by several rules and results, kept for one run.

Within a run the checked tree does not change, so a file read by many rules (a system description, an accuracy
log, a verify file) is parsed once, keyed by its path. Every run starts by forgetting them
(:func:`forget_parsed_files`), so a long-lived process that checks a tree again after edits never sees a stale
parse, and no file is ``stat``-ed just to build a cache key.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
_CACHES: list[Any] = []


def per_run(maxsize: int) -> Callable[[F], F]:
    """``lru_cache(maxsize)`` whose entries :func:`forget_parsed_files` drops."""

    def wrap(func: F) -> F:
        cached = lru_cache(maxsize=maxsize)(func)
        _CACHES.append(cached)
        return cached  # type: ignore[return-value]

    return wrap


def forget_parsed_files() -> None:
    """Drop every parsed file: called when a run (or a worker's share of it) starts, and by tests that edit files."""
    for cached in _CACHES:
        cached.cache_clear()
