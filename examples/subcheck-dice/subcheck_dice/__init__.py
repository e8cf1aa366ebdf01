"""Dice for subcheck: per class 2|P∩G| / (|P| + |G|) over every pixel of every sample, and the mean over classes.

Registered through the entry point ``subcheck.metrics: dice`` (see pyproject.toml). Parameters (rule file,
``models.<m>.metrics.dice.params``): ``masks`` (``package.module:function`` giving one flat list of class ids
per ``qsl_idx``), ``classes`` (the class ids averaged), ``class_names`` (optional, id -> name), ``bits`` (per
pixel in a response, 2 by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.plugins import MetricError, MetricResult, ground_truth

__version__ = "0.1.0"


def decode(data: bytes, pixels: int, bits: int = 2) -> list[int]:
    """Response bytes -> class ids; ``8 // bits`` pixels per byte, the first pixel in the low bits."""
    per_byte, mask = 8 // bits, (1 << bits) - 1
    if len(data) * per_byte < pixels:
        raise MetricError(f"a response of {len(data)} bytes holds fewer than {pixels} pixels of {bits} bits")
    return [(data[i // per_byte] >> (bits * (i % per_byte))) & mask for i in range(pixels)]


def dice(responses: Mapping[int, bytes], params: Mapping[str, Any]) -> MetricResult:
    """Mean Dice over the foreground classes of a segmentation benchmark, with the Dice of each class."""
    truth = ground_truth(params, "masks")
    classes = [int(c) for c in params.get("classes", [1])]
    names = {int(k): str(v) for k, v in (params.get("class_names") or {}).items()}
    bits = int(params.get("bits", 2))
    if not responses:
        raise MetricError("the accuracy log holds no response")
    overlap = dict.fromkeys(classes, 0)
    predicted = dict.fromkeys(classes, 0)
    true = dict.fromkeys(classes, 0)
    for idx, data in responses.items():
        if not 0 <= idx < len(truth):
            raise MetricError(f"qsl_idx {idx} is outside the {len(truth)}-sample ground truth")
        expected = truth[idx]
        for p, g in zip(decode(data, len(expected), bits), expected, strict=True):
            if p in overlap:
                predicted[p] += 1
                overlap[p] += p == g
            if g in true:
                true[g] += 1
    per_class = {c: (2 * overlap[c] / (predicted[c] + true[c]) if predicted[c] + true[c] else 1.0) for c in classes}
    mean = sum(per_class.values()) / len(per_class)
    return MetricResult(mean, {names.get(c, str(c)): v for c, v in per_class.items()}, samples=len(responses))
