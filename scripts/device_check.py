"""The reference SUT on an accelerator, end to end: claims made there, then reproduced there.

    python scripts/device_check.py OUT [--device cuda] [--backend torch] [--repeat 3]

scripts/device_check.sh sets up the environment and runs this. Steps, each printed as it ends:

1. what this machine is (interpreter, LoadGen, back-end, GPU as the back-end sees it, CPUs);
2. per scenario, one unpaced performance run: what the back-end itself does on this device;
3. per scenario, a performance run and an accuracy run of ``digits`` at the SUT's default pace
   (reference_sut/pace.py; Offline's ``target_qps`` calibrated there first), written as a result folder
   of a claims tree whose system description is this machine (``OUT/claims``);
4. ``subcheck reproduce --device DEVICE`` of each claim (expected: reproduced, exit 0) and of a copy whose
   claim is raised 30 % (expected: exit 1), and of the bundled Offline demo claim made on a CPU-only
   machine (hardware differs: the speed rows are informative only, accuracy must reproduce; exit 0).

Every reproduce report is kept as JSON under ``OUT/reproduce`` and printed as text; a table of expected
and actual exit codes ends the run, and the exit status is 0 only when every code was as expected.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reference_sut import SCENARIOS  # noqa: E402
from reference_sut.fixtures.generate import calibrate_offline, scenario_dir, write_common  # noqa: E402
from reference_sut.fixtures.layout import USER_CONF  # noqa: E402
from reference_sut.fixtures.scenario import (  # noqa: E402
    PERF_FILES,
    RunOptions,
    copy_files,
    install_accuracy,
    loadgen_run,
    median_perf_run,
    metric,
    write_conf_files,
)
from reference_sut.hardware import this_machine  # noqa: E402
from reference_sut.loadgen_conf import loadgen_version  # noqa: E402
from reference_sut.repro_text import format_text  # noqa: E402
from tests.reproduce_trees import raise_claim  # noqa: E402

DEMO = REPO / "fixtures/valid/closed/SubcheckDemo/results/demo_cpu_numpy/digits"
EXIT = {"reproduced": 0, "not_reproduced": 1, "inconclusive": 3}


def environment(backend: str, device: str) -> dict[str, Any]:
    """What the claims and re-runs run on, as the back-end sees it."""
    facts: dict[str, Any] = {"python": platform.python_version(), "loadgen": loadgen_version()}
    if backend == "torch":
        import torch

        facts["torch"] = torch.__version__
        facts["torch_cuda"] = torch.version.cuda
        facts["cuda_available"] = torch.cuda.is_available()
    return {**facts, **this_machine(backend, device)}


def unpaced(opts: RunOptions) -> dict[str, Any]:
    """One performance run per scenario without the emulated service time: the back-end's own speed here."""
    measured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="device-unpaced-") as tmp:
        work = Path(tmp)
        target_qps, _ = calibrate_offline(work, opts)
        confs = {**USER_CONF, "Offline": {**USER_CONF["Offline"], "target_qps": target_qps}}
        for scenario in SCENARIOS:
            conf = write_conf_files(work / scenario, scenario, confs[scenario])
            perf = loadgen_run(scenario, "PerformanceOnly", conf, work / scenario / "perf", opts)
            measured[scenario] = metric(perf / "mlperf_log_detail.txt")
            print(f"unpaced {scenario}: {json.dumps(measured[scenario])}", flush=True)
    return measured


def make_claims(tree: Path, opts: RunOptions, system: str) -> dict[str, Any]:
    """One claimed result per scenario, made on ``opts.device`` now: the claims the re-runs are judged on."""
    write_common(tree, system=system, backend=str(opts.backend), device=opts.device)
    made: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="device-claims-") as tmp:
        work = Path(tmp)
        target_qps, measured = calibrate_offline(work, opts)
        made["offline_calibration"] = {"measured_samples_per_second": round(measured), "target_qps": target_qps}
        confs = {**USER_CONF, "Offline": {**USER_CONF["Offline"], "target_qps": target_qps}}
        for scenario in SCENARIOS:
            started = time.perf_counter()
            scn = scenario_dir(tree, scenario, system)
            conf = write_conf_files(scn, scenario, confs[scenario], f"made on {opts.backend} {opts.device}")
            perf = median_perf_run(scenario, conf, work / scenario, opts=opts)
            copy_files(perf, scn / "performance" / "run_1", PERF_FILES)
            acc_raw = loadgen_run(scenario, "AccuracyOnly", conf, work / scenario / "acc", opts)
            acc = install_accuracy(acc_raw, scn / "accuracy")
            made[scenario] = {
                **metric(perf / "mlperf_log_detail.txt"),
                "accuracy": acc["accuracy"],
                "seconds": round(time.perf_counter() - started, 1),
            }
            print(f"claim {scenario}: {json.dumps(made[scenario])}", flush=True)
    return made


def reproduce(result: Path, device: str, backend: str, repeat: int, keep: Path) -> dict[str, Any]:
    """``subcheck reproduce`` in its own process, as a reviewer runs it; the JSON report is kept in ``keep``."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "checker.cli", "reproduce", str(result), "--device", device]
    command += ["--backend", backend, "--repeat", str(repeat), "--format", "json"]
    proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    keep.write_text(proc.stdout or proc.stderr)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        print(f"{result}: exit {proc.returncode}, no report: {proc.stderr.strip()[-400:]}", flush=True)
        return {"exit": proc.returncode, "seconds": round(time.perf_counter() - started, 1)}
    print(format_text(report), flush=True)
    stats = report.get("primary") or {}
    return {
        "exit": proc.returncode,
        "status": report.get("status"),
        "best": float(f"{stats['best']:.6g}") if isinstance(stats.get("best"), float) else stats.get("best"),
        "runs": stats.get("runs"),
        "spread": round(stats["spread"], 3) if isinstance(stats.get("spread"), float) else None,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--backend", default=None, help="default: torch on an accelerator, numpy on cpu")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    backend = args.backend or ("numpy" if args.device == "cpu" else "torch")
    system = f"demo_{args.device}_{backend}"
    args.out.mkdir(parents=True, exist_ok=True)
    facts: dict[str, Any] = {"environment": environment(backend, args.device)}
    print(f"environment: {json.dumps(facts['environment'])}", flush=True)
    tree = args.out / "claims"
    if tree.exists():
        shutil.rmtree(tree)
    facts["unpaced"] = unpaced(RunOptions(backend=backend, device=args.device, pace=None))
    facts["claims"] = make_claims(tree, RunOptions(backend=backend, device=args.device), system)
    claims = tree / "closed/SubcheckDemo/results" / system / "digits"
    raised = args.out / "raised"
    if raised.exists():
        shutil.rmtree(raised)
    shutil.copytree(tree, raised)
    keep = args.out / "reproduce"
    keep.mkdir(exist_ok=True)
    rows = []
    for scenario in SCENARIOS:
        raise_claim(raised / claims.relative_to(tree) / scenario, 1.3)
        cases = [
            ("claim made here", claims / scenario, 0),
            ("raised 30 %", raised / claims.relative_to(tree) / scenario, 1),
        ]
        if scenario == "Offline":
            cases.append(("bundled CPU claim", DEMO / scenario, 0))
        for kind, path, expected in cases:
            row = reproduce(path, args.device, backend, args.repeat, keep / f"{scenario}-{kind.split()[0]}.json")
            rows.append({"scenario": scenario, "kind": kind, "expected": expected, **row})
    facts["reproduce"] = rows
    (args.out / "device_check.json").write_text(json.dumps(facts, indent=2) + "\n")
    print(f"\n{'scenario':<13} {'claim':<18} expected  exit  status          best          spread  seconds")
    for row in rows:
        print(
            f"{row['scenario']:<13} {row['kind']:<18} {row['expected']:>8}  {row['exit']:>4}  "
            f"{row.get('status') or '-':<15} {row.get('best') or '-':<13} {row.get('spread') or '-':<7} "
            f"{row['seconds']}"
        )
    wrong = [row for row in rows if row["exit"] != row["expected"]]
    print(f"{len(rows) - len(wrong)} of {len(rows)} exit codes as expected", flush=True)
    raise SystemExit(1 if wrong else 0)


if __name__ == "__main__":
    main()
