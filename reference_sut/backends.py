"""Inference backends for the reference SUT: numpy (default), PyTorch and onnxruntime.

Heavy frameworks are imported lazily so the default path needs only numpy, and the chosen
backend/device is reported back so it can be written into ``sut_name`` and ``run_info.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class Backend(Protocol):
    """Maps a float32 batch [n, 64] to int32 class predictions [n]."""

    name: str
    device: str

    def predict(self, x: np.ndarray) -> np.ndarray: ...


class NumpyBackend:
    """Plain numpy MLP on the CPU; the default because it needs nothing else."""

    name = "numpy"
    device = "cpu"

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.w1, self.b1 = params["w1"], params["b1"]
        self.w2, self.b2 = params["w2"], params["b2"]

    def predict(self, x: np.ndarray) -> np.ndarray:
        h = np.maximum(x @ self.w1 + self.b1, 0.0)
        return (h @ self.w2 + self.b2).argmax(axis=1).astype(np.int32)


class TorchBackend:
    """The same MLP in PyTorch, on ``cpu`` or ``cuda`` (falls back to an error, not to CPU)."""

    name = "torch"

    def __init__(self, params: dict[str, np.ndarray], device: str = "cpu") -> None:
        import torch  # lazy: optional dependency

        if device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' requested but torch.cuda.is_available() is False")
        self._torch = torch
        self.device = device
        self._p = {k: torch.from_numpy(v).to(device) for k, v in params.items()}

    def predict(self, x: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            t = torch.from_numpy(np.ascontiguousarray(x)).to(self.device)
            h = torch.relu(t @ self._p["w1"] + self._p["b1"])
            out = (h @ self._p["w2"] + self._p["b2"]).argmax(dim=1)
            return out.to(torch.int32).cpu().numpy()


class OnnxBackend:
    """Runs a user-supplied ONNX file whose first output is [n, classes] scores (or [n] labels)."""

    name = "onnxruntime"

    def __init__(self, model_path: Path, device: str = "cpu") -> None:
        import onnxruntime as ort  # lazy: optional dependency

        providers = (
            ["CUDAExecutionProvider", "CPUExecutionProvider"] if device.startswith("cuda") else ["CPUExecutionProvider"]
        )
        self._session = ort.InferenceSession(str(model_path), providers=providers)
        self._input = self._session.get_inputs()[0].name
        self.device = device
        self.model_path = Path(model_path)

    def predict(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(self._session.run(None, {self._input: x.astype(np.float32)})[0])
        if out.ndim == 2:
            out = out.argmax(axis=1)
        return out.astype(np.int32)


def make_backend(
    name: str, params: dict[str, np.ndarray], device: str = "cpu", onnx_model: Path | None = None
) -> Backend:
    """Build a backend by name; ``device`` other than cpu is only accepted where it is meaningful."""
    if name == "numpy":
        if device != "cpu":
            raise ValueError("the numpy backend only runs on cpu")
        return NumpyBackend(params)
    if name == "torch":
        return TorchBackend(params, device)
    if name in ("onnx", "onnxruntime"):
        if onnx_model is None:
            raise ValueError("the onnxruntime backend needs an ONNX model file (onnx_model)")
        return OnnxBackend(onnx_model, device)
    raise ValueError(f"unknown backend {name!r}; choose numpy, torch or onnxruntime")


def default_backend_name(device: str) -> str:
    """Pick numpy for cpu and torch for any accelerator device."""
    return "numpy" if device == "cpu" else "torch"
