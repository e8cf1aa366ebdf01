"""Recompute digits top-1 accuracy from a LoadGen ``mlperf_log_accuracy.json``.

Each response is one little-endian int32 class label (hex in ``data``) for its ``qsl_idx``.
Prints ``accuracy=<percent>`` (matched by the checker's ``acc`` regex) and, like the MLPerf
truncation tool, ``hash=<sha256 of the untruncated log>``.

    python -m reference_sut.digits.accuracy --mlperf-accuracy-file mlperf_log_accuracy.json
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..truncation import sha256_file
from .data import test_split


@dataclass(frozen=True)
class AccuracyResult:
    """Top-1 over the unique qsl_idx values found in the log."""

    accuracy: float
    good: int
    total: int
    duplicates: int
    digest: str

    def lines(self) -> list[str]:
        """accuracy.txt as it looks after the truncation tool appended the hash."""
        return [self.accuracy_line(), "", f"hash={self.digest}"]

    def accuracy_line(self) -> str:
        return f"accuracy={self.accuracy:.3f}%, good={self.good}, total={self.total}"


def decode(entry: dict) -> int:
    raw = bytes.fromhex(entry["data"])
    return int(np.frombuffer(raw[:4], dtype="<i4")[0])


def compute(path: Path) -> AccuracyResult:
    """Top-1 accuracy; duplicate qsl_idx entries (possible in perf-mode logs) count once."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    labels = test_split().y
    seen: dict[int, int] = {}
    duplicates = 0
    for entry in entries:
        idx = int(entry["qsl_idx"])
        if idx in seen:
            duplicates += 1
            continue
        seen[idx] = decode(entry)
    good = sum(int(pred == labels[idx]) for idx, pred in seen.items())
    total = len(seen)
    acc = 100.0 * good / total if total else 0.0
    return AccuracyResult(acc, good, total, duplicates, sha256_file(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlperf-accuracy-file", type=Path, required=True)
    parser.add_argument("--output-file", type=Path, help="also write the lines to this accuracy.txt")
    args = parser.parse_args(argv)
    result = compute(args.mlperf_accuracy_file)
    text = "\n".join(result.lines()) + "\n"
    sys.stdout.write(text)
    if args.output_file:
        args.output_file.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
