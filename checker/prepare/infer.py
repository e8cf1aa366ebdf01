"""Results the round lets be inferred, written the way the official ``preprocess_submission.py`` writes them.

The official tool copies a measured SingleStream folder to a missing MultiStream and Offline folder,
and a measured MultiStream folder to a missing Offline one (results, measurements and compliance
alike). The copy keeps the LoadGen logs of the run, so the table shows the folder's scenario computed
from another scenario's run: ``inferred`` = 1 (DV004). Unlike the official tool, subcheck infers only
what the round's checker then accepts: for system types ``inferred_results`` allows (edge), and only
scenarios the round lists for the benchmark.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from checker.discovery import ResultUnit, Tree
from checker.rounds import Round


@dataclass(frozen=True)
class Inference:
    """One inferred result: the folders copied (relative to the root) and from which scenario."""

    result: str
    source: str
    copies: tuple[tuple[str, str], ...]


def _system_type(path: Path) -> str | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("system_type")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def plan(tree: Tree, rules: Round, dropped: set[str]) -> list[Inference]:
    """What to infer in ``tree`` once the results in ``dropped`` are gone (read only)."""
    sources_of: dict[str, list[str]] = rules.get("prepare", {}).get("infer", {})
    edge_types = rules["inferred_results"]["system_types"]
    groups: dict[tuple[str, str, str, str], dict[str, ResultUnit]] = defaultdict(dict)
    for result in tree.results:
        scenario = rules.canonical_scenario(result.scenario_dir)
        if scenario and result.rel not in dropped:
            groups[(result.division, result.submitter, result.system, result.benchmark)][scenario] = result
    found: list[Inference] = []
    for present in groups.values():
        unit = next(iter(present.values()))
        system_type = _system_type(unit.system_json)
        if system_type is None or not any(t in system_type for t in edge_types):
            continue
        model = rules.resolve_benchmark(unit.benchmark)
        table = rules.scenario_table(model, system_type) if model else None
        if table is None:
            continue
        allowed = set(table["required"]) | set(table["optional"])
        for target, sources in sources_of.items():
            if target in present or target not in allowed:
                continue
            source = next((present[s] for s in sources if s in present), None)
            if source is not None:
                found.append(_copies(source, target))
    return found


def _copies(source: ResultUnit, target: str) -> Inference:
    """The folders to copy: results (and, in the split layout, measurements and compliance)."""
    root = source.root
    dest = ResultUnit(root, source.division, source.submitter, source.system, source.benchmark, target, source.layout)
    pairs = [(source.result_dir, dest.result_dir)]
    if source.layout == "split":
        pairs += [(source.measurements_dir, dest.measurements_dir), (source.compliance_dir, dest.compliance_dir)]
    copies = tuple((str(a.relative_to(root)), str(b.relative_to(root))) for a, b in pairs if a.is_dir())
    return Inference(dest.rel, source.scenario_dir, copies)
