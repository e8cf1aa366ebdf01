"""``make bench``: results checked per second, wall time and peak memory, beside the official checker of the round.

Not a timed test: it prints figures for people. Each measurement runs in a fresh process so that peak memory
(ours and our workers') is measured cleanly. ``--round VERSION=TREE`` adds a whole published round (extracted
with ``../shared/tools/extract_mirror.py``); each is timed ``--runs`` times warm (page cache filled) and, with
``--cold``, with the page cache dropped before every run of either tool, and the official checker of that round
runs on the same tree in the same session (min/median/max and the ratio of medians).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXTRACT = REPO.parent / "shared" / "tools" / "extract_mirror.py"
DEFAULT_INFERENCE_GIT = Path("/work/.mirror/mlcommons+inference/repo")
OFFICIAL_TAGS = {"v4.1": "v4.1", "v5.0": "v5.0.1", "v5.1": "v5.1.1"}  # the checker release of each round
# A published round's repository holds files beside closed/ and open/ (mkdocs.yml, run.sh, summary_results.json);
# from v5.0 the official checker then stops before checking anything unless told to skip that check.
OFFICIAL_ARGS = {"v5.0": ["--skip-extra-files-in-root-check"], "v5.1": ["--skip-extra-files-in-root-check"]}


def _child_env() -> dict[str, str]:
    """The environment of both tools' runs, with bytecode caching on: as installed, each tool imports its modules
    from ``__pycache__``; a sandbox that sets PYTHONDONTWRITEBYTECODE would have both recompile every module on
    every run, which measures the compiler, not the checker.
    """
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _measure_child(args: argparse.Namespace) -> None:
    """Run one check in this process and print its figures as JSON (called in a fresh interpreter)."""
    from checker.engine import run_checks
    from checker.rounds import Round
    from checker.suites import suite_named

    # The run imports its own suite's rule modules, as ``subcheck check`` does (not every suite's).
    started = time.perf_counter()
    rules = Round.load(args.suite, args.version)
    tree = suite_named(args.suite).discover(Path(args.tree).resolve(), rules, None)
    report = run_checks(tree, rules, jobs=args.jobs)
    wall = time.perf_counter() - started
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    figures = {"wall_s": wall, "results": report.results_checked, "findings": len(report.findings)}
    print(json.dumps({**figures, "rejected": len(report.rejected), "peak_mb": peak / 1024}))


def subcheck_run(tree: Path, version: str, suite: str, jobs: int) -> dict[str, float]:
    """One check of ``tree`` in a fresh interpreter; ``process_wall_s`` includes its start-up."""
    command = [sys.executable, "-m", "checker.bench", "--child", "--suite", suite, "--version", version]
    started = time.perf_counter()
    argv = [*command, "--jobs", str(jobs), str(tree)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=_child_env())
    if done.returncode:
        raise SystemExit(f"subcheck failed on {tree}:\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_wall_s"] = time.perf_counter() - started
    return figures


def official_checker(version: str, workdir: Path) -> Path | None:
    """The official submission checker of ``version``, written out of the fetched mlcommons/inference snapshot."""
    git_dir = Path(os.environ.get("INFERENCE_GITDIR", DEFAULT_INFERENCE_GIT))
    tag = OFFICIAL_TAGS.get(version)
    if tag is None or not git_dir.exists() or not EXTRACT.exists():
        return None
    dest = workdir / f"inference-{tag}"
    if not dest.exists():
        command = [sys.executable, str(EXTRACT), str(git_dir), tag, str(dest), "tools/submission"]
        subprocess.run(command, check=True, capture_output=True)
        compile_all = [sys.executable, "-m", "compileall", "-q", str(dest / "tools" / "submission")]
        subprocess.run(compile_all, capture_output=True, env=_child_env())  # its __pycache__, as ours has one
    return dest / "tools" / "submission"


def official_run(folder: Path, tree: Path, version: str, workdir: Path) -> dict[str, float]:
    """One run of the official checker on ``tree`` (its own interpreter, its own peak memory)."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "w = time.perf_counter() - t; print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    table = workdir / f"official-{version}.csv"
    table.unlink(missing_ok=True)
    argv = ["python3", "submission_checker.py", "--input", str(tree.resolve()), "--version", version]
    argv += ["--csv", str(table), *OFFICIAL_ARGS.get(version, [])]
    command = [sys.executable, "-c", code, *argv]
    out = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=True, env=_child_env())
    wall, peak = map(float, out.stdout.split())
    if not table.exists():  # it stopped before writing its table: a time that measures nothing
        raise SystemExit(f"the official {version} checker did not finish on {tree}")
    return {"process_wall_s": wall, "peak_mb": peak}


def drop_page_cache(tree: Path) -> str:
    """Empty the page cache (root) or, failing that, evict the tree's files one by one (``posix_fadvise``)."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "page cache dropped"
    except OSError:
        pass
    for folder, _, files in os.walk(tree):
        for name in files:
            try:
                fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return "tree evicted from the page cache"


def _spread(values: list[float]) -> str:
    return f"min {min(values):.2f} / median {statistics.median(values):.2f} / max {max(values):.2f} s"


def compare(label: str, tree: Path, version: str, jobs: int, runs: int, cold: bool, workdir: Path) -> None:
    """Time subcheck and the official checker ``runs`` times each on one tree, warm then (``cold``) cold."""
    print(f"{label}: {tree}")
    first = subcheck_run(tree, version, "inference", jobs)  # also fills the page cache
    rate = first["results"] / first["wall_s"] if first["wall_s"] else 0.0
    print(
        f"  subcheck: {first['results']} results ({first['rejected']} rejected, {first['findings']} findings), "
        f"{rate:.0f} results/s, peak memory {first['peak_mb']:.0f} MB with {jobs} workers"
    )
    folder = official_checker(version, workdir)
    modes: list[tuple[str, Callable[[], str]]] = [("warm", lambda: "page cache warm")]
    if cold:
        modes.append(("cold", lambda: drop_page_cache(tree)))
    for mode, prepare in modes:
        ours, theirs = [], []
        for _ in range(runs):
            how = prepare()
            ours.append(subcheck_run(tree, version, "inference", jobs)["process_wall_s"])
            if folder is not None:
                prepare()
                theirs.append(official_run(folder, tree, version, workdir)["process_wall_s"])
        print(f"  {mode} ({how}), {runs} runs: subcheck {_spread(ours)}")
        if not theirs:
            print("    official checker: not measured (set INFERENCE_GITDIR to a fetched mlcommons/inference git dir)")
            continue
        ratio = statistics.median(theirs) / statistics.median(ours)
        print(f"    official {OFFICIAL_TAGS[version]} checker {_spread(theirs)}: subcheck is {ratio:.1f}x faster")


def training(tree: Path, version: str, jobs: int) -> None:
    figures = subcheck_run(tree, version, "training", jobs)
    print(f"training: {tree}")
    print(f"  subcheck: {figures['results']} results in {figures['process_wall_s']:.2f} s with interpreter start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tree", type=Path, nargs="?", help="The v4.1 sample (../shared/data/inference-v4.1).")
    parser.add_argument("--version", default="v4.1")
    parser.add_argument("--suite", choices=["inference", "training"], default="inference")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--training", type=Path, default=None, help="Also measure this training tree.")
    parser.add_argument(
        "--round",
        action="append",
        default=[],
        metavar="VERSION=TREE",
        help="Also compare on a whole published round, e.g. v5.1=/tmp/round51 (repeatable).",
    )
    parser.add_argument("--runs", type=int, default=3, help="Runs of each tool per mode (min/median/max).")
    parser.add_argument("--cold", action="store_true", help="Also time with the page cache dropped before each run.")
    args = parser.parse_args(argv)
    if args.child:
        _measure_child(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="subcheck-bench-") as work:
        if args.tree:
            compare("inference sample", args.tree, args.version, args.jobs, 1, False, Path(work))
        for item in args.round:
            version, _, tree = item.partition("=")
            if not Path(tree).is_dir():
                print(f"{item}: not a folder, skipped (extract the round with extract_mirror.py)")
                continue
            label = f"inference {version} whole round"
            compare(label, Path(tree), version, args.jobs, args.runs, args.cold, Path(work))
    if args.training and args.training.is_dir():
        training(args.training, args.version, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
