"""Write ``fixtures/inference-v6.1-endpoints/``: NVIDIA's v6.1 deepseek-r1 and qwen3-vl-235b-a22b results
measured with the MLPerf Endpoints client, in the published repository's exact file shapes (keys, nesting,
percentile spellings), kept small: histograms are cut to two buckets, the system description holds only the
round's fields.

The numbers are the published ones where the published files could be read (result_summary.json, report.txt,
config.yaml, measurements.json, and the official summary.json's Result and Accuracy); durations the published
summaries did not show are the report's rounded seconds (or samples / QPS), and output-token totals TPS x seconds.
Run ``python scripts/inference_endpoints_fixture.py`` and commit the result.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "inference-v6.1-endpoints"
SYSTEM = "VR-NVL72_VR-288GB_aarch64x72_TRT"
SEEDS = {"scheduler_random_seed": 16159082839903944936, "dataloader_random_seed": 2747215439041700203}

# (benchmark, scenario): samples issued (= completed), duration (ns), the client's TPS and QPS, early-stopping p99
# estimates (ns) of TTFT and TPOT (streamed runs) and of the whole query latency, the accuracy score, its dataset
# and size, the load pattern and config.yaml's min_duration_ms. Published values (report.txt, result_summary.json,
# config.yaml, the official summary.json).
_POISSON = {"type": "poisson", "target_concurrency": None, "use_legacy_loadgen_qps_metrics": True}
_MAX = {"type": "max_throughput", "target_qps": None, "target_concurrency": None}
_DSR1 = dict(dataset="deepseek_r1_accuracy", samples=4388)
_Q3VL = dict(dataset="shopify_product_catalogue::q3vl", samples=48289)
RUNS: dict[tuple[str, str], dict[str, Any]] = {
    ("deepseek-r1", "Offline"): dict(
        _DSR1,
        n=1600000,
        ns=5124400000000,
        tps=1183326.8540322022,
        qps=312.23,
        es=None,
        lat=4800956300000.0,
        acc=81.35824977210574,
        pattern=_MAX,
        min_ms=5400000,
    ),
    ("deepseek-r1", "Server"): dict(
        _DSR1,
        n=600000,
        ns=2318929756903,
        tps=1175890.2208168241,
        qps=310.0842360889801,
        es=(304652135.0, 48224073.2417795),
        lat=788341844995.0,
        acc=81.42661804922516,
        pattern={**_POISSON, "target_qps": 325.0},
        min_ms=1800000,
    ),
    ("deepseek-r1", "Interactive"): dict(
        _DSR1,
        n=330000,
        ns=2077970000000,
        tps=652750.1447708113,
        qps=168.45,
        es=(484730000.0, 12560000.0),
        lat=196907290000.0,
        acc=80.62898814949864,
        pattern={**_POISSON, "target_qps": 170.0},
        min_ms=1500000,
    ),
    ("qwen3-vl-235b-a22b", "Offline"): dict(
        _Q3VL,
        n=1738404,
        ns=726545539185,  # the report says 726.55 s; QPS 2392.6979194588 = samples / duration
        tps=102722.30,
        qps=2392.6979194588,
        es=None,
        lat=256017760000.0,
        acc=0.7871815525981819,
        pattern=_MAX,
        min_ms=600000,
    ),
    ("qwen3-vl-235b-a22b", "Server"): dict(
        _Q3VL,
        n=1545248,
        ns=667655142694,
        tps=99742.4611703127,
        qps=2323.2698417825063,
        es=(4431160000.0, 161680000.0),
        lat=10344495777.0,
        acc=0.7874153796727632,
        pattern={**_POISSON, "target_qps": 2340.0},
        min_ms=600000,
    ),
    ("qwen3-vl-235b-a22b", "Interactive"): dict(
        dataset="shopify_product_catalogue_8k::q3vl",
        samples=8000,
        n=872000,
        ns=667830000000,
        tps=56019.61,
        qps=1306.6078446835,
        es=(910490000.0, 14140000.0),
        lat=1483690000.0,
        acc=0.7845128091628396,
        pattern={**_POISSON, "target_qps": 1310.0},
        min_ms=600000,
    ),
}


def _series(p50: float, p99: float, early: bool = True) -> dict[str, Any]:
    block: dict[str, Any] = {
        "total": p50,
        "min": p50 / 2,
        "max": p99 * 2,
        "median": p50,
        "avg": p50,
        "std_dev": p50 / 4,
        "percentiles": {"99.0": p99, "50.0": p50},
    }
    if early:
        block["early_stopping_percentiles"] = {"99.0": p99, "50.0": p50}
    block["histogram"] = {"buckets": [[p50 / 2, p50], [p50, p99 * 2]], "counts": [1, 1]}
    return block


def summary(run: dict[str, Any]) -> dict[str, Any]:
    tokens = round(run["tps"] * run["ns"] / 1e9)
    data: dict[str, Any] = {
        "version": "0.1.0",
        "git_sha": None,
        "test_started_at": 0,
        "n_samples_issued": run["n"],
        "n_samples_completed": run["n"],
        "n_samples_failed": 0,
        "duration_ns": run["ns"],
        "state": "complete",
        "complete": True,
    }
    if run["es"] is not None:
        data["ttft"] = _series(run["es"][0] * 0.6, run["es"][0])
        data["tpot"] = _series(run["es"][1] * 0.85, run["es"][1])
    data["latency"] = _series(run["lat"] * 0.5, run["lat"])
    data["output_sequence_lengths"] = {**_series(2114.0, 20000.0, early=False), "total": tokens}
    data.update({"legacy_loadgen_window_duration_ns": run["ns"], "qps": run["qps"], "tps": run["tps"]})
    data["run_config"] = {
        "load_pattern": run["pattern"],
        "warmup": {"enabled": False, "n_requests": None, "salt": True, "drain": False, "warmup_random_seed": 42},
        **SEEDS,
    }
    return data


def accuracy(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "average_accuracy": run["acc"],
        "osl_tokenization_s": 3.5,
        "accuracy_scores": [
            {
                "dataset_name": run["dataset"],
                "extractor": None,
                "ground_truth_column": "ground_truth",
                "score": run["acc"],
                "unit_samples": run["samples"],
                "num_repeats": 1,
                "total_samples": run["samples"],
                "duration_s": 250.0,
                "complete": True,
                "dataset_type": "accuracy",
                "breakdown": {
                    "subset_scores": {"whole": run["acc"]},
                    "total_samples": run["samples"],
                    "complete": True,
                },
                "response_counts": {"issued": run["samples"], "scored": run["samples"], "empty": 0, "missing": 0},
                "output_sequence_lengths": {**_series(2118.0, 19999.0, early=False), "total": 16425558},
                "osl_tokenize_s": 3.5,
            }
        ],
    }


def config(scenario: str, run: dict[str, Any]) -> dict[str, Any]:
    kind = "offline" if scenario == "Offline" else "online"
    pattern = {k: v for k, v in run["pattern"].items() if v is not None and k != "target_concurrency"}
    return {
        "name": f"vr-{scenario.lower()}-submission",
        "version": "1.0",
        "type": kind,
        "benchmark_mode": kind,
        "model_params": {
            "name": "DeepSeek-R1-NVFP4-v2-mlpinf",
            "temperature": 0.0,
            "max_new_tokens": 20000,
            "streaming": "off" if kind == "offline" else "on",
        },
        "datasets": [
            {"name": "dsr1-perf", "type": "performance"},
            {"name": run["dataset"], "type": "accuracy"},
        ],
        "settings": {
            "runtime": {"min_duration_ms": run["min_ms"], "n_samples_to_issue": run["n"], **SEEDS},
            "load_pattern": pattern,
        },
    }


def report(run: dict[str, Any]) -> str:
    return (
        "----------------- Summary -----------------\nVersion: 0.1.0\nRun config:\n"
        f"  scheduler_random_seed: {SEEDS['scheduler_random_seed']}\n"
        f"  dataloader_random_seed: {SEEDS['dataloader_random_seed']}\n"
        f"Total samples issued: {run['n']}\nTotal samples completed: {run['n']}\nTotal samples failed: 0\n"
        f"Duration: {run['ns'] / 1e9:.2f} seconds\nQPS: {run['qps']:.2f}\nTPS: {run['tps']:.2f}\nAccuracy:\n"
        f"  {run['dataset']}: {run['acc']:.2f} (unit={run['samples']}, repeats=1, total={run['samples']})\n\n"
        "------------------- Latency Breakdowns -------------------\n"
        "----------------- End of Report -----------------\n"
    )


def system() -> dict[str, Any]:
    fields = {
        "division": "closed",
        "submitter": "NVIDIA",
        "status": "preview",
        "system_type": "datacenter",
        "system_name": "NVIDIA Vera Rubin NVL72 (72x VR-288GB_aarch64)",
        "number_of_nodes": 18,
        "host_processor_model_name": "NVIDIA Vera CPU",
        "host_processors_per_node": 2,
        "host_processor_core_count": 144,
        "accelerator_model_name": "NVIDIA Vera Rubin",
        "accelerators_per_node": 4,
        "framework": "TRTLLM-rubin, vLLM-CentML:mlperf-inf-mm-q3vl-v6.1, Dynamo",
        "operating_system": "Ubuntu 24.04",
        "hw_notes": "NVIDIA Vera Rubin NVL72, 2300W TGP Per GPU",
        "sw_notes": "",
    }
    for name in (
        "host_memory_capacity",
        "host_storage_capacity",
        "host_storage_type",
        "accelerator_memory_capacity",
        "other_software_stack",
        "host_processor_frequency",
        "host_processor_caches",
        "host_memory_configuration",
        "host_processor_interconnect",
        "host_networking",
        "host_networking_topology",
        "accelerator_frequency",
        "accelerator_host_interconnect",
        "accelerator_interconnect",
        "accelerator_interconnect_topology",
        "accelerator_memory_configuration",
        "accelerator_on-chip_memories",
        "cooling",
        "host_network_card_count",
        "system_type_detail",
    ):
        fields.setdefault(name, "see NVIDIA's published description")
    return fields


def main(root: Path = ROOT) -> None:
    if root.exists():
        shutil.rmtree(root)
    sub = root / "closed" / "NVIDIA"
    files: dict[Path, Any] = {
        sub / "systems" / f"{SYSTEM}.json": system(),
        sub / "documentation" / "calibration.md": "# Calibration\n\nNVFP4 weights.\n",
        sub / "src" / "deepseek-r1" / "README.md": "# deepseek-r1 with the Endpoints client\n",
        sub / "src" / "qwen3-vl-235b-a22b" / "README.md": "# qwen3-vl-235b-a22b with the Endpoints client\n",
    }
    for (model, scenario), run in RUNS.items():
        base = sub / "results" / SYSTEM / model / scenario
        files[base / "performance" / "result_summary.json"] = summary(run)
        files[base / "accuracy" / "accuracy_results.json"] = accuracy(run)
        files[base / "config.yaml"] = config(scenario, run)
        files[base / "report.txt"] = report(run)
        files[base / "README.md"] = f"# {model} {scenario}\n\nMeasured with the MLPerf Endpoints client.\n"
        files[base / "measurements.json"] = {
            "input_data_types": "int32",
            "retraining": "No",
            "starting_weights_filename": "Original Huggingface model weights",
            "weight_data_types": "fp4" if model == "deepseek-r1" else "bf16",
            "weight_transformations": "quantization",
        }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif path.suffix == ".json":
            path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
