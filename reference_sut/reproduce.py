"""Re-run a claimed result with the reference SUT and compare claimed vs measured numbers.

Settings come from the claimed run's own ``mlperf_log_detail.txt`` (effective values, seeds
included), so the re-run issues the same load; only the machine and backend can differ.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from checker.parsers.mllog import parse_detail_log

from .backends import default_backend_name
from .compliance import RESULT_FIELD
from .digits import BENCHMARK
from .digits.accuracy import compute
from .harness import RunSpec
from .loadgen_conf import write_user_conf
from .requirements import needs
from .run import launch

PERCENTILES = ("50.00", "90.00", "99.00")
#: relative accuracy drop accepted (same as MLPerf's TEST01 delta for 99 % models)
ACCURACY_TOLERANCE = 0.01
_ACC_RE = re.compile(r"^accuracy\s*=\s*([\d.]+)")
SEED_KEYS = ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")


def _claimed_accuracy(result_dir: Path) -> float | None:
    path = result_dir / "accuracy" / "accuracy.txt"
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ACC_RE.match(line)
        if match:
            return float(match.group(1))
    return None


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


def _item(
    name: str,
    key: str,
    unit: str,
    claimed: float | None,
    measured: float | None,
    better: str,
    tolerance: float,
    informational: bool = False,
) -> dict[str, Any]:
    """One claimed-vs-measured row; ``better`` is 'higher' (throughput/accuracy) or 'lower' (latency)."""
    verdict: bool | None = None
    if claimed is not None and measured is not None:
        if better == "higher":
            verdict = measured >= claimed * (1 - tolerance)
        else:
            verdict = measured <= claimed * (1 + tolerance)
    ratio = (measured / claimed) if claimed and measured is not None else None
    return {
        "name": name,
        "key": key,
        "unit": unit,
        "claimed": claimed,
        "measured": measured,
        "ratio": ratio,
        "better": better,
        "tolerance": tolerance,
        "within_tolerance": verdict,
        "informational": informational,
    }


def cannot_reproduce(result_dir: Path, benchmark: str, scenario: str | None, reason: str) -> dict[str, Any]:
    return {
        "status": "cannot_reproduce",
        "reproduced": None,
        "result_dir": str(result_dir),
        "benchmark": benchmark,
        "scenario": scenario,
        "reason": reason,
        "needs": needs(benchmark),
        "items": [],
    }


def reproduce(
    result_dir: Path,
    device: str = "cpu",
    tolerance: float = 0.1,
    backend: str | None = None,
    onnx_model: Path | None = None,
) -> dict[str, Any]:
    """Re-run ``results/<system>/<benchmark>/<scenario>`` and judge each claimed number."""
    result_dir = Path(result_dir)
    detail = result_dir / "performance" / "run_1" / "mlperf_log_detail.txt"
    benchmark = result_dir.parent.name
    log = parse_detail_log(detail).values if detail.is_file() else {}
    scenario = log.get("effective_scenario", result_dir.name)
    if benchmark != BENCHMARK:
        return cannot_reproduce(
            result_dir,
            benchmark,
            scenario,
            f"reference_sut can only re-run '{BENCHMARK}'; '{benchmark}' needs its own model, data set and harness",
        )
    if not log:
        return {**cannot_reproduce(result_dir, benchmark, scenario, f"missing {detail}"), "needs": None}
    backend_name = backend or ("onnxruntime" if onnx_model else default_backend_name(device))
    settings = settings_from_log(log)
    with tempfile.TemporaryDirectory(prefix="refsut-repro-") as tmp:
        work = Path(tmp)
        conf = write_user_conf(
            work / "user.conf",
            BENCHMARK,
            scenario,
            {},
            "empty on purpose: reproduce sets TestSettings from the claimed log",
        )
        runs = {}
        for mode, sub in (("PerformanceOnly", "perf"), ("AccuracyOnly", "acc")):
            spec = RunSpec(
                scenario=scenario,
                mode=mode,
                user_conf=str(conf),
                log_dir=str(work / sub),
                backend=backend_name,
                device=device,
                onnx_model=str(onnx_model) if onnx_model else None,
                overrides=settings,
            )
            runs[sub] = launch(spec)
        new = parse_detail_log(work / "perf" / "mlperf_log_detail.txt").values
        measured_acc = compute(work / "acc" / "mlperf_log_accuracy.json").accuracy
    key = RESULT_FIELD[scenario]
    throughput = scenario in ("Offline", "Server")
    items = [
        _item(
            "primary metric",
            key,
            "samples/s" if throughput else "ns",
            _num(log.get(key)),
            _num(new.get(key)),
            "higher" if throughput else "lower",
            tolerance,
        )
    ]
    for pct in PERCENTILES:
        pkey = f"result_{pct}_percentile_latency_ns"
        items.append(
            _item(
                f"p{pct.split('.')[0]} latency",
                pkey,
                "ns",
                _num(log.get(pkey)),
                _num(new.get(pkey)),
                "lower",
                tolerance,
                informational=True,
            )
        )
    items.append(
        _item(
            "accuracy",
            "accuracy.txt accuracy=",
            "%",
            _claimed_accuracy(result_dir),
            measured_acc,
            "higher",
            ACCURACY_TOLERANCE,
        )
    )
    judged = [it["within_tolerance"] for it in items if not it["informational"]]
    reproduced = bool(judged) and all(v is True for v in judged)
    return {
        "status": "reproduced" if reproduced else "not_reproduced",
        "reproduced": reproduced,
        "result_dir": str(result_dir),
        "benchmark": benchmark,
        "scenario": scenario,
        "claimed_sut_name": log.get("sut_name"),
        "measured_sut_name": new.get("sut_name"),
        "backend": runs["perf"]["backend"],
        "device": runs["perf"]["device"],
        "tolerance": tolerance,
        "claimed_validity": log.get("result_validity"),
        "measured_validity": new.get("result_validity"),
        "settings": settings,
        "items": items,
    }


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"


def format_text(report: dict[str, Any]) -> str:
    """Human-readable side-by-side table of a :func:`reproduce` report."""
    head = f"{report.get('benchmark')} / {report.get('scenario')} ({report.get('result_dir')})"
    if report["status"] == "cannot_reproduce":
        lines = [f"CANNOT REPRODUCE {head}", f"  reason: {report['reason']}"]
        need = report.get("needs")
        if need:
            lines += [
                f"  needs model:   {need['model']}",
                f"  needs dataset: {need['dataset']}"
                + (f" ({need['dataset_size']:,} samples)" if need.get("dataset_size") else ""),
            ]
            lines += [f"  needs:         {extra}" for extra in need["also"]]
        return "\n".join(lines) + "\n"
    verdict = "REPRODUCED" if report["reproduced"] else "NOT REPRODUCED"
    lines = [
        f"{verdict} {head}",
        f"  backend={report['backend']} device={report['device']} tolerance={report['tolerance']:.0%}",
        f"  claimed validity={report['claimed_validity']} measured validity={report['measured_validity']}",
        f"  {'item':<16} {'claimed':>18} {'measured':>18} {'ratio':>7}  verdict",
    ]
    for it in report["items"]:
        ok = it["within_tolerance"]
        mark = "n/a" if ok is None else ("ok" if ok else "FAIL")
        if it["informational"]:
            mark += " (info)"
        ratio = f"{it['ratio']:.3f}" if it["ratio"] is not None else "-"
        lines.append(f"  {it['name']:<16} {_fmt(it['claimed']):>18} {_fmt(it['measured']):>18} {ratio:>7}  {mark}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m reference_sut.reproduce RESULT_DIR``; exit 0 reproduced, 1 not, 2 cannot."""
    parser = argparse.ArgumentParser(description="Re-run a claimed digits result and compare")
    parser.add_argument("result_dir", type=Path)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--tolerance", type=float, default=0.1)
    parser.add_argument("--backend", choices=["numpy", "torch", "onnxruntime"])
    parser.add_argument("--onnx-model", type=Path)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = reproduce(args.result_dir, args.device, args.tolerance, args.backend, args.onnx_model)
    sys.stdout.write(json.dumps(report, indent=2) + "\n" if args.json else format_text(report))
    return {"reproduced": 0, "not_reproduced": 1}.get(report["status"], 2)


if __name__ == "__main__":
    sys.exit(main())
