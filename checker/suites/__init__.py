"""Suites plug into the one engine by supplying discovery and contexts, nothing else.

A suite turns a path into a tree of submitters, a submitter into units (submitter, systems, results) with their
contexts, a result into table rows, and the result records into the table the reporters print. The engine
(:mod:`checker.engine`) runs the rules, applies the selection and the crash policy and settles verdicts.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the command line lists suite names without loading any rules
    from checker.options import RunOptions
    from checker.rounds import Round


@dataclass
class Unit:
    """One thing rules judge: its scope, its identity in reports, its context and (results) what it depends on."""

    scope: str
    id: str
    ctx: Any
    depends: tuple[tuple[str, str], ...] = ()  # (kind, unit id): "system" or "submitter" or "tree"
    row: Callable[[], list[dict[str, Any]]] | None = None
    stub: dict[str, Any] = field(default_factory=dict)  # the row's identity columns when no row can be made
    also: tuple[str, ...] = ()  # codes of rules of another scope that judge this unit too


class Suite(Protocol):
    name: str

    def discover(self, path: Path, rules: Round, only_submitter: str | None) -> Any: ...

    def tree_context(self, rules: Round, tree: Any, options: RunOptions) -> Any: ...

    def units(self, rules: Round, submitter: Any, options: RunOptions, focus: Any) -> Iterator[Unit]: ...

    def size(self, submitter: Any) -> int: ...

    def rows(self, unit: Unit) -> list[dict[str, Any]]: ...

    def columns(self, rules: Round) -> list[str]: ...

    def finish(self, report: Any, rules: Round) -> None: ...


_SUITES = {
    "inference": "checker.suites.inference:SUITE",
    "training": "checker.training.suite:SUITE",
    "endpoints": "checker.endpoints.suite:SUITE",
}


def suite_named(name: str) -> Suite:
    """The suite object for a rule file's suite (imported on first use: training needs no inference code)."""
    module, _, attr = _SUITES[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def suite_names() -> list[str]:
    return sorted(_SUITES)


def is_training_tree(root: Path) -> bool:
    """Whether ``root`` holds a training tree (:func:`checker.training.discovery.detect_training_tree`), for the
    commands that tell a suite from a tree's layout. A tree with no ``systems`` folder at its top or in a folder of
    it, as every training submitter has, is not one: that is answered without importing the training discovery.
    """
    if not _may_hold_systems(root):
        return False
    from checker.training.discovery import detect_training_tree

    return detect_training_tree(root)


def _may_hold_systems(root: Path) -> bool:
    """Whether ``root`` or a folder in it has a ``systems`` folder (an unreadable ``root`` may: the training
    discovery then decides).
    """
    try:
        with os.scandir(root) as entries:
            folders = [root, *(entry.path for entry in entries)]
    except OSError:
        return True
    return any(os.path.isdir(os.path.join(folder, "systems")) for folder in folders)
