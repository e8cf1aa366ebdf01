"""mlperf.conf / user.conf helpers built on what the installed LoadGen itself uses.

LoadGen (v5+) compiles its mlperf.conf into the extension module and only reads user.conf from
disk, so the copy we ship next to each result is extracted from the binary rather than guessed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path

_MARKER = b"*.*.qsl_rng_seed"


def loadgen_module_path() -> Path:
    spec = importlib.util.find_spec("mlperf_loadgen")
    if spec is None or spec.origin is None:
        raise RuntimeError("mlperf_loadgen is not installed (pip install mlcommons-loadgen)")
    return Path(spec.origin)


def loadgen_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlcommons-loadgen")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def embedded_mlperf_conf() -> str:
    """Return the mlperf.conf text compiled into the installed LoadGen (NUL-terminated C string)."""
    data = loadgen_module_path().read_bytes()
    hit = data.find(_MARKER)
    if hit < 0:
        raise RuntimeError("could not locate the embedded mlperf.conf in the LoadGen binary")
    start = data.rfind(b"\x00", 0, hit) + 1
    end = data.find(b"\x00", hit)
    return data[start:end].decode("utf-8")


def default_seeds(model: str = "digits", scenario: str = "Offline") -> dict[str, int]:
    """Seeds exactly as LoadGen resolves them from its built-in mlperf.conf (conf_type 0)."""
    import mlperf_loadgen as lg

    settings = lg.TestSettings()
    settings.FromConfig("", model, scenario, 0)
    return {
        "qsl_rng_seed": int(settings.qsl_rng_seed),
        "sample_index_rng_seed": int(settings.sample_index_rng_seed),
        "schedule_rng_seed": int(settings.schedule_rng_seed),
    }


def format_conf(model: str, scenario: str, values: Mapping[str, int | float], header: str = "") -> str:
    """Render ``model.scenario.key = value`` lines in the syntax LoadGen's parser accepts."""
    lines = [f"# {line}" for line in header.splitlines()] if header else []
    for key, value in values.items():
        text = repr(value) if isinstance(value, float) else str(int(value))
        lines.append(f"{model}.{scenario}.{key} = {text}")
    return "\n".join(lines) + "\n"


def write_user_conf(path: Path, model: str, scenario: str, values: Mapping[str, int | float], header: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_conf(model, scenario, values, header))
    return path
