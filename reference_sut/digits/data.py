"""Load the digits data set without a download and split it deterministically.

The CSV ships inside scikit-learn; reading it directly avoids importing sklearn (about 1 s),
which matters because every LoadGen run is its own short-lived process.
"""

from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TOTAL_SAMPLES = 1797
#: every ``TEST_STRIDE``-th sample (index % 4 == 0) is held out; the QSL is that test split
TEST_STRIDE = 4


@dataclass(frozen=True)
class Split:
    """Features scaled to [0, 1] as float32 and integer labels."""

    x: np.ndarray
    y: np.ndarray


def _bundled_csv() -> Path | None:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


def load_all() -> tuple[np.ndarray, np.ndarray]:
    """Return all 1797 samples as (x float32 [n, 64] in [0, 1], y int64 [n])."""
    path = _bundled_csv()
    if path is not None:
        with gzip.open(path, "rt") as fh:
            raw = np.loadtxt(fh, delimiter=",", dtype=np.float64)
        x, y = raw[:, :-1], raw[:, -1]
    else:  # pragma: no cover - only when the CSV moved inside sklearn
        from sklearn.datasets import load_digits

        bunch = load_digits()
        x, y = bunch.data, bunch.target
    if x.shape != (TOTAL_SAMPLES, 64):
        raise RuntimeError(f"unexpected digits shape {x.shape}")
    return (x / 16.0).astype(np.float32), y.astype(np.int64)


def split() -> tuple[Split, Split]:
    """Deterministic train/test split by index; no RNG so it never drifts between versions."""
    x, y = load_all()
    test = np.arange(TOTAL_SAMPLES) % TEST_STRIDE == 0
    return Split(x[~test], y[~test]), Split(x[test], y[test])


def test_split() -> Split:
    """The QSL: the held-out test split (450 samples)."""
    return split()[1]


def test_labels() -> list[int]:
    """The ground truth of the QSL, one label per qsl_idx (the metric plugin ``top1_label`` reads it)."""
    return [int(v) for v in test_split().y]
