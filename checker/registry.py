"""The one place rules are registered: a code, a name, a severity, a scope and a doc per rule.

A rule is a small generator function decorated with :func:`rule`. Its docstring is the
documentation that ``subcheck explain CODE`` prints; the first line is the summary.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from checker.findings import Problem, Severity

SCOPES = ("tree", "submitter", "system", "result")
_CODE = re.compile(r"^[A-Z]{2}\d{3}$")


@dataclass(frozen=True)
class Rule:
    """A registered rule: data plus a small function."""

    code: str
    name: str
    severity: Severity
    scope: str
    suite: str
    fix: str
    doc: str
    func: Callable[[Any], Iterable[Problem]]

    @property
    def family(self) -> str:
        return self.code[:2]

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name

    def run(self, ctx: Any) -> Iterator[Problem]:
        yield from self.func(ctx) or ()


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    *,
    scope: str = "result",
    severity: Severity = Severity.ERROR,
    fix: str,
    suite: str = "inference",
) -> Callable[[Callable[[Any], Iterable[Problem]]], Callable[[Any], Iterable[Problem]]]:
    """Register ``func`` under ``code``; a duplicate code or a missing docstring is a bug."""
    if not _CODE.match(code):
        raise ValueError(f"rule code {code!r} must be two capitals and three digits")
    if scope not in SCOPES:
        raise ValueError(f"rule {code}: unknown scope {scope!r}")

    def register(func: Callable[[Any], Iterable[Problem]]) -> Callable[[Any], Iterable[Problem]]:
        if code in REGISTRY:
            raise ValueError(f"rule code {code} registered twice")
        doc = inspect.getdoc(func) or ""
        if not doc:
            raise ValueError(f"rule {code} has no docstring")
        REGISTRY[code] = Rule(code, name, severity, scope, suite, fix, doc, func)
        return func

    return register


def load_all(*, audit: bool = False) -> dict[str, Rule]:
    """Import every rule module so the registry is complete.

    The reviewer-audit rules need pandas; they are imported only when asked for (``rules``,
    ``explain``, ``audit``), so that ``check`` starts fast.
    """
    import checker.checks  # noqa: F401  (import registers the rules)
    import checker.training.checks  # noqa: F401

    if audit:
        import checker.audit.runner  # noqa: F401

    return REGISTRY


def rules_for(suite: str, scope: str, enabled: Callable[[str], bool]) -> list[Rule]:
    return [r for r in load_all().values() if r.suite == suite and r.scope == scope and enabled(r.code)]
