"""Run the registered audit rules (suite ``audit``) over a checked round and collect their findings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from checker.audit import drift, evidence, history, identity, outliers, scenarios  # noqa: F401  (import registers rules)
from checker.audit import training as _training  # noqa: F401  (AU070-AU072: training rounds)
from checker.audit.base import AuditContext, HistoryRound
from checker.audit.config import load_config
from checker.audit.frame import results_frame, systems_frame
from checker.discovery import Tree
from checker.engine import Report, Selection, run_scope
from checker.findings import Finding
from checker.options import RunOptions
from checker.registry import REGISTRY, Rule
from checker.rounds import Round

SUITE = "audit"


def audit_rules() -> list[Rule]:
    return sorted((r for r in REGISTRY.values() if r.suite == SUITE), key=lambda r: r.code)


def build_context(
    report: Report,
    tree: Tree,
    rules: Round,
    config: dict[str, Any] | None = None,
    history_rounds: list[HistoryRound] | None = None,
) -> AuditContext:
    """The audit's view of a checked round: results table, system JSONs, thresholds and earlier rounds."""
    config = config or load_config()
    suffix = config["evidence"]["variant_suffix"]
    return AuditContext(
        root=tree.root,
        tree=tree,
        rules=rules,
        config=config,
        frame=results_frame(report.rows, rules, suffix),
        systems=systems_frame(tree, config["identity"]["system_fields"]),
        history=history_rounds or [],
    )


def run_audit(ctx: AuditContext, enabled: Any = None) -> list[Finding]:
    """Every audit rule on ``ctx`` through the engine (its stamp, selection and crash policy)."""
    options = RunOptions()
    found = run_scope(SUITE, "round", ctx, ".", enabled or Selection(), options)
    return [replace(f, unit=f.unit or ".", extra=_plain_extra(f.extra)) for f in found]


def _plain_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """Numpy scalars to Python numbers, so JSON output and comparisons in tests stay simple."""
    out: dict[str, Any] = {}
    for key, value in extra.items():
        if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
            value = value.item()
        if isinstance(value, float):
            value = round(value, 6)
        out[key] = value
    return out


def results_of(finding: Finding) -> list[str]:
    """The results a finding concerns (its extra['results'] or its path's result folder)."""
    listed = finding.extra.get("results")
    if isinstance(listed, list) and listed:
        return [str(r) for r in listed]
    return [finding.path]
