"""AU010-AU012: one system and benchmark measured in several scenarios must tell a consistent story.

An Offline run has no latency bound, so it is the fastest a system can go: a Server run above it, or a
single-stream latency that implies more samples per second than Offline, contradicts the physics of the
benchmark. A Server/Offline ratio far below the rest of the round hints at a mislabelled or mis-tuned run.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from checker.audit.base import AuditContext, AuditProblem, audit_rule, fmt, robust_z


def scenario_table(ctx: AuditContext) -> pd.DataFrame:
    """One row per system and benchmark folder, one column per scenario (metric) and per scenario (location)."""
    frame = ctx.usable.copy()
    frame["pair"] = frame["Location"].str.rsplit("/", n=1).str[0]
    values = frame.pivot_table(index="pair", columns="Scenario", values="Result", aggfunc="first")
    where = frame.pivot_table(index="pair", columns="Scenario", values="Location", aggfunc="first")
    meta = frame.groupby("pair")[["MlperfModel", "Organization", "Division", "Platform"]].first()
    return values.join(where.add_suffix("_at")).join(meta)


def _both(table: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Rows with both scenarios measured (an empty frame with both columns when none has)."""
    if a not in table or b not in table:
        return pd.DataFrame(columns=[a, b, f"{a}_at", f"{b}_at", "MlperfModel"])
    return table[table[a].notna() & table[b].notna()]


@audit_rule(
    "AU010",
    "server-above-offline",
    fix="Check that the Server and Offline folders hold the right runs; a Server run cannot outrun Offline.",
)
def server_above_offline(ctx: AuditContext) -> Iterator[AuditProblem]:
    """Server throughput above the same system's Offline throughput for the same benchmark.

    Server adds a latency bound to the same work, so on one system it cannot sustain more than Offline.
    The allowed ratio (scenarios.server_over_offline_max) is in rules/audit/defaults.yaml.

    Fails: Server 1,100 samples/s where Offline is 1,000.
    Passes: Server at or below Offline.
    """
    limit = ctx.config["scenarios"]["server_over_offline_max"]
    table = _both(scenario_table(ctx), "Server", "Offline")
    for _pair, row in table.iterrows():
        ratio = row["Server"] / row["Offline"]
        if ratio > limit:
            yield AuditProblem(
                row["Server_at"],
                f"Server {fmt(row['Server'])} is above Offline {fmt(row['Offline'])} on the same system "
                f"(Server/Offline {fmt(ratio)} > {fmt(limit)}); compared with {row['Offline_at']}",
                expected=f"Server/Offline <= {limit}",
                found=round(float(ratio), 4),
                extra={"server": row["Server"], "offline": row["Offline"], "ratio": ratio,
                       "results": [row["Server_at"], row["Offline_at"]]},
            )  # fmt: skip


@audit_rule(
    "AU011",
    "server-offline-ratio-outlier",
    fix="Compare the Server settings (target QPS, batching) with the Offline run; re-tune or explain the gap.",
)
def server_ratio_outlier(ctx: AuditContext) -> Iterator[AuditProblem]:
    """Server far below Offline compared with the Server/Offline ratio of the rest of the round.

    Uses the modified z-score (median and MAD, see :func:`checker.audit.base.robust_z`) of log(Server/Offline)
    over every system that ran both scenarios of the benchmark; ratios are compared on a log scale because
    halving and doubling are equally far from the median. Only the low side is flagged (AU010 covers the high).

    Fails: Server at 20 % of Offline where the round's median ratio is 90 %.
    Passes: a ratio near the round's median.
    """
    cfg = ctx.config["scenarios"]
    table = _both(scenario_table(ctx), "Server", "Offline").copy()
    if table.empty:
        return
    table["ratio"] = table["Server"] / table["Offline"]
    table = table[table["ratio"] > 0]
    for model, group in table.groupby("MlperfModel", sort=True):
        if len(group) < cfg["ratio_min_population"]:
            continue
        z, median, mad = robust_z(np.log(group["ratio"]))
        central = float(np.exp(median))
        for pair, row in group.iterrows():
            if z[pair] < -cfg["ratio_mad_multiplier"] and row["ratio"] < central * cfg["ratio_max_fraction_of_median"]:
                yield AuditProblem(
                    row["Server_at"],
                    f"Server/Offline ratio {fmt(row['ratio'])} of {model} is far below the round's median "
                    f"{fmt(central)} over {len(group)} systems (modified z {fmt(z[pair])}, "
                    f"Server {fmt(row['Server'])}, Offline {fmt(row['Offline'])})",
                    expected=f"ratio near {fmt(central)} (|z| <= {cfg['ratio_mad_multiplier']})",
                    found=round(float(row["ratio"]), 4),
                    extra={"ratio": row["ratio"], "median_ratio": central, "mad_log": mad, "z": z[pair],
                           "population": len(group), "results": [row["Server_at"], row["Offline_at"]]},
                )  # fmt: skip


@audit_rule(
    "AU012",
    "latency-faster-than-offline",
    fix="Check that the SingleStream/MultiStream and Offline runs come from the same system and software.",
)
def latency_vs_offline(ctx: AuditContext) -> Iterator[AuditProblem]:
    """A SingleStream/MultiStream latency implies more samples per second than the same system's Offline run.

    The reported latency is a high percentile, so samples_per_query * 1000 / latency_ms is a lower bound on
    what the system sustained one query at a time; Offline, free to batch, must reach at least that. Offline
    results inferred from a latency run are skipped (they are the same run). MultiStream queries carry the
    round's multistream_samples_per_query samples. Benchmarks whose Offline metric is not samples per second
    (LLMs report tokens per second through result_key_override) are skipped.

    Fails: SingleStream 1 ms (1,000 samples/s) beside Offline 500 samples/s.
    Passes: Offline at least the rate the latency implies.
    """
    tolerance = ctx.config["scenarios"]["latency_rate_tolerance"]
    per_query = {"SingleStream": 1, "MultiStream": ctx.rules.get("inferred_results", {}).get(
        "multistream_samples_per_query", 8)}  # fmt: skip
    table = scenario_table(ctx)
    default_key = ctx.rules["result_keys"].get("Offline")
    for scenario, samples in per_query.items():
        for _pair, row in _both(table, scenario, "Offline").iterrows():
            if ctx.rules.result_key(row["MlperfModel"], "Offline") != default_key:
                continue
            implied = samples * 1000.0 / row[scenario]
            if implied > row["Offline"] * (1 + tolerance):
                yield AuditProblem(
                    row[f"{scenario}_at"],
                    f"{scenario} latency {fmt(row[scenario])} ms implies {fmt(implied)} samples/s "
                    f"({samples} per query), above Offline {fmt(row['Offline'])} samples/s of {row['Offline_at']}",
                    expected=f"implied rate <= Offline x {1 + tolerance}",
                    found=round(implied, 4),
                    extra={"latency_ms": row[scenario], "samples_per_query": samples, "implied_rate": implied,
                           "offline": row["Offline"], "results": [row[f"{scenario}_at"], row["Offline_at"]]},
                )  # fmt: skip
