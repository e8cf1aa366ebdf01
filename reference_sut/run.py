"""Run one LoadGen test in a fresh subprocess (``python -m reference_sut.run``).

A subprocess per test keeps LoadGen's process-global state clean and lets the caller pick the
working directory, which is where LoadGen looks for ``audit.config``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import MODES, SCENARIOS
from .harness import RunSpec, run_in_process
from .pace import DEFAULT_PACE, Pace

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def launch(spec: RunSpec, audit_config: Path | None = None, timeout: float = 300.0) -> dict[str, Any]:
    """Run ``spec`` in a child process whose cwd holds only ``audit.config`` (when given)."""
    log_dir = Path(spec.log_dir).resolve()
    spec = RunSpec(**{**spec.__dict__, "log_dir": str(log_dir), "user_conf": str(Path(spec.user_conf).resolve())})
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    # The matrices are tiny; BLAS worker threads only fight LoadGen's threads for the cores and
    # made Offline throughput swing by 2x on a 2-core machine.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    with tempfile.TemporaryDirectory(prefix="refsut-cwd-") as cwd:
        if audit_config is not None:
            shutil.copyfile(audit_config, Path(cwd) / "audit.config")
        proc = subprocess.run(
            [sys.executable, "-m", "reference_sut.run", "--spec", spec.to_json()],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"LoadGen run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return json.loads((log_dir / "run_info.json").read_text())


def _pace(parser: argparse.ArgumentParser, text: str) -> list[float] | None:
    if text == "off":
        return None
    try:
        base, per_sample = (float(part) for part in text.split(","))
        Pace(base, per_sample)
    except ValueError as exc:
        parser.error(f"--pace takes 'BASE_US,PER_SAMPLE_US' or 'off': {exc}")
    return [base, per_sample]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run one LoadGen test of the digits reference SUT")
    parser.add_argument("--spec", help="RunSpec as JSON (used by launch())")
    parser.add_argument("--scenario", choices=SCENARIOS)
    parser.add_argument("--mode", default="PerformanceOnly", choices=MODES)
    parser.add_argument("--user-conf", type=Path)
    parser.add_argument("--log-dir", type=Path)
    parser.add_argument("--backend", choices=["numpy", "torch", "onnxruntime"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--onnx-model", type=Path)
    parser.add_argument(
        "--pace",
        default=f"{DEFAULT_PACE.base_us:g},{DEFAULT_PACE.per_sample_us:g}",
        help="emulated service time 'BASE_US,PER_SAMPLE_US' of the digits SUT (reference_sut/pace.py), or 'off'",
    )
    args = parser.parse_args(argv)
    if args.spec:
        spec = RunSpec.from_json(args.spec)
    else:
        if not (args.scenario and args.user_conf and args.log_dir):
            parser.error("--scenario, --user-conf and --log-dir are required without --spec")
        spec = RunSpec(
            scenario=args.scenario,
            mode=args.mode,
            user_conf=str(args.user_conf),
            log_dir=str(args.log_dir),
            backend=args.backend,
            device=args.device,
            onnx_model=str(args.onnx_model) if args.onnx_model else None,
            pace=_pace(parser, args.pace),
        )
    info = run_in_process(spec)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
