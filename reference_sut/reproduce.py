"""Re-run a claimed result with the reference SUT and compare claimed vs measured numbers.

Settings come from the claimed run's own ``mlperf_log_detail.txt`` (effective values, seeds
included), so the re-run issues the same load; only the machine and backend can differ. The
primary metric and its units are the results table's (the round's rule file), the performance
run is repeated and the best run judged, and the claimed hardware is shown beside this machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from checker.parsers.mllog import parse_detail_log

from . import SCENARIOS
from .backends import default_backend_name
from .digits import BENCHMARK
from .hardware import hardware_view, load_average, usable_cpus
from .harness import CHUNK, RunSpec
from .judge import LATENCY_SCENARIOS, consistency, num, pace_slowdown, primary_stats, schedule_match, within_pace
from .loadgen_conf import write_user_conf
from .pace import Pace, pace_in_sut_name, until_quiet
from .preflight import DETAIL, result_problem
from .repro_items import accuracy_item, latency_items, primary_item, validity_item
from .repro_metric import DEMO_RULES, claimed_metric, demo_round, measured_metric
from .repro_text import format_text
from .requirements import needs
from .run import launch

__all__ = ["EXIT_CODES", "format_text", "reproduce", "settings_from_log"]

#: relative accuracy drop accepted (same as MLPerf's TEST01 delta for 99 % models)
ACCURACY_TOLERANCE = 0.01
#: exit status of each report status; 3 (inconclusive) is documented in the README and --help
EXIT_CODES = {"reproduced": 0, "not_reproduced": 1, "cannot_reproduce": 2, "inconclusive": 3}
SEED_KEYS = ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")


def settings_from_log(log: dict[str, Any]) -> dict[str, int | float]:
    """TestSettings attribute values that recreate the claimed run's load."""
    scenario = log["effective_scenario"]
    out: dict[str, int | float] = {
        "min_duration_ms": int(log["effective_min_duration_ms"]),
        "max_duration_ms": int(log.get("effective_max_duration_ms", 0)),
        "max_query_count": int(log.get("effective_max_query_count", 0)),
    }
    out.update({key: int(log[f"effective_{key}"]) for key in SEED_KEYS})
    if scenario == "Offline":
        # samples_per_query = max(min_query_count, 1.1 * duration * qps): pin it to the claimed one
        out["offline_expected_qps"] = float(log["effective_target_qps"])
        out["min_query_count"] = int(log["effective_samples_per_query"])
    else:
        out["min_query_count"] = int(log["effective_min_query_count"])
    if scenario == "Server":
        out["server_target_qps"] = float(log["effective_target_qps"])
        out["server_target_latency_ns"] = int(log["effective_target_latency_ns"])
    if scenario == "SingleStream" and "requested_single_stream_expected_latency_ns" in log:
        out["single_stream_expected_latency_ns"] = int(log["requested_single_stream_expected_latency_ns"])
    if scenario == "MultiStream":
        out["multi_stream_samples_per_query"] = int(log["effective_samples_per_query"])
        if "requested_multi_stream_expected_latency_ns" in log:
            out["multi_stream_expected_latency_ns"] = int(log["requested_multi_stream_expected_latency_ns"])
    return out


def cannot_reproduce(base: dict[str, Any], reason: str, need: bool = False) -> dict[str, Any]:
    """A report that runs nothing; an inconsistent claim is still a claim not reproduced (exit 1)."""
    broken = [c for c in base.get("consistency", []) if not c["ok"]]
    status = "not_reproduced" if broken else "cannot_reproduce"
    return {
        **base,
        "status": status,
        "reproduced": False if broken else None,
        "reason": reason,
        "needs": needs(base["benchmark"]) if need else None,
        "items": [],
    }


def _runs(
    scenario: str,
    settings: dict[str, int | float],
    repeat: int,
    backend: str,
    device: str,
    onnx: Path | None,
    benchmark: str = BENCHMARK,
    pace: Pace | None = None,
) -> tuple[list[dict[str, Any]], Path, dict[str, Any], tempfile.TemporaryDirectory[str]]:
    """``repeat`` performance runs and one accuracy run, each a fresh LoadGen process; a paced run that other
    work slowed past BUSY_SLOWDOWN is made again, up to PATIENCE times ``repeat`` runs.
    """
    tmp = tempfile.TemporaryDirectory(prefix="refsut-repro-")
    work = Path(tmp.name)
    header = "empty on purpose: reproduce sets TestSettings from the claimed log"
    conf = write_user_conf(work / "user.conf", benchmark, scenario, {}, header)

    def one(mode: str, sub: str) -> dict[str, Any]:
        spec = RunSpec(
            scenario=scenario,
            mode=mode,
            user_conf=str(conf),
            log_dir=str(work / sub),
            backend=backend,
            device=device,
            onnx_model=str(onnx) if onnx else None,
            overrides=settings,
            model=benchmark,
            pace=[pace.base_us, pace.per_sample_us] if pace else None,
        )
        return launch(spec)

    def perf(index: int) -> dict[str, Any]:
        info = one("PerformanceOnly", f"perf{index}")
        return {**parse_detail_log(work / f"perf{index}" / "mlperf_log_detail.txt").values, "_info": info}

    runs, made = until_quiet(perf, lambda log: pace_slowdown(log, pace, CHUNK), repeat)
    info = {**one("AccuracyOnly", "acc"), "slowed_runs_made_again": made - len(runs)}
    return runs, work / "acc" / "mlperf_log_accuracy.json", info, tmp


def _failure(exc: BaseException) -> str:
    """The last meaningful line of a failed LoadGen child (its own error message)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def reproduce(
    result_dir: Path,
    device: str = "cpu",
    tolerance: float = 0.1,
    backend: str | None = None,
    onnx_model: Path | None = None,
    repeat: int = 3,
) -> dict[str, Any]:
    """Re-run ``results/<system>/<benchmark>/<scenario>`` ``repeat`` times and judge each claimed number."""
    started = time.perf_counter()
    shown, result_dir = str(result_dir), Path(result_dir).resolve()  # "." and "sys/bench/Offline" have parents
    backend_name = backend or ("onnxruntime" if onnx_model else default_backend_name(device))
    base: dict[str, Any] = {
        "result_dir": shown,
        "benchmark": result_dir.parent.name,
        "scenario": result_dir.name,
        "backend": backend_name,
        "device": device,
        "tolerance": tolerance,
        "repeat": repeat,
    }
    problem = result_problem(result_dir)
    if problem:
        return cannot_reproduce(base, problem)
    log = parse_detail_log(result_dir / DETAIL).values
    base["scenario"] = scenario = str(log.get("effective_scenario", result_dir.name))
    base["hardware"] = hardware = hardware_view(result_dir, backend_name, device)
    try:  # the claim's SUT answered at the pace its sut_name records; the re-run keeps that pace
        pace = pace_in_sut_name(log.get("sut_name"))
    except ValueError as exc:
        return cannot_reproduce(base, f"the claimed log's sut_name: {exc}")
    base["pace"] = pace.label if pace else None
    base["consistency"] = checks = consistency(log) + within_pace(log, pace, CHUNK)
    base["claimed_validity"] = log.get("result_validity")
    benchmark = base["benchmark"]
    if benchmark not in DEMO_RULES:
        known = " and ".join(f"'{name}'" for name in DEMO_RULES)
        reason = f"reference_sut can only re-run {known}; '{benchmark}' needs its own model, data set"
        return cannot_reproduce(base, reason + " and harness", need=True)
    if benchmark != BENCHMARK and backend_name != "numpy":
        return cannot_reproduce(base, f"the {benchmark} SUT runs on numpy only: leave out --backend and --onnx-model")
    if scenario not in SCENARIOS:
        return cannot_reproduce(base, f"the claimed log's effective_scenario {scenario!r} is not a LoadGen scenario")
    key = demo_round(benchmark).result_key(benchmark, scenario) or "the table's metric"
    if num(log.get(key)) is None:  # nothing to compare a re-run with: never "reproduced"
        return cannot_reproduce(base, f"the claimed log has no usable {key} (the results table's metric)")
    claimed_acc = claimed_metric(result_dir, benchmark)
    if claimed_acc is None:
        name = next(iter(demo_round(benchmark)["models"][benchmark]["metrics"]))
        return cannot_reproduce(base, f"no claimed accuracy: accuracy/accuracy.txt lacks an '{name}=' line")
    try:
        settings = settings_from_log(log)
    except (KeyError, TypeError, ValueError) as exc:
        reason = f"the claimed log lacks a usable LoadGen setting ({exc}), so its load cannot be recreated"
        return cannot_reproduce(base, reason)
    load_before = load_average()
    try:
        runs, acc_log, info, tmp = _runs(scenario, settings, repeat, backend_name, device, onnx_model, benchmark, pace)
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        return cannot_reproduce(base, f"the reference SUT could not run here: {_failure(exc)}")
    with tmp:  # the re-run's metric, computed by the plugin `subcheck check` uses (top1_label, dice)
        measured_acc = measured_metric(acc_log, benchmark)
    if isinstance(measured_acc, str):
        return cannot_reproduce(base, f"the re-run's accuracy cannot be computed: {measured_acc}")
    base["load"] = {"before": load_before, "after": load_average(), "cpus": usable_cpus()}
    return judged(base, log, runs, claimed_acc, measured_acc, info, hardware["same"], checks, started)


def judged(
    base: dict[str, Any],
    log: dict[str, Any],
    runs: list[dict[str, Any]],
    claimed_acc: float,
    measured_acc: float,
    info: dict[str, Any],
    same_hardware: bool,
    checks: list[dict[str, Any]],
    started: float,
) -> dict[str, Any]:
    """The report: rows, the claim's consistency (with the re-run's schedule) and one status."""
    scenario, tolerance = base["scenario"], base["tolerance"]
    benchmark = base["benchmark"]
    key = demo_round(benchmark).result_key(benchmark, scenario) or ""
    units = demo_round(benchmark).units(benchmark, scenario)
    scale = 1e-6 if scenario in LATENCY_SCENARIOS else 1.0
    better = "lower" if scenario in LATENCY_SCENARIOS else "higher"
    pairs = [(v * scale, r) for r in runs if (v := num(r.get(key))) is not None]
    values = [v for v, _ in pairs]
    claimed = num(log.get(key))
    load = base.get("load") or {}
    busy = (load.get("before") or 0) >= load.get("cpus", 1)
    stats = primary_stats(claimed * scale if claimed is not None else None, values, better, tolerance, busy)
    best_run = next((r for v, r in pairs if v == stats.get("best")), runs[0])
    if scenario == "Server":
        match = schedule_match(
            num(log.get("result_scheduled_samples_per_sec")),
            [v for r in runs if (v := num(r.get("result_scheduled_samples_per_sec"))) is not None],
        )
        checks = [*checks, match] if match else checks
    items = [
        primary_item(units, key, claimed, scale, stats, better, tolerance, informational=not same_hardware),
        validity_item(base.get("claimed_validity"), runs, scenario == "Server" and same_hardware, busy),
        *latency_items(log, best_run, tolerance),
        accuracy_item(claimed_acc, measured_acc, ACCURACY_TOLERANCE, "accuracy" if benchmark == BENCHMARK else "dice"),
    ]
    failed = [it for it in items if not it["informational"] and it["verdict"] == "miss"]
    broken = [c for c in checks if not c["ok"]]
    unsure = [it for it in items if not it["informational"] and it["verdict"] == "inconclusive"]
    unjudged = [it["name"] for it in items if not it["informational"] and it["verdict"] is None]
    status = "not_reproduced" if failed or broken else ("inconclusive" if unsure else "reproduced")
    if status == "reproduced" and unjudged:  # a row without a verdict (the re-run logged no value) is no pass
        status = "cannot_reproduce"
        base = {**base, "reason": f"no verdict for {', '.join(unjudged)}: the re-run's logs lack the value"}
    return {
        **base,
        "status": status,
        "reproduced": {"reproduced": True, "not_reproduced": False}.get(status),
        "consistency": checks,
        "primary": {"key": key, "units": units, **stats},
        "claimed_sut_name": log.get("sut_name"),
        "measured_sut_name": runs[0].get("sut_name"),
        "backend": info["backend"],
        "device": info["device"],
        "measured_validity": [r.get("result_validity") for r in runs],
        "settings": {k: v for k, v in runs[0]["_info"]["overrides"].items()},
        "slowed_runs_made_again": info.get("slowed_runs_made_again", 0),
        "items": items,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m reference_sut.reproduce RESULT_DIR``; exit 0 reproduced, 1 not, 2 cannot, 3 inconclusive."""
    parser = argparse.ArgumentParser(description="Re-run a claimed digits or segmentation result and compare")
    parser.add_argument("result_dir", type=Path)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--tolerance", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=["numpy", "torch", "onnxruntime"])
    parser.add_argument("--onnx-model", type=Path)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = reproduce(args.result_dir, args.device, args.tolerance, args.backend, args.onnx_model, args.repeat)
    sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n" if args.json else format_text(report))
    return EXIT_CODES.get(report["status"], 2)


if __name__ == "__main__":
    sys.exit(main())
