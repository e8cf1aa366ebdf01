"""AU050-AU051: with --history, a result outside the exponentially weighted band of its own series across rounds.

A series is every result of one benchmark, scenario, division and accelerator model (results with power
measurement apart), in the rounds given with ``--history`` and in the audited round. Its exponentially weighted
mean and spread follow the drift of that series from round to round: software gets faster every round, so a
fixed threshold would flag every honest improvement, while a band that moves with the series flags only a
result that moved more than the history of its peers allows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from checker.audit.base import AuditContext, AuditProblem, audit_rule, fmt
from checker.audit.evidence import accuracy_values
from checker.audit.frame import normalise
from checker.rounds import Round
from checker.ruleset import RulesetError

SERIES = ["MlperfModel", "Scenario", "Division", "accelerator", "has_power"]
_POINT_COLUMNS = [*SERIES, "metric", "round", "Location", "accelerator_model_name", "Units", "raw", "y"]


def _version_order(version: str) -> tuple[int, ...]:
    """``v4.1`` -> (4, 1); a name without numbers sorts first (then the order given on the command line)."""
    return tuple(int(n) for n in re.findall(r"\d+", version))


def rounds(ctx: AuditContext) -> list[tuple[str, pd.DataFrame, Round]]:
    """(label, results table, rules) per round, oldest first: the history rounds by version, then the audited one.

    History rounds of one version keep the order given with ``--history``; labels that would repeat name the
    round's folder too.
    """
    cached = ctx.cache.get("drift.rounds")
    if cached is not None:
        return cached
    past = sorted(enumerate(ctx.history), key=lambda p: (_version_order(p[1].version), p[0]))
    entries = [(p.version, p.root, p.frame, _rules(ctx, p.version)) for _, p in past]
    entries.append((ctx.rules.version, str(ctx.root), ctx.frame, ctx.rules))
    versions = [e[0] for e in entries]
    out = [
        (v if versions.count(v) == 1 else f"{v} ({root.rstrip('/').rsplit('/', 1)[-1]})", frame, rules)
        for v, root, frame, rules in entries
    ]
    ctx.cache["drift.rounds"] = out
    return out


def _rules(ctx: AuditContext, version: str) -> Round:
    """An earlier round's rules (its accuracy metric names); the audited round's when that round is not bundled."""
    try:
        return Round.load("inference", version)
    except (RulesetError, OSError, KeyError, ValueError):
        return ctx.rules


def _usable(ctx: AuditContext, frame: pd.DataFrame) -> pd.DataFrame:
    """Results a series may hold: a measured positive metric, a scenario in drift.scenarios, a named accelerator."""
    none_values = {normalise(v) for v in ctx.config["identity"]["none_values"]}
    frame = frame[np.isfinite(frame["Result"]) & (frame["Result"] > 0) & ~frame["inferred"]]
    frame = frame[frame["Scenario"].isin(ctx.config["drift"]["scenarios"]) & ~frame["accelerator"].isin(none_values)]
    return frame.assign(Division=frame["Division"].fillna(""), MlperfModel=frame["MlperfModel"].fillna(""))


def metric_points(ctx: AuditContext) -> pd.DataFrame:
    """Every result's metric on the log scale: throughput per accelerator, or the latency of a latency scenario."""
    if "drift.metric" not in ctx.cache:
        parts = []
        for position, (_, frame, _) in enumerate(rounds(ctx)):
            frame = _usable(ctx, frame)
            raw = frame["per_acc"].where(~frame["latency"], frame["Result"])
            frame = frame.assign(raw=raw, metric="", round=position)
            frame = frame[np.isfinite(frame["raw"]) & (frame["raw"] > 0)]
            parts.append(frame.assign(y=np.log(frame["raw"]))[_POINT_COLUMNS])
        ctx.cache["drift.metric"] = pd.concat(parts, ignore_index=True)
    return ctx.cache["drift.metric"]


def accuracy_points(ctx: AuditContext) -> pd.DataFrame:
    """Every result's accuracy, one point per metric the round's rules name for the benchmark (linear scale)."""
    if "drift.accuracy" not in ctx.cache:
        records = []
        for position, (_, frame, rules) in enumerate(rounds(ctx)):
            for row in _usable(ctx, frame).to_dict("records"):
                targets = rules.models.get(row["MlperfModel"], {}).get("accuracy_targets", [])
                for metric, text in accuracy_values(row["Accuracy"], [t["metric"] for t in targets]).items():
                    value = _number(text)
                    if value is not None:
                        records.append({**row, "metric": metric, "round": position, "raw": value, "y": value})
        ctx.cache["drift.accuracy"] = pd.DataFrame(records, columns=_POINT_COLUMNS)
    return ctx.cache["drift.accuracy"]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def bands(points: pd.DataFrame, keys: list[str], alpha: float, last: int) -> pd.DataFrame:
    """Exponentially weighted mean and spread of each round-``last`` point's series, the point itself left out.

    Rounds are the steps of the smoothing: each result of round ``last - j`` weighs ``(1 - alpha) ** j`` (pandas
    ``ewm`` with ``adjust=True``), whatever order the results of one round come in. pandas smooths the per-round
    count, sum and sum of squares of the values; their ratios give the weighted mean and the weighted
    (population) variance, E[y²] - E[y]², of all results of the series, so the spread holds both the peers'
    scatter within a round and the drift between rounds. A round without results in the series still counts as
    a step. Values are centred on the series' median first, so that E[y²] - E[y]² does not cancel for large
    numbers such as tokens per second. The point itself is left out of its own band, so that one wild result
    cannot widen the band that judges it.

    Returns, per round-``last`` point (same index): mean, spread (no floor), count (results in the band) and
    history (of which from earlier rounds).
    """
    columns = ["mean", "spread", "count", "history"]
    current = points[points["round"] == last]
    if current.empty:
        return pd.DataFrame(columns=columns, dtype=float)
    centre = points.groupby(keys, dropna=False)["y"].transform("median")
    data = points.assign(n=1.0, d=points["y"] - centre, centre=centre)
    data = data.assign(d2=data["d"] ** 2)
    sums = data.groupby([*keys, "round"], dropna=False)[["n", "d", "d2"]].sum()
    steps = range(last + 1)
    wide = sums.unstack("round", fill_value=0.0).reindex(columns=pd.MultiIndex.from_product([["n", "d", "d2"], steps]))
    wide = wide.fillna(0.0)
    wide.columns = [f"{name}@{step}" for name, step in wide.columns]
    joined = data.loc[current.index, [*keys, "n", "d", "d2", "centre"]].merge(
        wide, left_on=keys, right_index=True, how="left"
    )

    def per_round(name: str) -> np.ndarray:
        """Rounds x points: the series' per-round ``name`` with the point left out of its own band."""
        matrix = joined[[f"{name}@{step}" for step in steps]].to_numpy(dtype=float).T.copy()
        matrix[last] -= joined[name].to_numpy(dtype=float)
        return matrix

    counts = per_round("n")
    smoothed = {
        name: pd.DataFrame(matrix).ewm(alpha=alpha, adjust=True).mean().iloc[-1].to_numpy()  # one ewm per column
        for name, matrix in (("n", counts), ("d", per_round("d")), ("d2", per_round("d2")))
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = smoothed["d"] / smoothed["n"]
        variance = np.clip(smoothed["d2"] / smoothed["n"] - mean**2, 0.0, None)
    out = pd.DataFrame(
        {
            "mean": mean + joined["centre"].to_numpy(),
            "spread": np.sqrt(variance),
            "count": counts.sum(axis=0),
            "history": counts[:last].sum(axis=0),
        },
        index=current.index,
    )
    return out[(out["count"] > 0) & np.isfinite(out["mean"])]


def _judged(
    ctx: AuditContext, points: pd.DataFrame, keys: list[str], floor: Callable[[float], float]
) -> Iterator[tuple[pd.Series, pd.Series]]:
    """(point, band) for each audited result whose series is long enough and that lies outside its band.

    ``floor(mean)`` is the smallest spread the band may have.
    """
    cfg = ctx.config["drift"]
    if not ctx.history or points.empty:
        return
    last = len(rounds(ctx)) - 1
    table = bands(points, keys, cfg["alpha"], last)
    table = table[(table["count"] >= cfg["min_series"]) & (table["history"] >= cfg["min_history"])]
    for index, band in table.iterrows():
        point = points.loc[index]
        band = band.copy()
        band["spread"] = max(float(band["spread"]), floor(float(band["mean"])))
        if abs(point["y"] - band["mean"]) > cfg["k"] * band["spread"]:
            yield point, band


def series_label(point: Any) -> str:
    power = " with power measurement" if point["has_power"] else ""
    return f"{point['Division']} {point['MlperfModel']} {point['Scenario']} on {point['accelerator_model_name']}{power}"


def _extra(ctx: AuditContext, point: pd.Series, band: pd.Series, low: float, high: float, mean: float) -> dict:
    """What the finding carries: the series (its key, for the HTML chart), the band and the value."""
    return {
        "series": series_label(point), "benchmark": point["MlperfModel"], "scenario": point["Scenario"],
        "division": point["Division"], "accelerator": point["accelerator"], "power": bool(point["has_power"]),
        "metric": point["metric"], "value": float(point["raw"]), "mean": mean, "spread": float(band["spread"]),
        "band": [low, high], "k": ctx.config["drift"]["k"], "alpha": ctx.config["drift"]["alpha"],
        "count": int(band["count"]), "history": int(band["history"]), "rounds": [r[0] for r in rounds(ctx)],
    }  # fmt: skip


@audit_rule(
    "AU050",
    "metric-outside-drift-band",
    fix="Explain what moved this result so far from its accelerator's history (software, settings, accelerator count).",
)
def metric_drift(ctx: AuditContext) -> Iterator[AuditProblem]:
    """The result's metric lies outside mean ± k·spread of its own series across the --history rounds.

    Series: benchmark, scenario, division and accelerator model, power-measured results apart. Metric:
    throughput per accelerator (Offline, Server, Interactive), or the latency itself (SingleStream,
    MultiStream: one stream of queries does not spread over accelerators). Mean and spread are exponentially
    weighted over rounds (drift.alpha per round, pandas ewm) and taken of log(metric): throughput is
    multiplicative (2x faster and 2x slower are equally far, and a band in log units is a factor, the same
    for a 10 samples/s and a 10,000 samples/s accelerator), as in AU020. The band is exp(mean ± k·spread);
    the spread is floored at drift.min_log_spread so a series of identical copies does not flag a 3 %
    difference. The series needs drift.min_series other results, drift.min_history of them from earlier
    rounds. Both directions are flagged.

    Fails: an H100 result at 2x the weighted mean of the H100 results of this and earlier rounds.
    Passes: a result within the band of its series.
    """
    cfg = ctx.config["drift"]
    k, floor = cfg["k"], cfg["min_log_spread"]
    for point, band in _judged(ctx, metric_points(ctx), SERIES, lambda _mean: floor):
        mean = math.exp(band["mean"])
        low, high = math.exp(band["mean"] - k * band["spread"]), math.exp(band["mean"] + k * band["spread"])
        what = "latency" if point["Scenario"] in ("SingleStream", "MultiStream") else "per accelerator"
        yield AuditProblem(
            point["Location"],
            f"{fmt(point['raw'])} {point['Units']} {what} is {fmt(point['raw'] / mean)}x the weighted mean "
            f"{fmt(mean)} of its series {series_label(point)} ({int(band['count'])} other results, "
            f"{int(band['history'])} from earlier rounds; spread {fmt(band['spread'])} in log units)",
            expected=f"within mean ± {k}·spread: {fmt(low)} .. {fmt(high)}",
            found=round(float(point["raw"]), 4),
            extra=_extra(ctx, point, band, low, high, mean),
        )


@audit_rule(
    "AU051",
    "accuracy-outside-drift-band",
    fix="Check the accuracy run (dataset, checkpoint, precision) against the other results on this accelerator.",
)
def accuracy_drift(ctx: AuditContext) -> Iterator[AuditProblem]:
    """An accuracy metric lies outside mean ± k·spread of its own series across the --history rounds.

    Series as in AU050, one per accuracy metric the round's rules name for the benchmark. Accuracy is compared
    on its own linear scale: it is a score bounded by the reference, and its differences are additive (a
    tenth of a ROUGE point), not ratios. The spread is floored at drift.min_accuracy_spread times the mean,
    because deterministic engines repeat the same score to many decimals. Both directions are flagged: lower
    than the series may be a degraded run, higher may be a different dataset or checkpoint.

    Fails: ROUGE1 40.1 where the series' weighted mean is 44.5 with a spread of 0.05.
    Passes: an accuracy within the band.
    """
    cfg = ctx.config["drift"]
    k, floor = cfg["k"], cfg["min_accuracy_spread"]
    for point, band in _judged(ctx, accuracy_points(ctx), [*SERIES, "metric"], lambda mean: floor * abs(mean)):
        mean = float(band["mean"])
        low, high = mean - k * band["spread"], mean + k * band["spread"]
        yield AuditProblem(
            point["Location"],
            f"{point['metric']} {fmt(point['raw'])} is {fmt(point['raw'] - mean)} from the weighted mean "
            f"{fmt(mean)} of its series {series_label(point)} ({int(band['count'])} other results, "
            f"{int(band['history'])} from earlier rounds; spread {fmt(band['spread'])})",
            expected=f"{point['metric']} within mean ± {k}·spread: {fmt(low)} .. {fmt(high)}",
            found=round(float(point["raw"]), 6),
            extra=_extra(ctx, point, band, low, high, mean),
        )


def series_points(ctx: AuditContext, extra: dict[str, Any]) -> list[tuple[str, list[float]]]:
    """(round label, values) of the series a drift finding names, for its chart in the HTML report."""
    points = accuracy_points(ctx) if extra.get("metric") else metric_points(ctx)
    keys = {"MlperfModel": "benchmark", "Scenario": "scenario", "Division": "division", "accelerator": "accelerator",
            "has_power": "power", "metric": "metric"}  # fmt: skip
    mask = np.ones(len(points), dtype=bool)
    for column, name in keys.items():
        mask &= (points[column] == extra.get(name, "")).to_numpy()
    chosen = points[mask]
    return [(label, sorted(chosen.loc[chosen["round"] == i, "raw"].astype(float))) for i, (label, _, _) in
            enumerate(rounds(ctx))]  # fmt: skip
