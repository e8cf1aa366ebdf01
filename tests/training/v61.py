"""A small, hand-built MLPerf Training v6.1 tree: one qwen35_397b_grpo closed system (3 runs), power optional.

No v6.1 training results are published yet and the v4.1 sample has no power logs, so tests build this tree
in the exact package layout: ``<org>/systems/<sys>.json``, ``<org>/results/<sys>/<bench>/result_<k>.txt`` and
``power/result_<k>/{node_<i>,sw_<j>}.txt`` (:::MLLOG lines, as the official summarizer reads them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checker.parsers.mllog import parse_file
from checker.training.scoring import run_window

ORG, SYSTEM, BENCH = "Acme", "acme-8xgpu", "qwen35_397b_grpo"
GBS = 256
FIRST_EVAL = GBS * 18  # GBS * ceil(2.5 + 3840 / GBS)
T0 = 1_780_000_000_000  # ms
RUN_MS = (3_600_000, 3_000_000, 3_300_000)  # run_start -> run_stop of result_0..2 (50 to 60 minutes)

SYSTEM_DESC: dict[str, Any] = {
    "submitter": ORG,
    "division": "closed",
    "status": "Available on-premise",
    "system_name": "Acme 8x GPU",
    "number_of_nodes": "2",
    "host_processors_per_node": "2",
    "host_processor_model_name": "Acme CPU",
    "host_processor_core_count": "64",
    "host_processor_vcpu_count": "128",
    "host_processor_frequency": "",
    "host_processor_caches": "",
    "host_processor_interconnect": "",
    "host_memory_capacity": "2TB",
    "host_storage_type": "NVMe",
    "host_storage_capacity": "8TB",
    "host_networking": "",
    "host_networking_topology": "",
    "host_memory_configuration": "",
    "accelerators_per_node": "8",
    "accelerator_model_name": "Acme GPU",
    "accelerator_host_interconnect": "",
    "accelerator_frequency": "",
    "accelerator_on-chip_memories": "",
    "accelerator_memory_configuration": "HBM3",
    "accelerator_memory_capacity": "141GB",
    "accelerator_interconnect": "",
    "accelerator_interconnect_topology": "",
    "cooling": "",
    "hw_notes": "",
    "framework": "Acme Train 1.0",
    "other_software_stack": "",
    "operating_system": "Linux",
    "sw_notes": "",
}

HPARAMS: dict[str, Any] = {
    "global_batch_size": GBS,
    "max_sequence_length": 65536,
    "eval_samples": 256,
    "train_samples": 1_000_000,
    "init_checkpoint_step": 0,
    "max_steps": 100,
    "opt_name": "adamw",
    "opt_base_learning_rate": 1.0e-6,
    "opt_adamw_beta_1": 0.9,
    "opt_adamw_beta_2": 0.999,
    "opt_adamw_epsilon": 1.0e-8,
    "opt_adamw_weight_decay": 0.0,
    "opt_gradient_clip_norm": 0.125,
    "opt_learning_rate_warmup_steps": 0,
    "opt_learning_rate_decay_schedule": "constant",
    "generation_training_rollout_temperature": 1.0,
    "generation_training_rollout_top_p": 1.0,
    "generation_validation_rollout_temperature": 0.1,
    "generation_validation_rollout_top_p": 0.95,
    "num_prompts_per_step": 16,
    "num_generations_per_prompt": 16,
    "gradient_accumulation_steps": 1,
    # the disclosure keys (optional in the reference 6.1 rules, mandatory in PyPI mlperf-logging 4.1.68)
    "lowest_numerical_precision_in_linear": "bfloat16",
    "lowest_numerical_precision_in_attn": "bfloat16",
    "lowest_numerical_precision_in_comm": "bfloat16",
    "tensor_parallelism": 8,
    "pipeline_parallelism": 1,
    "context_parallelism": 1,
    "expert_parallelism": 8,
    "micro_batch_size": 1,
    "config_filename": "config_qwen.yaml",
}


def line(t: float, key: str, value: Any = None, **metadata: Any) -> str:
    rec = {"namespace": "", "time_ms": t, "event_type": "POINT_IN_TIME", "key": key, "value": value}
    return ":::MLLOG " + json.dumps({**rec, "metadata": {"file": "train.py", "lineno": 1, **metadata}})


def qwen_log(run: int, evals: tuple[tuple[int, float], ...] | None = None, **overrides: Any) -> str:
    """A compliant closed qwen35_397b_grpo log: run ``run`` lasts RUN_MS[run] and converges at FIRST_EVAL + GBS."""
    start = T0 + run * 10_000_000
    run_start = start + 60_000
    stop = run_start + RUN_MS[run]
    evals = evals if evals is not None else ((FIRST_EVAL, 0.6), (FIRST_EVAL + GBS, 0.7))
    out = [line(start, "cache_clear", True), line(start + 1, "init_start")]
    head = {"submission_org": ORG, "submission_platform": SYSTEM, "submission_division": "closed"}
    head |= {"submission_benchmark": BENCH, "seed": 1000 + run}
    for key, value in {**head, **HPARAMS, **overrides}.items():
        out.append(line(start + 2, key, value))
    out += [
        line(start + 50_000, "init_stop"),
        line(run_start, "run_start"),
        line(run_start + 1, "block_start", samples_count=0),
    ]
    gap = (stop - run_start - 10) // (len(evals) + 1)
    for i, (samples, acc) in enumerate(evals, 1):
        t = run_start + i * gap
        out += [line(t, "eval_start", samples_count=samples), line(t + 1, "eval_accuracy", acc, samples_count=samples)]
        out.append(line(t + 2, "eval_stop", samples_count=samples))
    out += [line(stop - 2, "block_stop", samples_count=evals[-1][0] if evals else 0)]
    out.append(line(stop, "run_stop", status="success"))
    return "\n".join(out) + "\n"


def node_log(start: float, stop: float, step_ms: int, offset: float = 0.0, eff: float | None = 0.9) -> str:
    """A node's power log: the window opens 1 s before ``start`` and closes 1 s after ``stop``."""
    out = [line(start - 1000, "power_measurement_start")]
    out += [line(start - 1000, "conversion_eff", eff)] if eff is not None else []
    t, i = start - 1000 + step_ms, 0
    while t < stop + 1000:
        out.append(line(t, "power_reading", 1000.0 + 37 * i + offset))
        t, i = t + step_ms, i + 1
    out.append(line(stop + 1000, "power_measurement_stop"))
    return "\n".join(out) + "\n"


def sw_log(start: float, watts: float, eff: float = 0.95) -> str:
    return line(start, "conversion_eff", eff) + "\n" + line(start, "interconnect_power_est", watts) + "\n"


def add_power(bench: Path, nodes: int = 2, switches: int = 1) -> None:
    """Write ``power/result_<k>/`` for every run of ``bench``, each window covering its run.

    Run k is read every 7 s x (k + 1); node n adds 11 W x n; switch j of run k estimates 250 + k W.
    """
    for k, result in enumerate(sorted(bench.glob("result_*.txt"))):
        window = run_window(parse_file(result))
        assert window is not None
        folder = bench / "power" / result.stem
        folder.mkdir(parents=True)
        for n in range(nodes):
            (folder / f"node_{n}.txt").write_text(node_log(*window, step_ms=7000 * (k + 1), offset=11.0 * n))
        for j in range(switches):
            (folder / f"sw_{j}.txt").write_text(sw_log(window[0], 250.0 + k))


def build(root: Path, power: bool = False, nodes: int = 2, switches: int = 1) -> Path:
    """Write the tree under ``root`` and return the benchmark folder."""
    (root / ORG / "systems").mkdir(parents=True)
    (root / ORG / "systems" / f"{SYSTEM}.json").write_text(json.dumps(SYSTEM_DESC, indent=1))
    bench = root / ORG / "results" / SYSTEM / BENCH
    bench.mkdir(parents=True)
    for run in range(3):
        (bench / f"result_{run}.txt").write_text(qwen_log(run))
    if power:
        add_power(bench, nodes, switches)
    return bench
