"""The results table: one row per accepted result, with the official CSV's columns for the round."""

from __future__ import annotations

from typing import Any

from checker.context import ResultContext
from checker.metrics import power_metric, primary_metric
from checker.rounds import Round
from checker.ruleset import RulesetError, available_versions, version_key

# Ours, after the official ones: whether subcheck accepts the result, and the error codes if not.
VERDICT_COLUMNS = ["Valid", "Findings"]


def columns(rules: Round | str) -> list[str]:
    """The official CSV's columns for the round (``table.columns`` of its rule file), then ours.

    A rule file that ``extends:`` a round inherits its table, so a future "v10.0" gets v6.1's columns
    without any comparison of round names. A round name (str) is still accepted and loads that round;
    a name we have no rules for gets the table of the newest bundled round at or before it.
    """
    table = rules["table"] if isinstance(rules, Round) else _table_of(rules)
    return list(table["columns"]) + VERDICT_COLUMNS


def _table_of(version: str) -> dict[str, Any]:
    known = available_versions("inference")
    try:
        return Round.load("inference", version)["table"] if version in known else _nearest(version, known)
    except RulesetError:
        return _nearest(version, [v for v in known if v != version])


def _nearest(version: str, known: list[str]) -> dict[str, Any]:
    earlier = [v for v in known if version_key(v) <= version_key(version)] or known[:1]
    return Round.load("inference", earlier[-1])["table"]


def _accuracy(ctx: ResultContext) -> str:
    """accuracy.txt as the round's table shows it: the first metric's value, or every metric as 'K: v'."""
    parsed = ctx.accuracy_file
    if parsed.read_error:
        return ""
    targets = [t["metric"] for t in ctx.model.get("accuracy_targets", [])]
    names = [m for m in targets if m in parsed.values] or list(parsed.values)
    if not names:
        return ""
    if ctx.rules["table"]["accuracy"] == "first":
        return parsed.texts[names[0]]
    return "  ".join(f"{m}: {parsed.texts[m]}" for m in names)


def _common(ctx: Any, result: Any, accuracy: str, units: str, inferred: int, has_power: bool) -> dict[str, Any]:
    """The official table's columns of one result, whichever tool measured it (LoadGen or the Endpoints client)."""
    system, unit = ctx.system, ctx.unit
    nodes, per_node = system.get("number_of_nodes"), system.get("accelerators_per_node")
    return {
        "Organization": unit.submitter,
        "Availability": system.get("status", ""),
        "Division": unit.division,
        "SystemType": system.get("system_type", ""),
        "SystemName": system.get("system_name", ""),
        "Platform": unit.system,
        "Model": unit.benchmark,
        "MlperfModel": ctx.benchmark,
        "Scenario": ctx.scenario,
        "Result": result,
        "Accuracy": accuracy,
        "number_of_nodes": nodes,
        "host_processor_model_name": system.get("host_processor_model_name", ""),
        "host_processors_per_node": system.get("host_processors_per_node", ""),
        "host_processor_core_count": system.get("host_processor_core_count", ""),
        "accelerator_model_name": system.get("accelerator_model_name", ""),
        "accelerators_per_node": per_node,
        "total_accelerators": _product(nodes, per_node),
        "Location": ctx.rel(unit.result_dir),
        "framework": system.get("framework", ""),
        "operating_system": system.get("operating_system", ""),
        "notes": _notes(system),
        "compliance": 1,
        "errors": 0,
        "version": ctx.rules.version,
        "inferred": inferred,
        "has_power": has_power,
        "Units": units,
        "weight_data_types": (ctx.measurements.data or {}).get("weight_data_types", "") if ctx.measurements else "",
    }


def result_row(ctx: ResultContext) -> list[dict[str, Any]]:
    """The row (and the power row, for power results) of one accepted result."""
    metric = primary_metric(ctx)
    if metric is None:
        return []
    row = _common(ctx, metric.value, _accuracy(ctx), metric.units, int(metric.inferred), ctx.has_power)
    row["design_power_watts"] = ""
    rows = [row]
    power = power_metric(ctx) if ctx.has_power else None
    if power is not None:
        rows.append({**row, "Result": power.value, "Units": power.units})
    return rows


def endpoints_row(ctx: Any) -> list[dict[str, Any]]:
    """The row of a result measured with the Endpoints client: the official columns, Result the client's TPS or
    QPS (by the benchmark's units), Accuracy its bare score, as the official table prints them.
    """
    value = ctx.result
    if value is None:
        return []
    acc = ctx.accuracy_result
    score = next((v for e in acc.entries for v in e.scores.values()), None) if acc else None
    row = {column: "" for column in ctx.rules["table"]["columns"]}
    row.update(_common(ctx, value, "" if score is None else repr(score), ctx.units, 0, False))
    return [row]


def _product(a: Any, b: Any) -> Any:
    try:
        return int(a) * int(b)
    except (TypeError, ValueError):
        return ""


def _notes(system: dict[str, Any]) -> str:
    """hw_notes and sw_notes joined the way the official table joins them."""
    return ". ".join(str(system[k]) for k in ("hw_notes", "sw_notes") if system.get(k))
