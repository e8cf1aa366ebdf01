"""§5.5's region boundaries of a Pareto curve, from its maximum supported concurrency (C_max) and C_min.

The policies fix the algorithm (and its banker's rounding, Python's ``round``): the span above C_min is cut in
three on a log2 scale; the margin (§5.4) runs from C_max + 1 to ceil((1 + margin) x C_max).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NAMES = ("ultra_low", "low", "medium", "high")


@dataclass(frozen=True)
class Regions:
    c_min: int
    c_max: int
    low_end: int
    medium_end: int
    margin_end: int
    ultra_low_max: int

    def of(self, concurrency: int) -> str | None:
        """The region a concurrency falls in (``margin`` above C_max), None beyond the margin."""
        if concurrency <= self.c_min:
            return "ultra_low"
        for name, end in (("low", self.low_end), ("medium", self.medium_end), ("high", self.c_max)):
            if concurrency <= end:
                return name
        return "margin" if concurrency <= self.margin_end else None

    def bands(self, concurrencies: list[int], margin_counts_as_high: bool) -> dict[str, list[int]]:
        """The points each mandatory band holds: Ultra Low is 1..ultra_low_max whatever C_min is (§5.4); the
        margin counts for High only where the round says so.
        """
        found: dict[str, list[int]] = {name: [] for name in NAMES}
        for c in concurrencies:
            if 1 <= c <= self.ultra_low_max:
                found["ultra_low"].append(c)
            region = self.of(c)
            if region == "margin" and margin_counts_as_high:
                region = "high"
            if region in ("low", "medium", "high"):
                found[region].append(c)
        return found


def compute(c_max: int, lowest: int, rules: Mapping[str, Any]) -> Regions | None:
    """The regions, or None when C_max is not above the Ultra Low range (the curve cannot be placed)."""
    cfg = rules["regions"]
    top = cfg["ultra_low_max"]
    c_min = min(lowest, top)
    if c_min < 1 or c_max <= top:
        return None
    step = math.log2(c_max - c_min) / 3
    low_end = round(c_min + 2**step)
    medium_end = round(c_min + 2 ** (2 * step))
    margin_end = math.ceil((1 + cfg["margin_fraction"]) * c_max)
    return Regions(c_min, c_max, low_end, medium_end, margin_end, top)
