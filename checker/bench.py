"""``make bench``: results checked per second, wall time and peak memory, beside the official checker.

Not a timed test: it prints figures for people. Each measurement runs in a fresh process so that
peak memory (ours and our worker processes') is measured cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OFFICIAL_SCRIPT = REPO.parent / "shared" / "tools" / "time_official_v41.sh"
DEFAULT_INFERENCE_GIT = Path("/work/.mirror/mlcommons+inference/repo")


def _measure_child(args: argparse.Namespace) -> None:
    """Run one check in this process and print its figures as JSON (called in a fresh interpreter)."""
    from checker.engine import run_checks
    from checker.registry import load_all
    from checker.rounds import Round
    from checker.suites import suite_named

    load_all()
    started = time.perf_counter()
    rules = Round.load(args.suite, args.version)
    tree = suite_named(args.suite).discover(Path(args.tree).resolve(), rules, None)
    report = run_checks(tree, rules, jobs=args.jobs)
    results, findings = report.results_checked, len(report.findings)
    wall = time.perf_counter() - started
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    print(json.dumps({"wall_s": wall, "results": results, "findings": findings, "peak_mb": peak / 1024}))


def measure(tree: Path, version: str, suite: str, jobs: int) -> dict[str, float]:
    command = [
        sys.executable,
        "-m",
        "checker.bench",
        "--child",
        "--suite",
        suite,
        "--version",
        version,
        "--jobs",
        str(jobs),
        str(tree),
    ]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    figures["process_wall_s"] = time.perf_counter() - started
    return figures


def official(tree: Path) -> str | None:
    """The official v4.1 checker's timing on ``tree``, when its git snapshot is available here."""
    git_dir = Path(os.environ.get("INFERENCE_GITDIR", DEFAULT_INFERENCE_GIT))
    if not git_dir.exists() or not OFFICIAL_SCRIPT.exists():
        return None
    done = subprocess.run(["bash", str(OFFICIAL_SCRIPT), str(git_dir), str(tree)], capture_output=True, text=True)
    return done.stdout


def _official_wall(text: str) -> float | None:
    for line in text.splitlines():
        if line.startswith("official v4.1 checker:"):
            return float(line.split(":")[1].split()[0])
    return None


def report(label: str, tree: Path, version: str, suite: str, jobs: int, compare: bool) -> None:
    figures = measure(tree, version, suite, jobs)
    rate = figures["results"] / figures["wall_s"] if figures["wall_s"] else 0.0
    print(f"{label}: {tree}")
    print(
        f"  subcheck ({suite} {version}, {jobs} jobs): {figures['results']} results in {figures['wall_s']:.2f} s "
        f"({rate:.0f} results/s; {figures['process_wall_s']:.2f} s with interpreter start), "
        f"peak memory {figures['peak_mb']:.0f} MB"
    )
    if not compare:
        return
    text = official(tree)
    if text is None:
        print("  official v4.1 checker: not measured (set INFERENCE_GITDIR to a fetched mlcommons/inference git dir)")
        return
    wall = _official_wall(text)
    print("  " + "\n  ".join(line for line in text.splitlines() if line.strip() and not line.startswith("CSV:")))
    if wall:
        print(f"  ratio: subcheck is {wall / figures['process_wall_s']:.1f}x faster (process wall time vs official)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tree", type=Path)
    parser.add_argument("--version", default="v4.1")
    parser.add_argument("--suite", choices=["inference", "training"], default="inference")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--training", type=Path, default=None, help="Also measure this training tree.")
    parser.add_argument(
        "--full",
        type=Path,
        default=os.environ.get("SUBCHECK_BENCH_FULL"),
        help="Also measure a whole published round (e.g. extracted with extract_mirror.py).",
    )
    args = parser.parse_args(argv)
    if args.child:
        _measure_child(args)
        return 0
    report("inference sample", args.tree, args.version, "inference", args.jobs, compare=True)
    if args.full and Path(args.full).is_dir():
        report("inference whole round", Path(args.full), args.version, "inference", args.jobs, compare=True)
    if args.training and args.training.is_dir():
        report("training", args.training, args.version, "training", args.jobs, compare=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
