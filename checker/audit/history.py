"""AU040-AU041: with --history, speed-ups since earlier rounds that outrun what everyone else achieved.

Software improves every round, so a speed-up alone is no concern; a speed-up far beyond the median speed-up
of the round's other submitters on the same benchmark and scenario is worth a reviewer's look.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from checker.audit.base import AuditContext, AuditProblem, audit_rule, fmt


def _best(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """The best (highest) ``value`` per key, with the result it came from."""
    columns = list(dict.fromkeys([*keys, value, "Location", "Organization"]))
    frame = frame[frame[value].notna() & (frame[value] > 0) & ~frame["inferred"]]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    index = frame.groupby(keys)[value].idxmax()
    return frame.loc[index, columns]


def _speedups(ctx: AuditContext, keys: list[str], value: str, prev_keys: list[str]) -> pd.DataFrame:
    """Current best per ``keys`` joined with the best of every history round per ``prev_keys``."""
    current = _best(ctx.usable, keys, value)
    joined = []
    for past in ctx.history:
        previous = _best(past.frame, prev_keys, value).rename(
            columns={value: "before", "Location": "before_at", "Organization": "before_by"}
        )
        merged = current.merge(previous, on=prev_keys, how="inner")
        merged["round"] = past.version
        merged["history_root"] = past.root
        joined.append(merged)
    if not joined:
        return pd.DataFrame()
    table = pd.concat(joined, ignore_index=True)
    table["speedup"] = table[value] / table["before"]
    return table


def _beyond_others(
    table: pd.DataFrame, group_keys: list[str], ctx: AuditContext
) -> Iterator[tuple[pd.Series, float, int]]:
    """Rows whose speed-up exceeds the median of the other submitters' speed-ups in the same group."""
    cfg = ctx.config["history"]
    for _, group in table.groupby(group_keys, sort=True):
        for _index, row in group.iterrows():
            if row["speedup"] < cfg["min_improvement"]:
                continue
            others = group[group["Organization"] != row["Organization"]]["speedup"]
            if len(others) < cfg["min_others"]:
                continue
            median = float(others.median())
            if row["speedup"] > median * cfg["beyond_others_factor"]:
                yield row, median, len(others)


@audit_rule(
    "AU040",
    "system-speedup-beyond-round",
    fix="Explain the speed-up (new software, more accelerators, different settings) in the submission notes.",
)
def system_speedup(ctx: AuditContext) -> Iterator[AuditProblem]:
    """The same system name is faster than in an earlier round by more than the round's other submitters improved.

    Compared per benchmark and scenario (higher is better: throughput, or 1/latency); the others' speed-ups are
    those of different submitters' systems that appear in both rounds. Thresholds: history.* in
    rules/audit/defaults.yaml.

    Fails: a system 3x faster than last round where others improved 1.2x.
    Passes: an improvement in line with the round's.
    """
    keys = ["system_key", "MlperfModel", "Scenario"]
    table = _speedups(ctx, keys, "perf", keys)
    if table.empty:
        return
    for row, median, others in _beyond_others(table, ["MlperfModel", "Scenario", "round"], ctx):
        yield AuditProblem(
            row["Location"],
            f"{row['MlperfModel']} {row['Scenario']} is {fmt(row['speedup'])}x its {row['round']} result on the same "
            f"system name, while {others} other submitters' systems improved {fmt(median)}x (median)",
            expected=f"speed-up <= {fmt(median * ctx.config['history']['beyond_others_factor'])}x",
            found=round(float(row["speedup"]), 4),
            extra={"speedup": row["speedup"], "others_median": median, "others": others, "round": row["round"],
                   "results": [row["Location"], f"{row['history_root']}/{row['before_at']}"]},
        )  # fmt: skip


@audit_rule(
    "AU041",
    "accelerator-speedup-beyond-round",
    fix="Explain what makes this accelerator so much faster than in the earlier round.",
)
def accelerator_speedup(ctx: AuditContext) -> Iterator[AuditProblem]:
    """A submitter's per-accelerator best beats the accelerator's best of an earlier round by far more than others.

    The earlier best is taken over every submitter of that accelerator, so a newcomer is compared with the
    state of the art it inherits; the others' speed-ups are other submitters' best per-accelerator figures.

    Fails: a per-accelerator best 2x the accelerator's earlier best where others gained 10 %.
    Passes: a best in line with others' gains.
    """
    keys = ["accelerator", "MlperfModel", "Scenario", "Division", "Organization"]
    prev_keys = ["accelerator", "MlperfModel", "Scenario", "Division"]
    table = _speedups(ctx, keys, "per_acc", prev_keys)
    if table.empty:
        return
    for row, median, others in _beyond_others(table, ["MlperfModel", "Scenario", "Division", "round"], ctx):
        yield AuditProblem(
            row["Location"],
            f"{fmt(row['per_acc'])} per {row['accelerator']} on {row['MlperfModel']} {row['Scenario']} is "
            f"{fmt(row['speedup'])}x the accelerator's best in {row['round']} ({fmt(row['before'])}), while "
            f"{others} other submitters improved {fmt(median)}x (median)",
            expected=f"speed-up <= {fmt(median * ctx.config['history']['beyond_others_factor'])}x",
            found=round(float(row["speedup"]), 4),
            extra={"speedup": row["speedup"], "before": row["before"], "others_median": median, "others": others,
                   "round": row["round"], "results": [row["Location"], f"{row['history_root']}/{row['before_at']}"]},
        )  # fmt: skip
