"""AU020: per-accelerator throughput far from the round's other results on the same accelerator."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from checker.audit.base import AuditContext, AuditProblem, audit_rule, fmt, robust_z


@audit_rule(
    "AU020",
    "per-accelerator-outlier",
    fix="Check the accelerator count in the system JSON and the run; explain what makes this system different.",
)
def per_accelerator_outlier(ctx: AuditContext) -> Iterator[AuditProblem]:
    """Throughput per accelerator is an outlier among results of the same benchmark, scenario, division and accelerator.

    Statistic: the modified z-score 0.6745 * (x - median) / MAD of log(throughput / accelerators), per group
    of at least outliers.min_population results. Why median and MAD rather than mean and standard deviation:
    groups are small (5-40 results) and the outliers we look for would inflate a standard deviation enough to
    hide themselves; the median and MAD ignore up to half the group. Why the log: speed-ups are ratios, so 2x
    above and 2x below the median are equally far. The MAD is floored (outliers.min_log_spread) because many
    submitters file identical copies of one reference system. Results with power measurement (often
    power-capped MaxQ systems) form their own population. Both directions are flagged: too fast suggests a
    wrong accelerator count or a copied log, too slow a mis-configured or mislabelled system.

    Fails: one H100 result at 3x the median per-accelerator throughput of its peers.
    Passes: a result within the MAD band.
    """
    cfg = ctx.config["outliers"]
    frame = ctx.usable
    frame = frame[frame["Scenario"].isin(cfg["scenarios"]) & frame["per_acc"].notna() & (frame["per_acc"] > 0)]
    keys = ["MlperfModel", "Scenario", "Division", "accelerator", "has_power"]
    for (model, scenario, division, _, power), group in frame.groupby(keys, sort=True):
        if len(group) < cfg["min_population"]:
            continue
        z, median, mad = robust_z(np.log(group["per_acc"]), cfg["min_log_spread"])
        central = float(np.exp(median))
        for index, row in group.iterrows():
            score = float(z[index])
            if abs(score) <= cfg["mad_multiplier"]:
                continue
            direction = "above" if score > 0 else "below"
            yield AuditProblem(
                row["Location"],
                f"{fmt(row['per_acc'])} {row['Units']} per accelerator ({fmt(row['Result'])} / "
                f"{fmt(row['accelerators'])} x {row['accelerator_model_name']}) is {fmt(row['per_acc'] / central)}x "
                f"the median {fmt(central)} of {len(group)} {division} {model} {scenario}"
                f"{' power' if power else ''} results on this accelerator "
                f"(modified z {fmt(score)}, {direction})",
                expected=f"|modified z| <= {cfg['mad_multiplier']} around median {fmt(central)}",
                found=round(float(row["per_acc"]), 4),
                extra={"per_accelerator": row["per_acc"], "median": central, "mad_log": mad, "z": score,
                       "population": len(group), "compared": list(group["Location"])},
            )  # fmt: skip
