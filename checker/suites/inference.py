"""The inference suite: result folders of the split and merged layouts, their contexts and table rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checker.context import ResultContext, SubmitterContext, SystemContext, TreeContext
from checker.context_endpoints import EndpointsResultContext, is_endpoints_result
from checker.discovery import SubmitterUnit, Tree, discover
from checker.engine import Focus, settle
from checker.options import RunOptions
from checker.rounds import Round
from checker.suites import Unit
from checker.table import columns, endpoints_row, result_row

IDENTITY = ("Division", "Organization", "Platform", "Model", "Scenario")


class InferenceSuite:
    name = "inference"
    splits = True  # units() honours Focus.submitter and Focus.results: a big submitter can be shared out
    # The files the rules read whole, hinted when reading ahead from a cold cache; every other file (code, images,
    # archives) is judged by its name and size, which the walk's stat gives, and a system description is one small
    # JSON per system: neither is hinted.
    read_whole = frozenset({
        "mlperf_log_detail.txt", "mlperf_log_summary.txt", "mlperf_log_accuracy.json", "accuracy.txt",
        "baseline_accuracy.txt", "compliance_accuracy.txt", "verify_accuracy.txt", "verify_performance.txt",
        "spl.txt", "ptd_logs.txt", "user.conf", "mlperf.conf", "measurements.json", "model_mapping.json",
    })  # fmt: skip

    def discover(self, path: Path, rules: Round, only_submitter: str | None) -> Tree:
        return discover(path, rules["layout"], only_submitter)

    def tree_context(self, rules: Round, tree: Tree, options: RunOptions) -> TreeContext:
        return TreeContext(rules, tree, options)

    def size(self, submitter: SubmitterUnit) -> int:
        return len(submitter.results)

    def units(self, rules: Round, submitter: SubmitterUnit, options: RunOptions, focus: Focus) -> Iterator[Unit]:
        if focus.submitter:
            yield Unit("submitter", submitter.rel, SubmitterContext(rules, submitter, options))
        systems = focus.systems
        if systems is None:
            systems = tuple(sorted(set(submitter.systems) | set(submitter.system_jsons)))
        for system in systems:
            ctx = SystemContext(rules, submitter, system, options)
            yield Unit("system", ctx.unit_id, ctx)
        for result in submitter.results:
            if focus.results is not None and result.rel not in focus.results:
                continue
            depends = (
                ("system", f"{submitter.rel}/systems/{result.system}"),
                ("submitter", submitter.rel),
                ("tree", "."),
            )
            stub = dict(
                zip(
                    IDENTITY,
                    (result.division, result.submitter, result.system, result.benchmark, result.scenario_dir),
                    strict=True,
                )
            )
            if "endpoints" in rules.data and is_endpoints_result(result.result_dir):
                ctx = EndpointsResultContext(rules, result, options)
                also = tuple(rules["endpoints"]["result_rules"])
                yield Unit("endpoints-result", result.rel, ctx, depends, stub=stub, also=also)
                continue
            yield Unit("result", result.rel, ResultContext(rules, result, options), depends, stub=stub)

    def read_ahead(self, submitter: SubmitterUnit, focus: Focus) -> list[Path]:
        """Each result's folders in the order they are judged, then the rest of the submitter's folder."""
        folders: list[Path] = [submitter.path / "systems"] if focus.submitter else []
        for result in submitter.results:
            if focus.results is None or result.rel in focus.results:
                folders += [result.result_dir, result.compliance_dir, result.measurements_dir]
        return [*folders, submitter.path] if focus.submitter else folders

    def rows(self, unit: Unit) -> list[dict[str, Any]]:
        if unit.scope == "endpoints-result":
            return endpoints_row(unit.ctx)
        return result_row(unit.ctx)

    def columns(self, rules: Round) -> list[str]:
        return columns(rules)

    def finish(self, report: Any, rules: Round) -> None:
        settle(report, stub=_stub_row)
        report.rows.sort(key=lambda r: tuple(str(r.get(c, "")) for c in IDENTITY))


def _stub_row(result: dict[str, Any]) -> dict[str, Any]:
    """The row of a result that could not be tabled: its identity and Location, no metric."""
    return {**result.get("stub", {}), "Location": result["Location"]}


SUITE = InferenceSuite()
