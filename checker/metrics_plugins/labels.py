"""Built-in metric ``top1_label``: top-1 accuracy of classifiers that answer one integer class label per sample.

The rule file names where the ground-truth labels come from (``params.labels: package.module:function``, a
function returning the label of each ``qsl_idx`` in order), so no benchmark is named in Python here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.plugins.api import MetricError, MetricResult, ground_truth, metric

_WIDTHS = {"int8": 1, "int16": 2, "int32": 4, "int64": 8}


@metric("top1_label")
def top1_label(responses: Mapping[int, bytes], params: Mapping[str, Any]) -> MetricResult:
    """Top-1 accuracy in percent: each response is one little-endian signed integer label (``dtype``, int32)."""
    width = _WIDTHS.get(str(params.get("dtype", "int32")))
    if width is None:
        raise MetricError(f"unknown label dtype {params.get('dtype')!r}; one of {', '.join(_WIDTHS)}")
    labels = [int(v) for v in ground_truth(params)]
    good = 0
    for idx, data in responses.items():
        if not 0 <= idx < len(labels):
            raise MetricError(f"qsl_idx {idx} is outside the {len(labels)}-sample ground truth")
        if len(data) < width:
            raise MetricError(f"response of qsl_idx {idx} holds {len(data)} bytes, fewer than one {width}-byte label")
        good += int.from_bytes(data[:width], "little", signed=True) == labels[idx]
    if not responses:
        raise MetricError("the accuracy log holds no response")
    scale = float(params.get("scale", 100.0))
    return MetricResult(scale * good / len(responses), samples=len(responses))
