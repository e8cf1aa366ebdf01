"""The accuracy side of ``reproduce``: which demo benchmarks it re-runs, the claimed metric, and the metric of the
re-run computed by the same metric plugin ``subcheck check`` uses (the rule file's ``metrics:`` block).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from checker.parsers.accuracy_log import read_accuracy_log
from checker.rounds import Round
from checker.ruleset import data_dir

#: benchmark -> its demo rule file under rules/demo/
DEMO_RULES = {"digits": "demo.yaml", "segmentation": "segmentation.yaml"}


@cache
def demo_round(benchmark: str = "digits") -> Round:
    """The benchmark's demo rules: primary metric and units, accuracy pattern and computed metric."""
    return Round.load("inference", "demo", str(data_dir("rules") / "demo" / DEMO_RULES[benchmark]))


def metric_spec(benchmark: str) -> tuple[str, dict[str, Any]]:
    """The benchmark's first computed metric: its name (the accuracy.txt key) and its rule-file spec."""
    name, spec = next(iter(dict(demo_round(benchmark)["models"][benchmark]["metrics"]).items()))
    return name, dict(spec)


def claimed_metric(result_dir: Path, benchmark: str) -> float | None:
    """The first value accuracy.txt gives for the metric, read with the round's pattern."""
    name, _ = metric_spec(benchmark)
    pattern = re.compile(demo_round(benchmark)["accuracy_patterns"][name])
    path = result_dir / "accuracy" / "accuracy.txt"
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        match = pattern.match(line)
        if match:
            try:
                return float(match.group(1))
            except ValueError:
                return None
    return None


def measured_metric(accuracy_log: Path, benchmark: str) -> float | str:
    """The metric of the re-run's accuracy log by its plugin, or why it could not be computed (a str)."""
    from checker.plugins.api import METRICS, MetricError
    from checker.plugins.discovery import load_plugins
    from checker.plugins.outcome import responses

    load_plugins()
    _, spec = metric_spec(benchmark)
    found = METRICS.get(str(spec["compute"]))
    if found is None:
        hint = f"; install the plugin {spec['plugin']}" if spec.get("plugin") else ""
        return f"no installed plugin provides the metric {spec['compute']}{hint}"
    log = read_accuracy_log(accuracy_log)
    if not log.complete:
        return f"the re-run's accuracy log cannot be read whole: {log.error or 'incomplete'}"
    try:
        return float(found.func(responses(log), dict(spec.get("params") or {})).value)
    except MetricError as exc:
        return f"metric {spec['compute']} ({found.origin}): {exc}"
