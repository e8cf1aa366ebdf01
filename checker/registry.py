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

from checker.findings import Severity

# Where a rule runs. "audit-run" rules yield (label, context) pairs for the audit runs of a result; the engine
# runs the family they name (``reruns``) on each. "round" rules see a whole checked round (reviewer audits).
# "engine" codes are emitted by the engine itself (crashes, CI and waiver findings): they are declared here so
# that they can be listed, explained, selected and ignored like every other code.
# "endpoints-result" rules judge an inference result measured with the MLPerf Endpoints client instead of LoadGen
# (v6.1 on): such a result gets those rules instead of the LoadGen "result" rules, and a table row all the same.
SCOPES = ("tree", "submitter", "system", "result", "endpoints-result", "audit-run", "round", "engine")
RESULT_SCOPES = ("result", "endpoints-result")
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
    func: Callable[[Any], Iterable[Any]]
    reruns: str | None = None  # audit-run rules: the code prefix whose result rules run on each audit context
    skip: frozenset[str] = frozenset()  # audit-run rules: codes of that family that do not apply to audits

    @property
    def family(self) -> str:
        return self.code[:2]

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name

    def run(self, ctx: Any) -> Iterator[Any]:
        yield from self.func(ctx) or ()

    @property
    def location(self) -> str:
        """``checker/checks/performance.py:152``: where the rule's function is written."""
        code = self.func.__code__
        path = code.co_filename.replace("\\", "/")
        cut = path.rfind("/checker/")
        return f"{path[cut + 1 :] if cut >= 0 else path}:{code.co_firstlineno}"


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    *,
    scope: str = "result",
    severity: Severity = Severity.ERROR,
    fix: str,
    suite: str = "inference",
    reruns: str | None = None,
    skip: Iterable[str] = (),
) -> Callable[[Callable[[Any], Iterable[Any]]], Callable[[Any], Iterable[Any]]]:
    """Register ``func`` under ``code``; a duplicate code or a missing docstring is a bug."""
    if not _CODE.match(code):
        raise ValueError(f"rule code {code!r} must be two capitals and three digits")
    if scope not in SCOPES:
        raise ValueError(f"rule {code}: unknown scope {scope!r}")

    def register(func: Callable[[Any], Iterable[Any]]) -> Callable[[Any], Iterable[Any]]:
        if code in REGISTRY:
            raise ValueError(f"rule code {code} registered twice")
        doc = inspect.getdoc(func) or ""
        if not doc:
            raise ValueError(f"rule {code} has no docstring")
        REGISTRY[code] = Rule(code, name, severity, scope, suite, fix, doc, func, reruns, frozenset(skip))
        return func

    return register


def declare(code: str, name: str, *, severity: Severity, fix: str, doc: str, suite: str = "any") -> Rule:
    """Register a code the engine emits itself (a crash, a waiver or CI finding): listed, explained and filtered
    like any rule, but never run as one. Its findings are made with :func:`checker.engine.stamp`.
    """
    if not _CODE.match(code) or code in REGISTRY:
        raise ValueError(f"engine code {code!r} is malformed or registered twice")
    REGISTRY[code] = Rule(code, name, severity, "engine", suite, fix, inspect.cleandoc(doc), _never_run)
    return REGISTRY[code]


def _never_run(ctx: Any) -> Iterable[Any]:
    raise RuntimeError("engine codes are emitted by the engine, not run as rules")


def load_all(*, audit: bool = False) -> dict[str, Rule]:
    """Import every rule module so the registry is complete.

    The reviewer-audit rules need pandas; they are imported only when asked for (``rules``,
    ``explain``, ``audit``), so that ``check`` starts fast.
    """
    import checker.checks  # noqa: F401  (import registers the rules)
    import checker.endpoints.checks  # noqa: F401
    import checker.engine_codes  # noqa: F401
    import checker.training.checks  # noqa: F401

    if audit:
        import checker.audit.runner  # noqa: F401

    return REGISTRY


# The rule package of each suite: a run loads its own suite's rules, not every suite's (``subcheck ci`` starts
# a process per push, and the other suites' modules cost it a tenth of a second). Rule codes of different suites
# never share a family, so what a rule looks up in the registry by prefix is the same either way.
SUITE_RULES = {
    "inference": "checker.checks",
    "training": "checker.training.checks",
    "endpoints": "checker.endpoints.checks",
}


def load_suite(suite: str) -> dict[str, Rule]:
    """Import the rule modules of one suite and the engine's own codes (every suite's for an unknown name)."""
    import importlib

    import checker.engine_codes  # noqa: F401  (import registers the engine codes)

    package = SUITE_RULES.get(suite)
    if package is None:
        return load_all()
    importlib.import_module(package)
    return REGISTRY


_RULE_KEY = re.compile(r"""(?:rules|model|cfg|meta)(?:\.get\(|\[)\s*["']([A-Za-z_][\w-]*)["']""")


def rule_file_keys(rule_: Rule) -> list[str]:
    """The rule-file keys a rule's function reads (``rules["seeds"]``, ``ctx.model.get("min_query_count")``),
    found in its source, so ``explain`` can say which YAML numbers decide the verdict.
    """
    try:
        source = inspect.getsource(rule_.func)
    except (OSError, TypeError):
        return []
    return sorted(set(_RULE_KEY.findall(source)))
