"""Write the MLPerf Endpoints fixtures under ``fixtures/endpoints/``: one valid submission and one tree per
violation class, each a small change to the valid one.

The numbers are invented but consistent (TPS = tokens / duration, TPS/user = 1 / TPOT p50), so that every
violation fixture breaks exactly one rule. Run ``python scripts/endpoints_fixtures.py`` after changing it and
commit the result; ``tests/test_endpoints_suite.py`` checks that the committed trees match this script.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "endpoints"
ORG, SUBMISSION, SYSTEM, MODEL = "acme", "acme-2026-10", "acme_h100x8", "llama3_1-8b"
C_MAX = 1000
POINTS = (16, 20, 38, 88, 256, 512, 768, 1000)
ACCURACY_AT = (16, 20, 88, 256, 1000)  # one per mandatory band (ultra low, low, medium, high) and Offline
SEEDS = {
    "model_seed": 9315206023656308754,
    "sample_index_rng_seed": 586478644936801402,
    "scheduler_rng_seed": 10487924139932647040,
}
DURATION_NS = 1_260_000_000_000


def _system_desc() -> dict[str, Any]:
    node = {
        "system_node_ensemble_id": 0,
        "number_of_nodes": 1,
        "host_processor_model_name": "Example CPU 64C",
        "host_processors_per_node": 2,
        "host_processor_core_count": 64,
        "host_memory_capacity": "1 TB",
        "host_networking": "Ethernet 100G",
        "host_storage_capacity": "8 TB",
        "host_storage_type": "NVMe",
        "cooling": "air",
        "operating_system": "Ubuntu 24.04",
        "host_memory_configuration": "16x 64GB",
        "host_network_card_count": "2",
        "driver": "570",
        "filesystem": "xfs",
        "accelerator_info": [
            {
                "accelerator_model_name": "Example GPU 80GB",
                "accelerators_per_node": 8,
                "accelerator_memory_capacity": "80 GB",
                "accelerator_memory_type": "HBM3",
                "accelerator_interconnect": "NVLink",
                "accelerator_host_interconnect": "PCIe Gen5",
            }
        ],
    }
    return {
        "submitter_org_names": "Acme",
        "submitter_contact": "perf@acme.example",
        "system_name": "Acme 8-GPU node",
        "shortened_system_name": "acme-8gpu",
        "system_category": "datacenter",
        "max_supported_concurrency": C_MAX,
        "serving_framework": "vLLM 0.9",
        "node_types": [node],
        "division": "Standardized",
        "model_precision": "BF16",
        "link_to_model": "https://example.com/model",
        "dataset_id": "cnn_dailymail",
        "dataset_name": "CNN/DailyMail",
        "input_token_average": 870.0,
        "output_token_average": 128.0,
        "dataset_type": "performance",
        "dataset_link": "https://example.com/dataset",
        "measured_accuracy_score": "38.9",
        "system_size": "1 node",
        "model_id": "llama3.1-8b",
        "system_node_ensemble_count": 1,
        "system_node_ensemble_total": 1,
        "model_name": "llama3.1-8b",
        "publication_status": "Available",
        "availability_url": "https://acme.example/buy",
        "node_config": "8 GPUs",
        "config_summary": {
            "disaggregated": None,
            "expert_parallel": 1,
            "tensor_parallel": 1,
            "pipeline_parallel": 1,
            "data_parallel": 8,
            "batch": None,
        },
    }


def _point(c: int) -> dict[str, Any]:
    return {
        "concurrency": c,
        "dataset": "llm-perf-dataset-v1",
        "dataset_link": "https://example.com/dataset",
        "dataset_name": "CNN/DailyMail",
        "dataset_type": "Performance",
        "division": "Standardized",
        "link_to_model": "https://example.com/model",
        "link_to_model_transformation": "https://example.com/q",
        "max_supported_concurrency": C_MAX,
        "model_name": MODEL,
        "model_notes": "",
        "model_precision": "BF16",
        "runtime_settings": {
            "load_pattern": "concurrency",
            "min_duration_ms": 1_200_000,
            "runtime": dict(SEEDS),
            "stream_all_chunks": True,
        },
        "offline": "elected" if c == C_MAX else "none",
        "steady_state": {
            "status": "windowable",
            "verdict": "STEADY STATE",
            "window": {
                "super_pass_start": 1,
                "super_pass_end": 4,
                "super_pass_size": 13368,
                "n_samples": 4 * 13368,
                "duration_s": 1230.0,
            },
            "state": {"ttft_p50": "Plateau", "ttft_p90": "Plateau", "tpot_p50": "Plateau", "tpot_p90": "Plateau"},
        },
        "seed_set": "A",
        "shared_docs": "docs",
        "shared_src": "src",
        "target_cohort": "2026-10-C1",
        "warmup": {
            "concurrency": c,
            "data_source": "llm-perf-dataset-v1 validation split",
            "duration_s": 60.0,
            "initialization_steps": ["model loaded"],
            "link_logs": "https://example.com/warmup",
            "logs_retained": True,
            "requests_completed": 200,
            "requests_issued": 200,
        },
    }


def _summary(c: int) -> dict[str, Any]:
    """Per-point metrics: TPOT p50 falls and system TPS rises with concurrency, all consistent."""
    tpot_p50_ns = 4_000_000.0 + 20_000.0 * c
    tpot_p90_ns = tpot_p50_ns * 1.25
    tps_per_user = 1e9 / tpot_p90_ns
    tokens = int(c * (1e9 / tpot_p50_ns) * 0.9 * DURATION_NS / 1e9)
    system_tps = tokens / (DURATION_NS / 1e9)
    n = max(tokens // 128, 1)
    return {
        "n_samples_issued": n,
        "n_samples_completed": n,
        "n_samples_failed": 0,
        "duration_ns": DURATION_NS,
        "ttft": {
            "total": 50_000_000.0 * n,
            "percentiles": {"50": 50_000_000.0, "90": 90_000_000.0, "95": 110_000_000.0},
        },
        "output_sequence_lengths": {"total": tokens, "percentiles": {}},
        "tpot": {
            "total": tpot_p50_ns * n,
            "percentiles": {"50": tpot_p50_ns, "90": tpot_p90_ns, "95": tpot_p50_ns * 1.4, "99": tpot_p50_ns * 1.6},
        },
        "system_tps": round(system_tps, 4),
        "tps_per_user": round(tps_per_user, 4),
    }


def _accuracy() -> dict[str, Any]:
    return {
        "llm-perf-dataset-v1": {
            "dataset_name": "llm-perf-dataset-v1",
            "num_samples": 13368,
            "extractor": "RougeExtractor",
            "n_repeats": 1,
            "score": {"rouge1": "38.91", "rouge2": "15.95", "rougeL": "24.52"},
        }
    }


def _config(c: int) -> dict[str, Any]:
    return {
        "type": "online",
        "model_params": {"name": "meta-llama/Llama-3.1-8B-Instruct"},
        "settings": {"load_pattern": {"type": "concurrency", "target_concurrency": c}},
        "datasets": [{"name": "llm-perf-dataset-v1", "type": "performance"}],
    }


def _power() -> dict[str, Any]:
    def tdp(watts: int) -> dict[str, Any]:
        return {"value_w": watts, "source_type": "vendor_spec", "source": "https://example.com/spec"}

    return {
        "system_desc_id": SYSTEM,
        "cooling": "air",
        "scale_out": {"present": False},
        "node_sets": [
            {
                "node_set_id": 0,
                "system_node_ensemble_id": 0,
                "nodes_provisioned": 1,
                "power_method": "component_sum",
                "components": {
                    "cpu": {"model": "Example CPU 64C", "count_per_node": 2, "tdp_per_unit": tdp(350)},
                    "accelerator": {"model": "Example GPU 80GB", "count_per_node": 8, "tdp_per_unit": tdp(700)},
                    "scale_up_network": {"method": "declared_tdp", "switch_count": 1, "tdp_per_switch": tdp(3500)},
                },
            }
        ],
    }


def valid() -> dict[str, Any]:
    """The valid submission as {relative path: content} (dicts become JSON or YAML by suffix)."""
    sub = f"{ORG}/{SUBMISSION}"
    files: dict[str, Any] = {
        f"{sub}/src/{MODEL}/README.md": "# How to reproduce\n",
        f"{sub}/docs/README.md": "# Notes\n",
        f"{sub}/results/{SYSTEM}/system_power.json": _power(),
    }
    for c in POINTS:
        base = f"{sub}/results/{SYSTEM}/{MODEL}/r{c}"
        files[f"{base}/point.yaml"] = _point(c)
        files[f"{base}/config.yaml"] = _config(c)
        files[f"{base}/system_desc.json"] = _system_desc()
        files[f"{base}/result_summary.json"] = _summary(c)
        if c in ACCURACY_AT:
            files[f"{base}/accuracy_results.json"] = _accuracy()
    return files


def write(name: str, files: dict[str, Any], root: Path = ROOT) -> None:
    target = root / name
    if target.exists():
        shutil.rmtree(target)
    for rel, content in sorted(files.items()):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif path.suffix == ".json":
            path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=True), encoding="utf-8")


def _at(c: int, name: str) -> str:
    return f"{ORG}/{SUBMISSION}/results/{SYSTEM}/{MODEL}/r{c}/{name}"


def _drop_point(files: dict[str, Any], c: int) -> None:
    for key in [k for k in files if f"/r{c}/" in k]:
        del files[key]


def _move_point(files: dict[str, Any], old: int, new: int) -> None:
    """Re-measure point ``old`` at concurrency ``new`` (folder, point.yaml, config and consistent metrics)."""
    for key in [k for k in files if f"/r{old}/" in k]:
        files[key.replace(f"/r{old}/", f"/r{new}/")] = files.pop(key)
    files[_at(new, "point.yaml")] = {**_point(new), "offline": files[_at(new, "point.yaml")]["offline"]}
    files[_at(new, "config.yaml")] = _config(new)
    files[_at(new, "result_summary.json")] = _summary(new)


def _set(files: dict[str, Any], key: str, path: tuple[str, ...], value: Any) -> None:
    doc = files[key]
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


# One tree per violation class: name -> the change to the valid submission (the rule it breaks in the comment).
VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    # EP001: no src/ folder (official: src-dir, required-dir)
    "no-src": lambda f: [f.pop(k) for k in [k for k in f if "/src/" in k]],
    # EP008: an implementation folder without README.md (official: src-readme)
    "src-readme": lambda f: (
        f.pop(f"{ORG}/{SUBMISSION}/src/{MODEL}/README.md"),
        f.__setitem__(f"{ORG}/{SUBMISSION}/src/{MODEL}/serve.sh", "vllm serve\n"),
    ),
    # EP009: shared_docs pointing out of the submission (official: shared-path-resolution)
    "shared-path": lambda f: _set(f, _at(88, "point.yaml"), ("shared_docs",), "../docs"),
    # EP002: a point without config.yaml (official: config-file-present)
    "missing-config": lambda f: f.pop(_at(88, "config.yaml")),
    # EP003: a result summary cut off (official: result-file-valid)
    "broken-summary": lambda f: f.__setitem__(_at(256, "result_summary.json"), '{"n_samples_issued": 100,\n'),
    # EP004: concurrency written as a string (official: point-config-valid)
    "point-field-type": lambda f: _set(f, _at(38, "point.yaml"), ("warmup", "requests_issued"), "many"),
    # EP004: a point without its warmup declaration and target cohort (official: warmup-present,
    # point-disclosure-complete)
    "disclosure-missing": lambda f: [f[_at(256, "point.yaml")].pop(k) for k in ("warmup", "target_cohort")],
    # EP005: folder r38 holds a point at concurrency 40 (official: point-dirname-concurrency)
    "dirname-mismatch": lambda f: _set(f, _at(38, "point.yaml"), ("concurrency",), 40),
    # EP007: no system_power.json (official: power-descriptor)
    "no-power": lambda f: f.pop(f"{ORG}/{SUBMISSION}/results/{SYSTEM}/system_power.json"),
    # EP101: completed + failed != issued (official: metric-consistency-accounting)
    "accounting": lambda f: _set(f, _at(512, "result_summary.json"), ("n_samples_failed",), 7),
    # EP103: stored system TPS 10% above tokens / seconds (official: metric-consistency-system-tps)
    "system-tps": lambda f: _set(
        f, _at(512, "result_summary.json"), ("system_tps",), f[_at(512, "result_summary.json")]["system_tps"] * 1.1
    ),
    # EP104: no TPOT p90 (official: metric-consistency-tpot-p90)
    "no-tpot-p90": lambda f: f[_at(768, "result_summary.json")]["tpot"]["percentiles"].pop("90"),
    # EP105: stored TPS per user 5% off 1000 / TPOT p90 (official: metric-consistency-tps-per-user)
    "tps-per-user": lambda f: _set(
        f, _at(768, "result_summary.json"), ("tps_per_user",), f[_at(768, "result_summary.json")]["tps_per_user"] * 1.05
    ),
    # EP201: six points (official: point-count)
    "too-few-points": lambda f: (_drop_point(f, 512), _drop_point(f, 768)),
    # EP202: no point in the Medium region 27..115 (official: med-concurrency-coverage)
    "region-gap": lambda f: (_move_point(f, 38, 300), _move_point(f, 88, 400), _fix_accuracy(f, 400)),
    # EP203: a point above C_max + 10% (official: concurrency-in-range)
    "out-of-range": lambda f: _move_point(f, 512, 1200),
    # EP204: no Offline point declared (official: offline-point-present)
    "no-offline": lambda f: _set(f, _at(1000, "point.yaml"), ("offline",), "none"),
    # EP301: ROUGE-1 below 99% of the reference (official: accuracy-gate)
    "accuracy-low": lambda f: _set(
        f, _at(20, "accuracy_results.json"), ("llm-perf-dataset-v1", "score", "rouge1"), "37.5"
    ),
    # EP302: no accuracy in the Low region (official: accuracy-coverage)
    "accuracy-missing": lambda f: f.pop(_at(20, "accuracy_results.json")),
    # EP401: another serving framework at one point (official: system-description-consistency)
    "system-desc-differs": lambda f: _set(f, _at(256, "system_desc.json"), ("serving_framework",), "SGLang 0.4"),
    # EP402: point.yaml names another model (official: model-name-consistency)
    "model-name": lambda f: _set(f, _at(16, "point.yaml"), ("model_name",), "llama2-70b"),
    # EP404: node types without their driver, at every point (official: system-description-valid)
    "system-desc-field": lambda f: [f[_at(c, "system_desc.json")]["node_types"][0].pop("driver") for c in POINTS],
    # EP403: a seed that is not seed set A's (official: seed-runtime-match)
    "seed-mismatch": lambda f: _set(f, _at(88, "point.yaml"), ("runtime_settings", "runtime", "model_seed"), 42),
}


def _fix_accuracy(files: dict[str, Any], moved_to: int) -> None:
    """A region-gap curve keeps its accuracy points one per band: the moved r88 result goes to the new r400."""
    files.pop(_at(moved_to, "accuracy_results.json"), None)


def main(root: Path = ROOT) -> None:
    write("valid", valid(), root)
    for name, change in VARIANTS.items():
        files = copy.deepcopy(valid())
        change(files)
        write(name, files, root)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
