"""Time-to-train scores: minutes per run, the olympic average, the scaling factor, and the summary row.

Follows ``mlperf_logging.result_summarizer``: a run that fails compliance or lacks run_start/run_stop is
dropped; with k = 1 (``scoring.drop_fastest``) the k fastest and (k - dropped) slowest runs are removed and
the rest averaged; more than k dropped runs leave the score empty. The average is multiplied by the
``scaling_factor`` of a committed ``scaling.json``, as the official score is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checker.numbers import as_float
from checker.parsers.jsonfile import parse_json_file
from checker.parsers.mllog import MllogFile
from checker.training import compliance

if TYPE_CHECKING:
    from checker.training.context import BenchmarkContext, SystemDesc

SYSTEM_COLUMNS = (
    "division",
    "availability",
    "submitter",
    "system",
    "number_of_nodes",
    "host_processor_model_name",
    "host_processors_count",
    "accelerator_model_name",
    "accelerators_count",
    "framework",
    "notes",
    "private_id",
)
DETAIL_COLUMNS = ("GBS", "samples_to_converge", "RCP", "rcp_scaling_factor")


@dataclass(frozen=True)
class RunTime:
    """One run's time to train, or why it was dropped."""

    rel: str
    minutes: float | None
    dropped: str | None = None


@dataclass(frozen=True)
class Score:
    """The score of one benchmark folder and how it was reached."""

    runs: tuple[RunTime, ...]
    dropped: int
    average: float | None
    scaling_factor: float
    scaling_error: str | None
    too_many_dropped: bool
    score: float | None


def run_window(log: MllogFile) -> tuple[float, float] | None:
    """(run_start, run_stop) ms as the summarizer picks them: scan until both are set, the latest start wins."""
    start = stop = None
    for rec in log.records:
        if rec.key == "run_start":
            start = rec.time_ms
        if rec.key == "run_stop":
            stop = rec.time_ms
        if start is not None and stop is not None:
            return start, stop
    return None


def olympic(scores: Sequence[float], dropped: int, k: int) -> float | None:
    """Drop the k fastest and the (k - dropped) slowest, average the rest; None when nothing remains."""
    ordered = sorted(scores)
    kept = ordered[k : len(ordered) - (k - dropped)]
    if not kept:
        return None
    return sum(kept) * 1.0 / len(kept)


def read_scaling(ctx: BenchmarkContext) -> tuple[float, str | None]:
    """The committed scaling factor (1.0 without a file); an unusable file is reported, not fatal."""
    path = ctx.bdir.path / "scaling.json"
    if not path.exists() and not path.is_symlink():
        return 1.0, None
    doc = parse_json_file(path)
    if doc.data is None or "scaling_factor" not in doc.data:
        return 1.0, f"unusable scaling.json: {doc.error or 'no scaling_factor'}"
    factor = doc.data["scaling_factor"]
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not math.isfinite(factor) or factor <= 0:
        return 1.0, f"scaling_factor {factor!r} is not a positive number"
    return float(factor), None


def score_benchmark(ctx: BenchmarkContext) -> Score:
    """Score one folder from its runs' compliance and run windows."""
    times: list[RunTime] = []
    for run in ctx.runs:
        if any(compliance.error_codes(ctx.compliance[run.rel])):
            times.append(RunTime(run.rel, None, "fails compliance"))
            continue
        window = run_window(run.log)
        if window is None:
            times.append(RunTime(run.rel, None, "run_start or run_stop not recorded"))
            continue
        times.append(RunTime(run.rel, (window[1] - window[0]) / 60 / 1000))
    k = ctx.rules["scoring"]["drop_fastest"]
    dropped = sum(1 for t in times if t.minutes is None)
    factor, error = read_scaling(ctx)
    average = None
    if dropped <= k:
        average = olympic([t.minutes for t in times if t.minutes is not None], dropped, k)
    score = average * factor if average is not None else None
    return Score(tuple(times), dropped, average, factor, error, dropped > k, score)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def system_columns(desc: SystemDesc, system_folder: str, private_id: str) -> dict[str, Any]:
    """The per-system prefix of a summary row, as the summarizer builds it from the JSON."""
    d = desc.data or {}
    nodes, cpus, accs = (
        _int(d.get(k)) for k in ("number_of_nodes", "host_processors_per_node", "accelerators_per_node")
    )
    name = d.get("system_name", system_folder)
    if name == "tpu-v3" and accs is not None:
        name = f"TPUv3.{accs * 2}"
    framework = d.get("framework", "")
    if isinstance(framework, str) and "TensorFlow" in framework:
        framework = re.sub(r" commit hash = .*", "", framework, count=1)
    notes = ";".join(str(s) for s in (d.get("hw_notes"), d.get("sw_notes")) if s)
    return {
        "division": d.get("division"),
        "availability": d.get("status"),
        "submitter": d.get("submitter"),
        "system": name,
        "number_of_nodes": d.get("number_of_nodes"),
        "host_processor_model_name": d.get("host_processor_model_name"),
        "host_processors_count": cpus * nodes if cpus is not None and nodes is not None else None,
        "accelerator_model_name": "TPUv3"
        if d.get("accelerator_model_name") == "tpu-v3"
        else d.get("accelerator_model_name"),
        "accelerators_count": accs * nodes if accs is not None and nodes is not None else None,
        "framework": framework,
        "notes": notes,
        "private_id": private_id,
    }


def private_id(ctx: BenchmarkContext) -> str:
    doc = parse_json_file(ctx.system.path / "privateid.json")  # bounded, and a FIFO is refused, not waited on
    value = (doc.data or {}).get("private_id", "")
    return value if isinstance(value, str) else ""


def summary_row(ctx: BenchmarkContext) -> dict[str, Any]:
    """One row per system and benchmark: the official columns, our score and how it was reached."""
    sc = ctx.score
    repo = ctx.rules.get("results_repo", "")
    row = system_columns(ctx.desc, ctx.system.name, private_id(ctx))
    out = ctx.rcp
    row.update(
        {
            "benchmark": ctx.benchmark,
            "score": sc.score,
            "unit": "minutes",
            "unscaled_score": sc.average,
            "scaling_factor": sc.scaling_factor,
            "runs": len(sc.runs),
            "dropped_runs": sc.dropped,
            "GBS": as_float(out.bs)
            if out is not None and isinstance(out.bs, (int, float))
            else None,  # NaN, 10^400: None
            "samples_to_converge": out.samples_to_converge if out is not None else None,
            "RCP": out.status if out is not None else "",
            "rcp_scaling_factor": sc.scaling_factor,
            "computed_rcp_factor": out.norm_factor if out is not None and out.passed else None,
            "details_url": f"{repo}/blob/main/{(ctx.desc.data or {}).get('submitter', ctx.bdir.submitter)}"
            f"/systems/{ctx.system.name}.json",
            "code_url": f"{repo}/blob/master/{(ctx.desc.data or {}).get('submitter', ctx.bdir.submitter)}/benchmarks",
            "path": ctx.rel(ctx.bdir.path),
        }
    )
    if ctx.energy is not None:  # the official detailed table adds <benchmark>:Energy only with power results
        row.update({"Energy": ctx.energy.joules, "energy_unit": "J"})
    return row


def wide_rows(rows: Iterable[Mapping[str, Any]], benchmarks: Sequence[str]) -> list[dict[str, Any]]:
    """Pivot per-benchmark rows into the official one-row-per-system table (benchmarks as columns).

    With power results a ``<benchmark>:Energy`` column (joules) follows the benchmarks, as in the official
    detailed table; without any, the table is exactly the official summary's.
    """
    rows = list(rows)
    with_power = {r.get("benchmark") for r in rows if "Energy" in r}
    energy_columns = {f"{b}:Energy": None for b in benchmarks if b in with_power}
    table: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        ident = (str(row.get("submitter")), str(row.get("details_url")))  # a list as submitter: a finding, no crash
        wide = table.setdefault(
            ident,
            {
                **{c: row.get(c) for c in SYSTEM_COLUMNS},
                **{b: None for b in benchmarks},
                **energy_columns,
                "details_url": row.get("details_url"),
                "code_url": row.get("code_url"),
            },
        )
        if row.get("benchmark") in benchmarks:
            wide[row["benchmark"]] = row.get("score")
            if "Energy" in row:
                wide[f"{row['benchmark']}:Energy"] = row["Energy"]
    order = ("division", "system", "accelerator_model_name", "framework", "accelerators_count")
    return sorted(table.values(), key=lambda r: tuple(str(r.get(c)) for c in order))
