"""EN004 and EN005: a plugin that failed to load, and a metric or validator the rule file needs that no plugin
provides. Both are findings on the whole tree (``.``), once per run, so every result is rejected with
``tree:EN004``/``tree:EN005``: what could not be judged is not accepted, and the run still finishes.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Callable, Iterator
from typing import Any

from checker.findings import Finding, Problem, Severity
from checker.plugins.api import METRICS, VALIDATORS
from checker.plugins.discovery import failures, load_plugins
from checker.registry import REGISTRY, declare

PLUGIN_FAILED = declare(
    "EN004",
    "plugin-failed-to-load",
    severity=Severity.ERROR,
    fix="Reinstall or fix the named plugin (`subcheck plugins` lists them and why one failed), or uninstall it.",
    doc="""A plugin (an entry point of subcheck.metrics, .validators, .rules or .reporters, or a --plugin module)
    raised on import or names a module or attribute that does not exist.

    What it would have added (a metric, a validator, rules) did not run, so no result is accepted: every result
    is rejected with ``tree:EN004``. The finding names the plugin, its distribution and the error; the run
    finishes and writes its report.

    Passes: every plugin imports. Fails: an entry point ``broken = pkg.mod:missing``, or a module that raises.""",
)

METRIC_UNAVAILABLE = declare(
    "EN005",
    "metric-plugin-unavailable",
    severity=Severity.ERROR,
    fix="Install the plugin that provides it (the finding names it), or pass --plugin package.module.",
    doc="""The rule file computes a metric, or applies a validator, that no installed plugin provides (or gives a
    plugin validator parameters its schema rejects).

    The metric is then neither computed nor validated, so no result is accepted (``tree:EN005``). One finding
    per missing name, naming the rule-file key and the plugin that provides it where the rule file says.

    Passes: ``pip install examples/subcheck-dice`` before checking the segmentation benchmark.
    Fails: the same check after ``pip uninstall subcheck-dice``.""",
)


def stamp() -> str:
    """A fingerprint of the plugins of this run (names, origins and their modules' files) for the cache key."""
    digest = hashlib.blake2b(digest_size=16)
    for registry in (METRICS, VALIDATORS):
        for name in sorted(registry):
            found = registry[name]
            try:
                path = inspect.getsourcefile(found.func) or ""
                info = os.stat(path)
                where = f"{path}\0{info.st_size}\0{info.st_mtime_ns}"
            except (OSError, TypeError):
                where = "?"
            digest.update(f"{name}\0{found.origin}\0{where}\n".encode(errors="surrogateescape"))
    return digest.hexdigest()


def plugin_findings(
    rules: Any, selection: Callable[[str], bool], modules: tuple[str, ...] = (), *, remember: bool = False
) -> list[Finding]:
    """EN004 for each plugin that failed to load, EN005 for each metric or validator the rules lack (loads the
    plugins; ``remember``: an entry-point scan that found none may be answered from :mod:`checker.plugins.scan_memo`).
    """
    from checker.engine import stamp as make_finding

    load_plugins(modules, remember=remember)
    ignored = tuple(getattr(selection, "ignore", ()))
    out: list[Finding] = []
    # Like a crashing rule (EN001), a broken plugin shows whatever was selected: it may hold rules of any family.
    if not any("EN004".startswith(i) for i in ignored):
        out += [make_finding(REGISTRY["EN004"], problem, ".") for problem in _failed()]
    # A missing metric matters when the rules that compute it run (or EN005 itself is selected).
    if not any("EN005".startswith(i) for i in ignored) and any(selection(c) for c in ("AC011", "AC012", "EN005")):
        out += [make_finding(REGISTRY["EN005"], problem, ".") for problem in _unavailable(rules)]
    return out


def _failed() -> Iterator[Problem]:
    for info in failures():
        yield Problem(".", f"plugin {info.label} failed to load", key=info.name, expected="a plugin that imports",
                      found=info.error)  # fmt: skip


def _unavailable(rules: Any) -> Iterator[Problem]:
    """Each missing metric once (with every model that names it), then each missing or misused validator."""
    models: dict[str, Any] = dict(rules.get("models") or {}) if hasattr(rules, "get") else {}
    missing: dict[str, list[str]] = {}
    hints: dict[str, str] = {}
    for model, spec in sorted(models.items()):
        for metric, item in sorted((spec.get("metrics") or {}).items()):
            name = str(item.get("compute"))
            where = f"models.{model}.metrics.{metric}"
            if name not in METRICS:
                missing.setdefault(name, []).append(where)
                hints[name] = str(item.get("plugin") or "")
                continue
            yield from _validators(where, item.get("validators") or [])
    for name, wheres in missing.items():
        plugin = f"; install the plugin {hints[name]}" if hints[name] else ""
        yield Problem(".", f"no installed plugin provides the metric {name} ({', '.join(wheres)}.compute){plugin}",
                      key=f"{wheres[0]}.compute", expected=f"metric {name}", found="not installed")  # fmt: skip


def _validators(where: str, items: list[Any]) -> Iterator[Problem]:
    for i, item in enumerate(items):
        name = str(item.get("validator"))
        key = f"{where}.validators[{i}]"
        found = VALIDATORS.get(name)
        if found is None:
            yield Problem(".", f"no installed plugin provides the validator {name} ({key})", key=key,
                          expected=f"validator {name}", found="not installed")  # fmt: skip
            continue
        params = {k: v for k, v in item.items() if k != "validator"}
        import jsonschema  # only for a validator that takes parameters: most runs never need it

        error = next(iter(jsonschema.Draft202012Validator(dict(found.params)).iter_errors(params)), None)
        if error is not None:
            yield Problem(".", f"validator {name} ({key}) parameters do not match its schema: {error.message}",
                          key=key, expected=found.params, found=params)  # fmt: skip
