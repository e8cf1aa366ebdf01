"""Drive one LoadGen test of the digits SUT inside the current process.

LoadGen keeps a process-wide counter of loaded user.conf files and flags a second one as
"Multiple conf files are used", so each test must run in a fresh process: use
:func:`reference_sut.run.launch`, which calls :func:`run_in_process` in a subprocess.
"""

from __future__ import annotations

import gc
import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .backends import Backend, default_backend_name, make_backend
from .digits import BENCHMARK
from .digits.data import test_split
from .digits.model import degrade, load_weights
from .loadgen_conf import loadgen_version
from .pace import DEFAULT_PACE, Pace

#: Offline queries are answered in chunks of this many samples, like a batching SUT would
CHUNK = 4096


@dataclass
class RunSpec:
    """Everything one LoadGen test needs; serialisable so a subprocess can receive it as JSON."""

    scenario: str
    mode: str
    user_conf: str
    log_dir: str
    model: str = BENCHMARK
    backend: str | None = None
    device: str = "cpu"
    onnx_model: str | None = None
    weight_noise: float = 0.0
    #: answer (pred + 1) % 10 in performance mode: simulates a SUT whose perf path differs
    corrupt_performance_outputs: bool = False
    #: TestSettings attributes set after FromConfig (LoadGen ignores seeds in user.conf)
    overrides: dict[str, int | float] = field(default_factory=dict)
    #: segmentation: shift these classes' logits (under-predicts a class for the per-class fixture)
    class_bias: dict[str, float] = field(default_factory=dict)
    #: digits: the emulated service time [base µs, µs per sample] (reference_sut.pace); None runs unpaced
    pace: list[float] | None = field(default_factory=lambda: [DEFAULT_PACE.base_us, DEFAULT_PACE.per_sample_us])

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        return cls(**json.loads(text))


def sut_name(backend: Backend, pace: Pace | None = None) -> str:
    """The string LoadGen logs as ``sut_name``: names backend, device and pace, for audits and re-runs."""
    name = f"reference_sut digits backend={backend.name} device={backend.device}"
    return f"{name} {pace.label}" if pace else name


class DigitsSUT:
    """Holds the QSL features and answers LoadGen queries synchronously with int32 labels."""

    def __init__(self, backend: Backend, x: np.ndarray, corrupt: bool, pace: Pace | None = None) -> None:
        self.backend = backend
        self.x = x
        self.corrupt = corrupt
        self.pace = pace
        self.loaded: set[int] = set()
        self.samples_done = 0

    def load(self, indices: list[int]) -> None:
        self.loaded.update(indices)

    def unload(self, indices: list[int]) -> None:
        self.loaded.difference_update(indices)

    def issue(self, query_samples: list[Any]) -> None:
        import mlperf_loadgen as lg

        for start in range(0, len(query_samples), CHUNK):
            received = time.perf_counter()
            chunk = query_samples[start : start + CHUNK]
            idx = np.fromiter((s.index for s in chunk), dtype=np.int64, count=len(chunk))
            preds = np.ascontiguousarray(self.backend.predict(self.x[idx]), dtype=np.int32)
            if self.corrupt:
                preds = ((preds + 1) % 10).astype(np.int32)
            base, size = preds.ctypes.data, preds.itemsize
            responses = [lg.QuerySampleResponse(s.id, base + i * size, size) for i, s in enumerate(chunk)]
            if self.pace is not None:
                self.pace.wait_until(self.pace.deadline(received, len(chunk)))
            lg.QuerySamplesComplete(responses)  # LoadGen copies the bytes before returning
            self.samples_done += len(chunk)

    def flush(self) -> None:
        """Nothing is queued: every query completes inside issue()."""


def _in_memory(_indices: Any) -> None:
    """Load or unload samples that are in memory already: nothing to do."""


def run_loadgen(
    spec: RunSpec, log_dir: Path, sut: Any, n: int, name: str, load: Any = None, unload: Any = None
) -> float:
    """Run one LoadGen test of ``spec`` against ``sut`` (``issue``/``flush``) over ``n`` samples, logs into
    ``log_dir``; returns the wall time in seconds. Both demo benchmarks run through here.
    """
    import mlperf_loadgen as lg

    settings = lg.TestSettings()
    rc = settings.FromConfig(str(spec.user_conf), spec.model, spec.scenario)
    if rc != 0:
        raise RuntimeError(f"LoadGen rejected {spec.user_conf} (FromConfig returned {rc})")
    settings.scenario = getattr(lg.TestScenario, spec.scenario)
    settings.mode = getattr(lg.TestMode, spec.mode)
    for key, value in spec.overrides.items():
        setattr(settings, key, value)
    out = lg.LogOutputSettings()
    out.outdir = str(log_dir)
    out.copy_summary_to_stdout = False
    log_settings = lg.LogSettings()
    log_settings.log_output = out
    log_settings.enable_trace = False
    qsl = lg.ConstructQSL(n, n, load or _in_memory, unload or _in_memory)
    # ConstructQDL is the only Python constructor that lets the SUT report a name; it is an
    # ordinary SystemUnderTest to LoadGen, so sut_name in the logs records backend and device.
    handle = lg.ConstructQDL(sut.issue, sut.flush, lambda: name)
    # An Offline query materialises ~1M QuerySample objects; cyclic GC passes over them made
    # throughput swing by 30 % between identical runs, and nothing here creates cycles.
    gc.collect()
    gc.disable()
    started = time.perf_counter()
    try:
        lg.StartTestWithLogSettings(handle, qsl, settings, log_settings)
    finally:
        gc.enable()
        lg.DestroyQSL(qsl)
        lg.DestroyQDL(handle)
    wall = time.perf_counter() - started
    trace = log_dir / "mlperf_log_trace.json"
    if trace.exists() and trace.stat().st_size == 0:
        trace.unlink()
    return wall


def run_in_process(spec: RunSpec) -> dict[str, Any]:
    """Run one LoadGen test and write logs plus ``run_info.json`` into ``spec.log_dir``."""

    if spec.model != BENCHMARK:  # the other demo benchmark has its own SUT
        from .segmentation.harness import run_in_process as run_segmentation

        return run_segmentation(spec)
    log_dir = Path(spec.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    params = load_weights()
    if spec.weight_noise:
        params = degrade(params, spec.weight_noise)
    backend_name = spec.backend or ("onnxruntime" if spec.onnx_model else default_backend_name(spec.device))
    backend = make_backend(backend_name, params, spec.device, Path(spec.onnx_model) if spec.onnx_model else None)
    data = test_split()
    corrupt = spec.corrupt_performance_outputs and spec.mode == "PerformanceOnly"
    pace = Pace(*spec.pace) if spec.pace else None
    sut = DigitsSUT(backend, data.x, corrupt, pace)
    # Warm up before the clock starts, as a real SUT does: the first CUDA call creates the context and the
    # BLAS handles (~100 ms on an H200), which queued a Server run's first queries past its latency bound.
    backend.predict(data.x[:1])
    backend.predict(data.x[:CHUNK])

    name = sut_name(backend, pace)
    n = len(data.y)
    wall = run_loadgen(spec, log_dir, sut, n, name, sut.load, sut.unload)
    info = {
        "sut_name": name,
        "benchmark": spec.model,
        "scenario": spec.scenario,
        "mode": spec.mode,
        "backend": backend.name,
        "device": backend.device,
        "onnx_model": spec.onnx_model,
        "dataset": "sklearn digits, held-out test split (index % 4 == 0)",
        "dataset_size": n,
        "performance_sample_count": n,
        "samples_issued": sut.samples_done,
        "wall_seconds": round(wall, 3),
        "weight_noise": spec.weight_noise,
        "corrupt_performance_outputs": corrupt,
        "overrides": spec.overrides,
        "pace": pace.label if pace else None,
        "loadgen_version": loadgen_version(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    (log_dir / "run_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return info
