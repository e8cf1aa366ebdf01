"""The claimed system and this machine, described with the same fields, side by side.

A throughput or latency claim only reproduces on the hardware that made it, so ``reproduce``
shows what the claim ran on (``systems/<system>.json``) next to what the re-run runs on, and
says when the two differ. Only the standard library is used: this also runs where the SUT
extra is missing.
"""

from __future__ import annotations

import json
import os
import platform
import re
from pathlib import Path
from typing import Any

#: (label, system-description field) in the order the block prints them
FIELDS: tuple[tuple[str, str], ...] = (
    ("system", "system_name"),
    ("nodes", "number_of_nodes"),
    ("processor", "host_processor_model_name"),
    ("processors/node", "host_processors_per_node"),
    ("cores/processor", "host_processor_core_count"),
    ("accelerator", "accelerator_model_name"),
    ("accelerators/node", "accelerators_per_node"),
)
#: fields whose mismatch means the hardware differs (the system name never does)
COMPARED = FIELDS[1:]
_NOISE = re.compile(r"\((?:r|tm)\)|\b(?:cpu|processor|\d+-core)\b|@.*$|[^a-z0-9.]+")


def system_json(result_dir: Path) -> Path:
    """``<submitter>/systems/<system>.json`` of ``<submitter>/results/<system>/<benchmark>/<scenario>``."""
    return result_dir.parents[3] / "systems" / f"{result_dir.parents[1].name}.json"


def claimed_system(result_dir: Path) -> dict[str, Any] | None:
    """The claimed system description, or None when it is absent or unreadable."""
    path = system_json(result_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _cpuinfo() -> tuple[str | None, int, int | None]:
    """(model name, physical packages, cores per package) from /proc/cpuinfo; Linux only."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None, 1, None
    model, packages, cores = None, set(), None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in ("model name", "Model", "cpu model") and model is None and value:
            model = value
        elif key == "physical id":
            packages.add(value)
        elif key == "cpu cores" and value.isdigit():
            cores = int(value)
    return model, max(1, len(packages)), cores


def _gpus(backend: str, device: str) -> tuple[str, int]:
    """Accelerators as the back-end sees them; the numpy back-end uses none."""
    if not device.startswith("cuda"):
        return f"none (backend {backend} on cpu)", 0
    if backend == "torch":
        try:
            import torch  # lazy: optional dependency, only for a cuda run

            if torch.cuda.is_available():
                count = torch.cuda.device_count()
                return torch.cuda.get_device_name(0), count
        except (ImportError, RuntimeError):
            pass
        return "none visible to torch", 0
    return f"CUDA device via {backend} (model not reported)", 1


def this_machine(backend: str, device: str) -> dict[str, Any]:
    """Describe this machine in the system-description fields (CPU from the OS, GPUs through the back-end)."""
    model, packages, cores = _cpuinfo()
    usable = usable_cpus()
    accelerator, count = _gpus(backend, device)
    return {
        "system_name": f"this machine ({platform.node() or 'unnamed'}, {usable} usable CPUs)",
        "number_of_nodes": 1,
        "host_processor_model_name": model or platform.processor() or platform.machine() or "unknown",
        "host_processors_per_node": packages,
        "host_processor_core_count": cores or usable,
        "accelerator_model_name": accelerator,
        "accelerators_per_node": count,
    }


def load_average() -> float | None:
    """The 1-minute load average: a busy machine understates throughput and overstates latency."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _norm(field: str, value: Any) -> str:
    text = str(value if value is not None else "").strip().lower()
    if field == "accelerator_model_name":
        return "" if text in ("", "n/a", "none") or text.startswith(("n/a", "none")) else _NOISE.sub(" ", text).strip()
    if field.endswith(("_count", "_per_node", "number_of_nodes")):
        try:
            return str(int(float(text)))
        except ValueError:
            return text
    return " ".join(_NOISE.sub(" ", text).split())


def differences(claimed: dict[str, Any] | None, here: dict[str, Any]) -> list[str]:
    """Labels of the compared fields that differ; everything differs when nothing is claimed."""
    if claimed is None:
        return ["no system description"]
    return [label for label, key in COMPARED if _norm(key, claimed.get(key)) != _norm(key, here.get(key))]


def hardware_view(result_dir: Path, backend: str, device: str) -> dict[str, Any]:
    """Both descriptions, the differing fields and whether they are the same hardware."""
    claimed = claimed_system(result_dir)
    here = this_machine(backend, device)
    diff = differences(claimed, here)
    return {
        "claimed_file": str(system_json(result_dir)),
        "claimed": {key: claimed.get(key) for _, key in FIELDS} if claimed else None,
        "this_machine": here,
        "differences": diff,
        "same": not diff,
    }


def format_block(view: dict[str, Any]) -> list[str]:
    """The side-by-side lines of :func:`hardware_view`, with the note on what a difference means."""
    claimed = view["claimed"] or {}
    lines = [f"  hardware            {'claimed':<44} this machine"]
    for label, key in FIELDS:
        mark = " " if label not in view["differences"] else "*"
        left = "-" if claimed.get(key) is None else str(claimed[key])
        left = left if len(left) <= 43 else left[:40] + "..."
        lines.append(f"  {mark}{label:<19}{left:<44} {view['this_machine'][key]}")
    if view["claimed"] is None:
        lines.append(f"  (no readable system description at {view['claimed_file']})")
    if view["same"]:
        lines.append("  same hardware: throughput and latency are judged against the claim")
    else:
        lines.append(
            "  hardware differs (*): the throughput/latency comparison is informative only; "
            "accuracy must still reproduce"
        )
    return lines
