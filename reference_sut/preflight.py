"""Checks made before anything runs, each answering with the one line that says how to fix it.

Imports nothing heavy (numpy, LoadGen and torch are only looked up), so the command line can
call it on an install without the ``[sut]`` extra and still answer with the pip command.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

#: scenario folder names a result can have (lower case: preprocess_submission writes inferred ones so)
SCENARIO_FOLDERS = ("offline", "server", "singlestream", "multistream", "interactive")
SUT_MODULES = ("numpy", "mlperf_loadgen", "sklearn")
DETAIL = Path("performance") / "run_1" / "mlperf_log_detail.txt"


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (a None in sys.modules blocks it)."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def sut_problem() -> str | None:
    """The ``[sut]`` extra (LoadGen, numpy, scikit-learn) is what runs the reference SUT."""
    missing = [name for name in SUT_MODULES if not installed(name)]
    if missing:
        return (
            f"reproduce needs the [sut] extra ({', '.join(missing)} missing): "
            "pip install 'mlperf-subcheck[sut]' (in a checkout: pip install -e '.[sut]')"
        )
    return None


def backend_problem(device: str, backend: str | None, onnx_model: Path | None) -> str | None:
    """A back-end/device combination that cannot run here, with the option or install that fixes it."""
    name = backend or ("onnxruntime" if onnx_model else ("numpy" if device == "cpu" else "torch"))
    if name == "numpy" and device != "cpu":
        return f"--backend numpy runs on cpu only: use --device cpu, or --backend torch for --device {device}"
    if name == "torch" and not installed("torch"):
        why = f"--device {device}" if backend is None else "--backend torch"
        return f"{why} needs PyTorch: pip install 'mlperf-subcheck[torch]' (or run on the cpu with --device cpu)"
    if name == "onnxruntime":
        if onnx_model is None:
            return (
                "--backend onnxruntime needs --onnx-model FILE "
                "(write one with: python -m reference_sut.digits.export_onnx --out digits.onnx)"
            )
        if not installed("onnxruntime"):
            return "--backend onnxruntime needs onnxruntime: pip install 'mlperf-subcheck[onnx]'"
        if not onnx_model.is_file():
            return f"--onnx-model {onnx_model}: no such file"
    return None


def result_problem(result_dir: Path) -> str | None:
    """Only ``results/<system>/<benchmark>/<scenario>`` is a result; anything else would invent names."""
    path = result_dir.resolve()
    shape = "expected results/<system>/<benchmark>/<scenario>"
    if not path.is_dir():
        return f"not a result folder: {result_dir} does not exist or is not a folder ({shape})"
    parents = path.parents
    if len(parents) < 3 or parents[2].name != "results" or path.name.lower() not in SCENARIO_FOLDERS:
        return f"not a result folder: {result_dir} ({shape}, e.g. .../results/demo_cpu_numpy/digits/Offline)"
    if not (path / DETAIL).is_file():
        return f"not a result folder: {result_dir} has no {DETAIL.as_posix()} (the claimed run's log)"
    return None


def problem(result_dir: Path, device: str, backend: str | None, onnx_model: Path | None) -> str | None:
    """The first reason reproduce cannot start, or None."""
    return result_problem(result_dir) or sut_problem() or backend_problem(device, backend, onnx_model)
