"""How often `subcheck reproduce` gives the right verdict on a tree generated on this machine.

    python scripts/reproduce_trials.py [--tries 10] [--repeat 3] [--tree DIR | --best-of K]

Generates a demo tree with ``python -m reference_sut.fixtures`` (one performance run per claim), or
with the tests' builder keeping the best of K runs as each claim (--best-of), unless --tree names one; then
re-runs each valid scenario and a copy whose claim is raised 30 % (tests/reproduce_trees.py) and
prints one JSON line per try and a table of exit codes: valid should exit 0, raised should exit 1.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.reproduce_trees import build_tree, raise_claim  # noqa: E402

RESULTS = Path("valid/closed/SubcheckDemo/results/demo_cpu_numpy/digits")
SCENARIOS = ("Offline", "Server", "SingleStream", "MultiStream")


def reproduce(result: Path, repeat: int) -> dict:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "checker.cli", "reproduce", str(result), "--repeat", str(repeat), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    stats = report.get("primary") or {}
    return {
        "exit": proc.returncode,
        "seconds": round(time.perf_counter() - started, 1),
        "status": report.get("status"),
        "claimed": next((it["claimed"] for it in report.get("items", []) if it.get("primary")), None),
        "best": stats.get("best"),
        "spread": round(stats["spread"], 3) if "spread" in stats else None,
        "load": (report.get("load") or {}).get("after"),
        "error": proc.stderr.strip()[-200:] if proc.returncode == 2 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", type=Path, help="an existing output of python -m reference_sut.fixtures")
    parser.add_argument("--best-of", type=int, help="build claims as the best of K runs (tests/reproduce_trees.py)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="repro-trials-"))
    tree = args.tree
    if tree is None:
        tree = work / "generated"
        started = time.perf_counter()
        if args.best_of:
            build_tree(tree / "valid", tuple(args.scenarios.split(",")), best_of=args.best_of)
        else:
            subprocess.run([sys.executable, "-m", "reference_sut.fixtures", str(tree)], check=False, cwd=REPO)
        print(json.dumps({"generated_seconds": round(time.perf_counter() - started, 1)}), flush=True)
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    for scenario in args.scenarios.split(","):
        raised_root = work / "raised" / scenario
        shutil.copytree(tree / "valid", raised_root / "valid")
        raised = raised_root / RESULTS / scenario
        raise_claim(raised, 1.3)
        for attempt in range(args.tries):
            for kind, path in (("valid", tree / RESULTS / scenario), ("raised", raised)):
                row = {"scenario": scenario, "kind": kind, "try": attempt + 1, **reproduce(path, args.repeat)}
                counts[(scenario, kind)][row["exit"]] += 1
                print(json.dumps(row), flush=True)
    print("scenario      kind    exit codes (count)")
    for (scenario, kind), counter in counts.items():
        print(f"{scenario:<13} {kind:<7} {dict(sorted(counter.items()))}")
    if os.environ.get("KEEP") is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
