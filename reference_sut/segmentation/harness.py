"""Drive one LoadGen test of the segmentation SUT in this process (``reference_sut.harness`` delegates here).

Each response is the predicted mask, 2 bits per pixel (:func:`.data.encode`), computed per query from the
images: nothing is cached between queries.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import numpy as np

from ..loadgen_conf import loadgen_version
from . import BENCHMARK
from .data import SIZE, encode, test_split
from .model import load_weights, predict

CHUNK = 4096
RESPONSE_BYTES = (SIZE * SIZE + 3) // 4


class SegmentationSUT:
    """Holds the QSL images and answers each query with the masks the model predicts for it."""

    def __init__(self, x: np.ndarray, weights: np.ndarray, class_bias: dict[int, float], corrupt: bool) -> None:
        self.x, self.weights, self.class_bias, self.corrupt = x, weights, class_bias, corrupt
        self.samples_done = 0

    def issue(self, query_samples: list[Any]) -> None:
        import mlperf_loadgen as lg

        for start in range(0, len(query_samples), CHUNK):
            chunk = query_samples[start : start + CHUNK]
            idx = np.fromiter((s.index for s in chunk), dtype=np.int64, count=len(chunk))
            masks = predict(self.weights, self.x[idx], self.class_bias)
            if self.corrupt:
                masks = ((masks + 1) % 3).astype(np.uint8)
            out = np.frombuffer(encode(masks), dtype=np.uint8).copy()  # SIZE*SIZE % 4 == 0: one mask per 36 bytes
            base = out.ctypes.data
            responses = [
                lg.QuerySampleResponse(s.id, base + i * RESPONSE_BYTES, RESPONSE_BYTES) for i, s in enumerate(chunk)
            ]
            lg.QuerySamplesComplete(responses)  # LoadGen copies the bytes before returning
            self.samples_done += len(chunk)

    def flush(self) -> None:
        """Nothing is queued: every query completes inside issue()."""


def sut_name() -> str:
    return f"reference_sut {BENCHMARK} backend=numpy device=cpu"


def run_in_process(spec: Any) -> dict[str, Any]:
    """Run one LoadGen test of ``spec`` (a :class:`reference_sut.harness.RunSpec`) and write ``run_info.json``."""

    log_dir = Path(spec.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    data = test_split()
    bias = {int(k): float(v) for k, v in (spec.class_bias or {}).items()}
    corrupt = spec.corrupt_performance_outputs and spec.mode == "PerformanceOnly"
    sut = SegmentationSUT(data.x, load_weights(), bias, corrupt)
    from ..harness import run_loadgen

    n = len(data.y)
    wall = run_loadgen(spec, log_dir, sut, n, sut_name())
    info = {
        "sut_name": sut_name(),
        "benchmark": spec.model,
        "scenario": spec.scenario,
        "mode": spec.mode,
        "backend": "numpy",
        "device": "cpu",
        "dataset": f"synthetic shapes (reference_sut.segmentation.data), {n} test images",
        "dataset_size": n,
        "samples_issued": sut.samples_done,
        "wall_seconds": round(wall, 3),
        "class_bias": bias,
        "corrupt_performance_outputs": corrupt,
        "overrides": spec.overrides,
        "loadgen_version": loadgen_version(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    (log_dir / "run_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return info
