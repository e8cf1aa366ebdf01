"""Plugins: metrics computed from the outputs, validators of a metric, and where they come from.

A *metric* decodes the responses of an accuracy log (``qsl_idx`` -> bytes) and computes the benchmark's
metric against its ground truth, so the claim in ``accuracy.txt`` is checked rather than trusted. A
*validator* judges a computed metric with the parameters the rule file gives it. Both are small registered
functions: built-in ones live in :mod:`checker.metrics_plugins`; third parties add more through the entry point
groups of :mod:`checker.plugins.discovery` (or ``--plugin package.module`` for one run).
"""

from __future__ import annotations

from checker.plugins.api import (
    METRICS,
    VALIDATORS,
    MetricError,
    MetricResult,
    Outcome,
    Registered,
    Violation,
    ground_truth,
    load_object,
    metric,
    validator,
)

__all__ = [
    "METRICS",
    "VALIDATORS",
    "MetricError",
    "MetricResult",
    "Outcome",
    "Registered",
    "Violation",
    "ground_truth",
    "load_object",
    "metric",
    "validator",
]
