"""The ``endpoints`` suite: MLPerf Endpoints submissions, their contexts and the per-point results table.

The result unit is a Pareto curve (``results/<system>/<model>/``); the table has one row per measurement point.
Discovery, contexts and rows are the suite's; rules, crashes, selection and verdicts are the engine's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checker.endpoints.context import CurveContext, Point, SubmissionContext, SystemContext, TreeContext
from checker.endpoints.discovery import EndpointsTree, Submission, discover
from checker.engine import Focus, settle
from checker.options import RunOptions
from checker.rounds import Round
from checker.scope import rel
from checker.suites import Unit

IDENTITY = ("Organization", "Submission", "System", "Model", "Concurrency")


class EndpointsSuite:
    name = "endpoints"

    def discover(self, path: Path, rules: Round, only_submitter: str | None) -> EndpointsTree:
        return discover(path, only_submitter)

    def tree_context(self, rules: Round, tree: EndpointsTree, options: RunOptions) -> TreeContext:
        return TreeContext(tree.root, rules, tree)

    def size(self, submitter: Submission) -> int:
        return submitter.size

    def units(self, rules: Round, sub: Submission, options: RunOptions, focus: Focus) -> Iterator[Unit]:
        root = sub.root
        yield Unit("submitter", sub.rel, SubmissionContext(root, rules, sub))
        for system in sub.systems:
            system_id = rel(root, system.path)
            yield Unit("system", system_id, SystemContext(root, rules, sub, system))
            for curve in system.curves:
                depends = (("system", system_id), ("submitter", sub.rel), ("tree", "."))
                stub = {"Organization": sub.org, "Submission": sub.name, "System": system.name, "Model": curve.model}
                ctx = CurveContext(root, rules, sub, curve)
                yield Unit("result", rel(root, curve.path), ctx, depends, stub=stub)

    def rows(self, unit: Unit) -> list[dict[str, Any]]:
        ctx: CurveContext = unit.ctx
        return [_row(ctx, p) for p in ctx.points]

    def columns(self, rules: Round) -> list[str]:
        return list(rules["table"]["columns"])

    def finish(self, report: Any, rules: Round) -> None:
        settle(report, stub=lambda r: {**r.get("stub", {}), "Location": r["Location"]})
        report.rows.sort(key=lambda r: tuple(str(r.get(c, "")) for c in IDENTITY[:4]) + (r.get("Concurrency") or 0,))


def _num(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _row(ctx: CurveContext, point: Point) -> dict[str, Any]:
    """One measurement point in the official units: TPS in tokens/s, latencies in ms."""
    s = point.summary
    desc = point.doc("system_desc.json").data or {}
    p90 = s.tpot_ms(90.0) if s else None
    accuracy = ""
    if point.accuracy is not None:
        accuracy = " ".join(f"{k}={v:g}" for e in point.accuracy.entries for k, v in sorted(e.scores.items()))
    return {
        "Organization": ctx.submission.org,
        "Submission": ctx.submission.name,
        "System": ctx.curve.system,
        "Model": ctx.curve.model,
        "Division": desc.get("division") or point.point.get("division"),
        "Concurrency": point.concurrency,
        "Region": ctx.regions.of(point.concurrency) if ctx.regions else None,
        "Offline": point.offline,
        "System TPS": _num(s.derived_system_tps if s else None),
        "TPS per user": _num(1000.0 / p90 if p90 else None),
        "TTFT p50 (ms)": _num(s.ttft_ms(50.0) if s else None),
        "TPOT p90 (ms)": _num(p90),
        "Accuracy": accuracy,
        "Location": ctx.rel(point.path),
    }


SUITE = EndpointsSuite()
