"""The training suite: submitter folders of ``:::MLLOG`` result files, their contexts and score rows.

In training the *result* unit is a benchmark folder (``results/<system>/<benchmark>/``), the unit that gets a
score. Discovery, contexts and scoring are the suite's; rules, crashes, selection and verdicts are the engine's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checker.discovery import DiscoveryError
from checker.engine import Focus, settle
from checker.options import RunOptions
from checker.parsers.text import limit_for
from checker.rounds import Round
from checker.suites import Unit
from checker.training.context import (
    BenchmarkContext,
    SubmitterContext,
    SystemContext,
    TreeContext,
    load_system_desc,
    rel,
)
from checker.training.discovery import SubmitterDir, TrainingTree, discover
from checker.training.scoring import summary_row, wide_rows


class TrainingSuite:
    name = "training"

    def discover(self, path: Path, rules: Round, only_submitter: str | None) -> TrainingTree:
        if not path.is_dir():
            raise DiscoveryError(f"{path} is not a readable folder")
        tree = discover(path)
        if only_submitter is not None:
            chosen = tuple(s for s in tree.submitters if s.name == only_submitter)
            if not chosen:
                known = ", ".join(s.name for s in tree.submitters) or "none"
                raise DiscoveryError(f"no submitter folder named {only_submitter!r} under {path} (found: {known})")
            tree = TrainingTree(tree.root, chosen)
        if not tree.submitters:
            raise DiscoveryError(
                f"{path} holds no training submitter (a folder with results/ or systems/); "
                "point subcheck at a submitter folder or a folder of submitters"
            )
        return tree

    def tree_context(self, rules: Round, tree: TrainingTree, options: RunOptions) -> TreeContext:
        return TreeContext(tree.root, rules, tree)

    def size(self, submitter: SubmitterDir) -> int:
        return submitter.size

    def units(self, rules: Round, sub: SubmitterDir, options: RunOptions, focus: Focus) -> Iterator[Unit]:
        root = _root_of(sub)
        sub_ctx = SubmitterContext(root, rules, sub)
        yield Unit("submitter", sub.rel, sub_ctx)
        by_json = {s.desc_path: s for s in sub.systems}
        for path in sorted(set(sub.system_jsons) | {p for p in by_json if p.exists()}):
            yield Unit("system", rel(root, path), SystemContext(root, rules, sub, path, by_json.get(path)))
        for system in sub.systems:
            desc = load_system_desc(system.desc_path, limit_for(rules, "system_json"))
            depends = (("system", rel(root, system.desc_path)), ("submitter", sub.rel), ("tree", "."))
            for bdir in system.benchmarks:
                ctx = BenchmarkContext(root, rules, bdir, system, desc, submitter_params=sub.params)
                yield Unit("result", rel(root, bdir.path), ctx, depends)

    def rows(self, unit: Unit) -> list[dict[str, Any]]:
        ctx = unit.ctx
        if ctx.allowed and ctx.runs and ctx.desc.data is not None:
            return [summary_row(ctx)]
        return []

    def columns(self, rules: Round) -> list[str]:
        return []

    def finish(self, report: Any, rules: Round) -> None:
        """Verdicts per benchmark folder, then the official one-row-per-system table."""
        settle(report)
        report.benchmarks = list(rules["benchmarks"])
        report.rows = wide_rows(report.rows, report.benchmarks)
        report.columns = list(report.rows[0]) if report.rows else []


def _root_of(sub: SubmitterDir) -> Path:
    """The checked root: the submitter folder itself (rel ".") or its parent."""
    return sub.path if sub.rel == "." else sub.path.parent


SUITE = TrainingSuite()
