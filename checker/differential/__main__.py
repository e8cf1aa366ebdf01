"""``python -m checker.differential [TREE[=VERSION] ...]``: subcheck and every official tool that applies, one table.

With no tree it runs on the shared data (``$SUBCHECK_DATA`` or ``../shared/data``): each ``<suite>-<version>``
folder in it. A tree given as ``PATH=VERSION`` is checked against that round; a bare ``PATH`` must be named
``<suite>-<version>``. ``--fast`` reads an official tool's kept output beside a tree (``<tree>.official-summary.csv``)
instead of running it. Exit 0: every difference is explained; 1: some are not; 2: could not run.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
from pathlib import Path

from checker.differential.compare import SUBCHECK, Comparison, compare, load_explanations, summary
from checker.differential.tools import TOOLS, ToolRun, applicable, run_subcheck, run_tool

REPO = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"^(inference|training|endpoints)-(v\d+\.\d+)$")


class TargetError(Exception):
    """A tree argument that names no folder, or no round (exit 2)."""


def default_data() -> Path:
    return Path(os.environ.get("SUBCHECK_DATA", REPO.parent / "shared" / "data"))


def suite_of(tree: Path) -> str:
    """The suite of a tree: its ``<suite>-<version>`` name, else inference for division folders, else training."""
    from checker.endpoints.discovery import detect_endpoints_tree
    from checker.training.discovery import detect_training_tree

    if NAMED.match(tree.name):
        return NAMED.match(tree.name).group(1)  # type: ignore[union-attr]
    if any((tree / d).is_dir() for d in ("closed", "open", "network")):
        return "inference"
    if detect_endpoints_tree(tree):
        return "endpoints"
    return "training" if detect_training_tree(tree) else "inference"


def targets(items: list[str]) -> list[tuple[Path, str, str]]:
    """(tree, suite, version) for each argument; a data root expands to its ``<suite>-<version>`` folders."""
    found: list[tuple[Path, str, str]] = []
    for item in items or [str(default_data())]:
        path_text, _, version = item.partition("=")
        path = Path(path_text)
        if not path.is_dir():
            raise TargetError(f"{path}: not a folder (give a submission tree, or the shared data folder)")
        named = NAMED.match(path.name)
        if version or named:
            found.append((path, suite_of(path), version or named.group(2)))  # type: ignore[union-attr]
            continue
        children = sorted(p for p in path.iterdir() if p.is_dir() and NAMED.match(p.name))
        if not children:
            raise TargetError(f"{path}: give the round as {path}=VERSION (e.g. =v6.1), or name it <suite>-<version>")
        found += [(c, NAMED.match(c.name).group(1), NAMED.match(c.name).group(2)) for c in children]  # type: ignore[union-attr]
    return found


def run_one(tree: Path, suite: str, version: str, workdir: Path, fast: bool, jobs: int) -> Comparison:
    runs = {SUBCHECK: run_subcheck(tree, version, suite, jobs)}
    for tool in TOOLS:
        if tool.suite != suite:
            continue
        if tool not in applicable(suite, version):  # listed, so that the table says why it has no column of verdicts
            runs[tool.name] = ToolRun("n/a", note=f"has no {version} rules; checks {', '.join(tool.versions)}")
            continue
        print(f"  {tool.name} on {tree.name} ({version}) ...", file=sys.stderr, flush=True)
        runs[tool.name] = run_tool(tool, tree, version, workdir, fast)
    return compare(tree.name, version, suite, runs, load_explanations())


def print_report(comparisons: list[Comparison]) -> None:
    """Summary counts per tree and tool, then each difference with its rule, test and reason."""
    for comparison in comparisons:
        counts = summary(comparison)
        print(f"\n## {comparison.tree} ({comparison.suite} {comparison.version}): {counts['results']} results, "
              f"subcheck accepts {counts['subcheck_accepted']}")  # fmt: skip
        for name, figures in counts["tools"].items():
            note = f" ({figures['note']})" if figures["note"] else ""
            print(f"- {name}: {figures['status']}{note}; {figures['verdicts']} verdicts, "
                  f"{figures['explained']} explained and {figures['unexplained']} unexplained differences")  # fmt: skip
        groups: dict[tuple[str, str, str], list[str]] = {}
        for d in comparison.differences:
            key = (d.tool, d.kind, f"{d.explanation.rule} ({d.explanation.test}): {d.explanation.reason}"
                   if d.explanation else f"UNEXPLAINED: subcheck {d.ours} / {d.tool} {d.theirs}")  # fmt: skip
            groups.setdefault(key, []).append(d.location)
        for (tool, kind, why), locations in sorted(groups.items()):
            print(f"  * {tool} {kind} x{len(locations)}: {why}")
            for location in locations:
                print(f"      {location}")


def write_table(comparisons: list[Comparison], path: Path) -> None:
    columns = ["tree", "result", SUBCHECK]
    for comparison in comparisons:
        columns += [name for name in comparison.runs if name not in columns]
    columns.append("differences")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, restval="-")
        writer.writeheader()
        for comparison in comparisons:
            writer.writerows(comparison.rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker.differential", description=__doc__)
    parser.add_argument("trees", nargs="*", help="TREE or TREE=VERSION (default: the shared data folder)")
    parser.add_argument("--fast", action="store_true", help="read an official tool's kept output where there is one")
    parser.add_argument("--table", type=Path, default=Path("differential.csv"), help="the per-result table (CSV)")
    parser.add_argument("--jobs", type=int, default=2, help="subcheck worker processes")
    args = parser.parse_args(argv)
    try:
        chosen = targets(args.trees)
    except TargetError as stop:
        print(f"differential: {stop}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="subcheck-differential-") as work:
        comparisons = [run_one(t, s, v, Path(work), args.fast, args.jobs) for t, s, v in chosen]
    print_report(comparisons)
    write_table(comparisons, args.table)
    unexplained = sum(len(c.unexplained) for c in comparisons)
    total = sum(len(c.differences) for c in comparisons)
    print(f"\n{total} differences, {total - unexplained} explained, {unexplained} unexplained; table: {args.table}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
