"""Eval schedules: where a benchmark's evaluations must land (v6.1 deepseek's first eval, qwen's eval grid).

The official rule files check this with stateful CHECK code (``FIRST_CHECK`` and a ``next_validation_samples``
counter). The rule data says it as ``eval_schedule: {metric, field, first, step?}``: the first metric line
must sit at ``first``; with ``step``, every line must sit on the grid, and an off-grid line does not move the
grid (as the official counter advances only on a match). Positions are expressions of logged keys, so a
missing or non-numeric batch size is left to the key rules that already report it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from checker.findings import Problem
from checker.parsers.mllog import MllogFile
from checker.training.constraints import FormulaError, evaluate, is_number, render


def schedule_problems(schedule: Mapping[str, Any] | None, log: MllogFile, path: str) -> Iterator[Problem]:
    """Each eval line of ``schedule['metric']`` that is not where the schedule puts it."""
    if not schedule:
        return
    metric, field = schedule["metric"], schedule["field"]
    recs = log.by_key(metric)
    if not recs:
        return  # the occurrence rule reports a missing metric
    try:
        expected = evaluate(schedule["first"], None, log.value)
        step = evaluate(schedule["step"], None, log.value) if "step" in schedule else None
    except (FormulaError, OverflowError):
        return  # the key rules report the missing or malformed inputs
    where = render(schedule["first"]) + (f" + i*{render(schedule['step'])}" if step is not None else "")
    for rec in recs if step is not None else recs[:1]:
        found = rec.metadata.get(field)
        if is_number(found) and found == expected:
            if step is not None:
                expected += step
            continue
        yield Problem(
            path,
            f"{metric} at {field}={found!r}, the schedule ({where}) puts it at {expected:g}",
            expected=int(expected) if expected.is_integer() else expected,
            found=found,
            line=rec.line,
            key=metric,
        )
