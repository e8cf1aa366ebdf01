"""``subcheck audit`` on a training round: identity (AU001/AU002) and time-to-train audits (AU070-AU072).

The inference audits read throughput per scenario; a training round has one time-to-train score (and, with
power, one energy) per system and benchmark folder. This module builds the same two tables the identity audits
read (results and system JSONs) from the training check, and adds audits that make sense for training:

* AU070: accelerator-minutes (score x accelerators) far from the round's other results of the benchmark on the
  same accelerator model (a wrong accelerator count, or a mislabelled system);
* AU071: average power per accelerator (energy / time / accelerators) far from the other power results on the
  same accelerator model (a power log of another run, or of part of the system);
* AU072: one result log, byte for byte, in two benchmark folders (a run filed twice, for two systems).

Thresholds are the ``training`` section of rules/audit/defaults.yaml.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from checker.audit.base import AuditContext, AuditProblem, audit_rule, fmt, robust_z
from checker.audit.frame import count, normalise, systems_table
from checker.engine import Report, Selection, run_checks, run_rule
from checker.findings import Finding
from checker.options import RunOptions
from checker.parsers.jsonfile import parse_json_file
from checker.parsers.text import limit_for, read_bytes_bounded
from checker.registry import REGISTRY
from checker.rounds import Round
from checker.training.discovery import TrainingTree
from checker.training.run import per_benchmark_rows

AUDITS = ("AU001", "AU002", "AU070", "AU071", "AU072")


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per scored benchmark folder, with the columns the identity audits read (Location, SystemName)."""
    frame = pd.DataFrame(
        {
            "Location": [r.get("path", "") for r in rows],
            "SystemName": [r.get("system") for r in rows],
            "Benchmark": [r.get("benchmark") for r in rows],
            "Division": [r.get("division") for r in rows],
            "accelerator_model_name": [r.get("accelerator_model_name") for r in rows],
            "accelerators": [count(r.get("accelerators_count")) for r in rows],
            "minutes": pd.to_numeric(pd.Series([r.get("score") for r in rows], dtype=object), errors="coerce"),
            "Energy": pd.to_numeric(pd.Series([r.get("Energy") for r in rows], dtype=object), errors="coerce"),
            "notes": [r.get("notes") for r in rows],
            "Valid": [bool(r.get("Valid")) for r in rows],
        }
    )
    frame["system_key"] = frame["SystemName"].map(normalise)
    frame["accelerator"] = frame["accelerator_model_name"].map(normalise)
    return frame


def systems_frame(tree: TrainingTree, fields: list[str]) -> pd.DataFrame:
    """One row per ``systems/*.json`` (read bounded; an unreadable one is the check's TS001, not ours)."""
    entries = []
    for sub in tree.submitters:
        prefix = "" if sub.rel == "." else sub.rel + "/"
        for path in sub.system_jsons:
            data = parse_json_file(path).data
            division = str(data.get("division", "")) if isinstance(data, dict) else ""
            entries.append((division, sub.name, path.stem, f"{prefix}systems/{path.name}", data))
    return systems_table(entries, fields)


def _is_training(ctx: AuditContext) -> bool:
    return getattr(ctx.rules, "suite", None) == "training" and "training" in ctx.config


def _outliers(
    frame: pd.DataFrame, value: pd.Series, keys: list[str], cfg: Mapping[str, Any], min_population: int
) -> Iterator[tuple[pd.Series, float, float, float, pd.DataFrame]]:
    """(row, modified z, group median, MAD, group) of each outlier of log(value) within groups of ``keys``."""
    frame = frame.assign(_v=value)
    frame = frame[np.isfinite(frame["_v"]) & (frame["_v"] > 0)]
    for _, group in frame.groupby(keys, sort=True):
        if len(group) < min_population:
            continue
        z, median, mad = robust_z(np.log(group["_v"]), cfg["min_log_spread"])
        for index, row in group.iterrows():
            if abs(float(z[index])) > cfg["mad_multiplier"]:
                yield row, float(z[index]), float(np.exp(median)), mad, group


@audit_rule(
    "AU070",
    "training-accelerator-minutes-outlier",
    fix="Check the accelerator count in the system JSON and the logs; explain what makes this system different.",
)
def accelerator_minutes_outlier(ctx: AuditContext) -> Iterator[AuditProblem]:
    """Accelerator-minutes to train are an outlier among the round's results of the benchmark on the same accelerator.

    Statistic: modified z-score of log(score x accelerators) per benchmark, division, accelerator model and
    scale (accelerator counts rounded to a power of training.scale_bucket, since efficiency drops with scale),
    in groups of at least training.min_population. The MAD floor (training.min_log_spread) is wider than for
    inference throughput.

    Fails: one of six H100 bert results needs 5x the median accelerator-minutes. Passes: within the band.
    """
    if not _is_training(ctx):
        return
    cfg = ctx.config["training"]
    frame = ctx.frame
    value = frame["minutes"] * frame["accelerators"]
    frame = frame.assign(scale=np.round(np.log(frame["accelerators"]) / np.log(cfg["scale_bucket"])))
    keys = ["Benchmark", "Division", "accelerator", "scale"]
    for row, z, median, mad, group in _outliers(frame, value, keys, cfg, cfg["min_population"]):
        cost = row["minutes"] * row["accelerators"]
        yield AuditProblem(
            row["Location"],
            f"{fmt(cost)} accelerator-minutes ({fmt(row['minutes'])} min x {fmt(row['accelerators'])} "
            f"{row['accelerator_model_name']}) is {fmt(cost / median)}x the median {fmt(median)} of {len(group)} "
            f"{row['Division']} {row['Benchmark']} results on this accelerator (modified z {fmt(z)})",
            expected=f"|modified z| <= {cfg['mad_multiplier']} around median {fmt(median)}",
            found=round(float(cost), 4),
            extra={"accelerator_minutes": cost, "median": median, "mad_log": mad, "z": z,
                   "population": len(group), "compared": list(group["Location"]), "results": [row["Location"]]},
        )  # fmt: skip


@audit_rule(
    "AU071",
    "training-power-outlier",
    fix="Check that the power logs belong to this run and cover every node; explain a power cap.",
)
def power_outlier(ctx: AuditContext) -> Iterator[AuditProblem]:
    """Average power per accelerator is an outlier among the round's power results on the same accelerator.

    Statistic: modified z-score of log(energy J / (score s x accelerators)), watts per accelerator, per
    accelerator model across benchmarks, in groups of at least training.power_min_population.

    Fails: 40 W per H100 where the others draw 700 W (a node's log missing). Passes: within the band.
    """
    if not _is_training(ctx):
        return
    cfg = ctx.config["training"]
    frame = ctx.frame
    watts = frame["Energy"] / (frame["minutes"] * 60.0) / frame["accelerators"]
    for row, z, median, mad, group in _outliers(frame, watts, ["accelerator"], cfg, cfg["power_min_population"]):
        w = row["Energy"] / (row["minutes"] * 60.0) / row["accelerators"]
        yield AuditProblem(
            row["Location"],
            f"{fmt(w)} W per accelerator ({fmt(row['Energy'])} J over {fmt(row['minutes'])} min on "
            f"{fmt(row['accelerators'])} {row['accelerator_model_name']}) is {fmt(w / median)}x the median "
            f"{fmt(median)} W of {len(group)} power results on this accelerator (modified z {fmt(z)})",
            expected=f"|modified z| <= {cfg['mad_multiplier']} around median {fmt(median)} W",
            found=round(float(w), 4),
            extra={"watts_per_accelerator": w, "median": median, "mad_log": mad, "z": z,
                   "population": len(group), "compared": list(group["Location"]), "results": [row["Location"]]},
        )  # fmt: skip


@audit_rule(
    "AU072",
    "training-log-filed-twice",
    fix="File each run once, in the folder of the system and benchmark that produced it.",
)
def log_filed_twice(ctx: AuditContext) -> Iterator[AuditProblem]:
    """The same result log, byte for byte, is filed in two benchmark folders.

    Every run writes its own timestamps, so two identical logs are one run counted for two systems (or twice
    for one). Fails: result_3.txt of system A copied into system B's folder. Passes: distinct logs.
    """
    if not _is_training(ctx) or not isinstance(ctx.tree, TrainingTree):
        return
    cap = limit_for(ctx.rules, "training_log")
    seen: dict[str, list[str]] = {}
    for sub in ctx.tree.submitters:
        for system in sub.systems:
            for bench in system.benchmarks:
                for path in bench.result_files:
                    raw = read_bytes_bounded(path, cap)
                    if raw.ok and raw.data:  # an unreadable log is the check's TL001
                        seen.setdefault(hashlib.sha256(raw.data).hexdigest(), []).append(_rel(path, ctx.root))
    for digest, paths in sorted(seen.items(), key=lambda kv: kv[1]):
        folders = sorted({p.rsplit("/", 1)[0] for p in paths})
        if len(folders) < 2:
            continue
        yield AuditProblem(
            paths[0],
            f"the same log is filed {len(paths)} times: {', '.join(sorted(paths))}",
            expected="one log per run",
            found=sorted(paths),
            extra={"sha256": digest, "files": sorted(paths), "results": folders},
        )


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def audit_training(
    root: Path, tree: TrainingTree, rules: Round, config: dict[str, Any], jobs: int, options: RunOptions,
    chosen: Selection,
) -> Report:  # fmt: skip
    """Check the training round at ``root`` like ``subcheck check``, then run the audits that apply to training."""
    from checker.audit.runner import _plain_extra  # the runner imports this module to register its rules

    report = run_checks(tree, rules, jobs=jobs, options=options, selection=chosen)
    rows = per_benchmark_rows(report)
    ctx = AuditContext(root, tree, rules, config, results_frame(rows),  # type: ignore[arg-type]
                       systems_frame(tree, config["identity"]["system_fields"]))  # fmt: skip
    found: list[Finding] = []
    for code in AUDITS:
        if chosen(code):
            found += [replace(f, extra=_plain_extra(f.extra)) for f in run_rule(REGISTRY[code], ctx, ".")]
    return replace(report, findings=[*report.findings, *found])
