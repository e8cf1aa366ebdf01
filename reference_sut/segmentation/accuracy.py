"""The segmentation benchmark's accuracy script: Dice per class and their mean, from ``mlperf_log_accuracy.json``.

    python -m reference_sut.segmentation.accuracy --mlperf-accuracy-file mlperf_log_accuracy.json

Prints ``dice=<mean>, square=<dice>, disk=<dice>`` (the rule file's ``dice`` pattern) and ``hash=<sha256>``. Dice
of a class is 2|P∩G| / (|P| + |G|) over every pixel of every sample (each ``qsl_idx`` counted once).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from ..truncation import sha256_file
from .data import SIZE, test_masks

CLASS_NAMES = {1: "square", 2: "disk"}


def decode(data: bytes, pixels: int = SIZE * SIZE) -> list[int]:
    """Response bytes -> class ids, 2 bits per pixel, first pixel in the low bits."""
    return [(data[i // 4] >> (2 * (i % 4))) & 3 for i in range(pixels)]


def dice_per_class(predicted: dict[int, list[int]], truth: list[list[int]]) -> dict[int, float]:
    counts = {c: [0, 0, 0] for c in CLASS_NAMES}  # overlap, predicted, true
    for idx, pred in predicted.items():
        for p, g in zip(pred, truth[idx], strict=True):
            for c, count in counts.items():
                count[0] += p == c and g == c
                count[1] += p == c
                count[2] += g == c
    return {c: (2 * o / (p + g) if p + g else 1.0) for c, (o, p, g) in counts.items()}


@dataclass(frozen=True)
class DiceResult:
    per_class: dict[int, float]
    samples: int
    digest: str

    @property
    def mean(self) -> float:
        return sum(self.per_class.values()) / len(self.per_class)

    def accuracy_line(self) -> str:
        parts = ", ".join(f"{CLASS_NAMES[c]}={v:.5f}" for c, v in sorted(self.per_class.items()))
        return f"dice={self.mean:.5f}, {parts}, samples={self.samples}"


def compute(path: Path) -> DiceResult:
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    predicted: dict[int, list[int]] = {}
    for entry in entries:
        predicted.setdefault(int(entry["qsl_idx"]), decode(bytes.fromhex(entry["data"])))
    return DiceResult(dice_per_class(predicted, test_masks()), len(predicted), sha256_file(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlperf-accuracy-file", type=Path, required=True)
    args = parser.parse_args(argv)
    result = compute(args.mlperf_accuracy_file)
    sys.stdout.write(f"{result.accuracy_line()}\n\nhash={result.digest}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
