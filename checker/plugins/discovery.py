"""Find and load plugins: entry points (``importlib.metadata``) and modules named with ``--plugin`` for one run.

Isolation: each plugin loads inside its own ``try``; one that raises on import, or whose entry point names a
module or attribute that is not there, is recorded as a :class:`PluginInfo` with its error and becomes one EN004
finding naming it. It is never skipped in silence and never stops the run.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checker.plugins import scan_memo
from checker.plugins.api import METRICS, VALIDATORS, Registered

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUPS = ("subcheck.metrics", "subcheck.validators", "subcheck.rules", "subcheck.reporters")


@dataclass(frozen=True)
class PluginInfo:
    """One plugin as found: its group, name, target (``module:attr``), distribution, and why it failed if it did."""

    group: str
    name: str
    target: str
    dist: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def label(self) -> str:
        where = f" from {self.dist}" if self.dist else ""
        return f"{self.group} {self.name} ({self.target}){where}"


_FOUND: list[PluginInfo] = []
_REQUESTED: list[str] = []  # --plugin modules of this command
_DONE: set[str] = set()  # "entry points" once loaded, and each --plugin module


def load_plugins(modules: Iterable[str] = (), *, remember: bool = False) -> list[PluginInfo]:
    """Load the built-ins, every entry point (once per process) and each ``modules`` item; return what was found.

    ``remember`` (``ci``): a scan of exactly these installed distributions that found no plugin before is not
    repeated (:mod:`checker.plugins.scan_memo`); one that finds none now is remembered.
    """
    import checker.metrics_plugins  # noqa: F401  (registers the built-in metrics and validators)

    if "entry points" not in _DONE:
        _DONE.add("entry points")
        key = scan_memo.fingerprint() if remember else None
        if not scan_memo.known_empty(key):
            before = len(_FOUND)
            _scan_entry_points()
            if key is not None and len(_FOUND) == before and scan_memo.fingerprint() == key:
                scan_memo.remember_empty(key)
    for module in modules:
        if module not in _DONE:
            _DONE.add(module)
            _FOUND.append(_load_module(module))
    return list(_FOUND)


def _scan_entry_points() -> None:
    from importlib.metadata import entry_points  # here: a remembered empty scan needs no metadata at all

    every = entry_points()  # one scan of the installed distributions for all four groups
    for group in GROUPS:
        for point in sorted(every.select(group=group), key=lambda p: p.name):
            _FOUND.append(_load_entry_point(group, point))


def request(modules: Iterable[str]) -> None:
    """Remember ``--plugin`` modules for this process's runs (the command line calls this)."""
    _REQUESTED.extend(m for m in modules if m not in _REQUESTED)


def requested() -> tuple[str, ...]:
    return tuple(_REQUESTED)


def failures() -> list[PluginInfo]:
    """The plugins of this process that failed to load."""
    return [info for info in _FOUND if not info.ok]


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _dist(point: EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else ""


def _load_entry_point(group: str, point: EntryPoint) -> PluginInfo:
    info = PluginInfo(group, point.name, point.value, _dist(point))
    try:
        loaded = point.load()
        _register(group, point.name, loaded, info.dist or point.value)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - a broken plugin is a finding, never a crash
        return PluginInfo(group, point.name, point.value, info.dist, _why(exc))
    return info


def _load_module(module: str) -> PluginInfo:
    """``--plugin package.module``: importing it runs its ``@metric``/``@validator``/``@rule``/``@reporter``."""
    try:
        importlib.import_module(module)
    except (Exception, SystemExit) as exc:  # noqa: BLE001
        return PluginInfo("--plugin", module, module, "", _why(exc))
    return PluginInfo("--plugin", module, module, "")


def _register(group: str, name: str, loaded: Any, origin: str) -> None:
    """An entry point naming a function registers it under the entry point's name; one naming a module has
    registered what it holds on import (its decorators ran).
    """
    if not callable(loaded) or isinstance(loaded, type(importlib)):
        return
    if group == "subcheck.metrics":
        METRICS[name] = Registered(name, loaded, origin, doc=(loaded.__doc__ or "").strip().split("\n")[0])
    elif group == "subcheck.validators":
        schema = dict(getattr(loaded, "params_schema", None) or {"type": "object"})
        VALIDATORS[name] = Registered(name, loaded, origin, schema, (loaded.__doc__ or "").strip().split("\n")[0])
    elif group == "subcheck.reporters":
        from checker.reporters import reporter

        reporter(name)(loaded)
