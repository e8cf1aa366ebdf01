"""Write the segmentation fixtures: ``valid/``, ``dice_overstated/``, ``class_below_min/`` and ``manifest.yaml``.

    python -m reference_sut.segmentation.fixtures fixtures/segmentation [--scenarios Offline SingleStream ...]

Every LoadGen log comes from a real run of the segmentation SUT. ``dice_overstated`` is ``valid`` with its
``accuracy.txt`` raised above the Dice its own outputs give (the one hand-made change); ``class_below_min`` is a
whole submission of a real model variant whose disk logit is lowered, so the disk class falls below its minimum
while the mean stays above the target. Trees hold Offline only (the round requires it) to stay small; the
generator runs all four scenarios when asked, as a test does.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from checker.parsers.mllog import parse_detail_log

from .. import SCENARIOS
from ..compliance import verify_test01_accuracy, verify_test01_performance
from ..fixtures.layout import (
    AUDIT_SEED,
    CALIBRATION,
    DIVISION,
    MIN_DURATION_MS,
    SUBMITTER,
    SYSTEM,
    system_description,
    write_json,
)
from ..fixtures.scenario import MAX_AUDIT_ATTEMPTS, PERF_FILES, copy_files, install_test01, launch_fresh, metric
from ..harness import RunSpec
from ..loadgen_conf import embedded_mlperf_conf, write_user_conf
from ..truncation import VIEWABLE_SIZE, append_hash, truncated_text
from . import BENCHMARK
from .accuracy import compute
from .data import TEST_SAMPLES

CLASS_BIAS = {"2": -1.0}  # the under-predicting variant of class_below_min
OVERSTATE_BY = 0.03
USER_CONF: dict[str, dict[str, int | float]] = {
    "Offline": {"min_duration": MIN_DURATION_MS, "min_query_count": TEST_SAMPLES},
    "SingleStream": {"min_duration": MIN_DURATION_MS, "min_query_count": 256, "target_latency": 0.1},
    "MultiStream": {"min_duration": MIN_DURATION_MS, "min_query_count": 662, "target_latency": 0.4},
    "Server": {"min_duration": MIN_DURATION_MS, "min_query_count": 512, "target_qps": 250, "target_latency": 10},
}
TEST01_AUDIT = f"""# TEST01 (accuracy in performance mode), scaled for the segmentation demo benchmark
*.*.mode = 2
*.*.accuracy_log_rng_seed = {AUDIT_SEED}
*.*.accuracy_log_sampling_target = 64
"""
MEASUREMENTS = {
    "input_data_types": "fp32",
    "retraining": "no",
    "weight_data_types": "fp32",
    "starting_weights_filename": "reference_sut/segmentation/weights.npz",
    "weight_transformations": "none",
}
EXPECTED = {
    "valid": ("complete valid closed segmentation submission (Offline, TEST01); Dice computed by the plugin", []),
    "dice_overstated": (f"accuracy.txt claims a Dice {OVERSTATE_BY} above what its own outputs give", ["AC011"]),
    "class_below_min": ("a real model variant under-predicting the disk: its Dice falls below the per-class "
                        "minimum while the mean passes", ["AC012"]),
}  # fmt: skip


def scenario_dir(tree: Path, scenario: str) -> Path:
    return tree / DIVISION / SUBMITTER / "results" / SYSTEM / BENCHMARK / scenario


def run(scenario: str, mode: str, conf: Path, out: Path, bias: dict[str, float], audit: str | None = None) -> Path:
    """One real LoadGen test of the segmentation SUT in its own process; returns the raw log folder."""
    spec = RunSpec(scenario=scenario, mode=mode, user_conf=str(conf), log_dir=str(out), model=BENCHMARK,
                   class_bias=dict(bias))  # fmt: skip
    return launch_fresh(spec, audit)


def calibrate(work: Path) -> int:
    """Offline target_qps so the single query lasts about 3x min_duration (a shared machine speeds up, too)."""
    conf = write_user_conf(work / "calib.conf", BENCHMARK, "Offline", {**USER_CONF["Offline"], "target_qps": 20000})
    raw = run("Offline", "PerformanceOnly", conf, work / "calib", {})
    measured = float(parse_detail_log(raw / "mlperf_log_detail.txt").values["result_samples_per_second"])
    return max(1000, int(round(measured * 3, -3)))


def install_accuracy(raw: Path, dest: Path) -> dict[str, Any]:
    """accuracy/: logs, accuracy.txt with its hash, and the accuracy log (whole: it is under 4096 bytes)."""
    copy_files(raw, dest, PERF_FILES)
    full = raw / "mlperf_log_accuracy.json"
    text = full.read_text()
    if len(text) >= VIEWABLE_SIZE:
        raise RuntimeError(f"the accuracy log is {len(text)} characters: the truncation tool would cut it")
    result = compute(full)
    (dest / "accuracy.txt").write_text(result.accuracy_line() + "\n", encoding="utf-8")
    append_hash(dest / "accuracy.txt", result.digest)
    (dest / "mlperf_log_accuracy.json").write_text(truncated_text(text), encoding="utf-8")
    return {"dice": result.mean, "per_class": result.per_class, "hash": result.digest}


def test01(scn: Path, scenario: str, conf: Path, work: Path, acc_full: Path, bias: dict[str, float]) -> dict[str, Any]:
    reference = scn / "performance" / "run_1" / "mlperf_log_detail.txt"
    attempts = 0
    while True:  # a busy machine can miss the performance band; the audit is run again, as a submitter would
        attempts += 1
        raw = run(scenario, "PerformanceOnly", conf, work / "test01", bias, TEST01_AUDIT)
        perf = verify_test01_performance(reference, raw / "mlperf_log_detail.txt")
        if perf.passed or attempts >= MAX_AUDIT_ATTEMPTS:
            break
    acc = verify_test01_accuracy(acc_full, raw / "mlperf_log_accuracy.json")
    install_test01(raw, scn / "TEST01", acc, perf, compute)
    return {"accuracy_pass": acc.passed, "performance_pass": perf.passed, "attempts": attempts}


def build_scenario(
    tree: Path, scenario: str, values: dict[str, int | float], work: Path, bias: dict[str, float]
) -> dict[str, Any]:
    scn = scenario_dir(tree, scenario)
    scn.mkdir(parents=True, exist_ok=True)
    conf = write_user_conf(scn / "user.conf", BENCHMARK, scenario, values, f"user.conf for {BENCHMARK} {scenario}")
    (scn / "mlperf.conf").write_text(embedded_mlperf_conf())
    (scn / "README.md").write_text(f"# {BENCHMARK} / {scenario}\n\nGenerated with real LoadGen by "
                                   "`python -m reference_sut.segmentation.fixtures`.\n")  # fmt: skip
    write_json(scn / "measurements.json", MEASUREMENTS)
    for _ in range(MAX_AUDIT_ATTEMPTS):  # a busy machine can miss the latency bound; a submitter runs it again
        perf = run(scenario, "PerformanceOnly", conf, work / "perf", bias)
        if parse_detail_log(perf / "mlperf_log_detail.txt").values.get("result_validity") == "VALID":
            break
    copy_files(perf, scn / "performance" / "run_1", PERF_FILES)
    acc = run(scenario, "AccuracyOnly", conf, work / "acc", bias)
    facts = {"performance": metric(scn / "performance" / "run_1" / "mlperf_log_detail.txt"),
             "accuracy": install_accuracy(acc, scn / "accuracy")}  # fmt: skip
    facts["TEST01"] = test01(scn, scenario, conf, work, acc / "mlperf_log_accuracy.json", bias)
    return facts


def build_tree(tree: Path, scenarios: tuple[str, ...], confs: dict[str, dict[str, Any]], work: Path,
               bias: dict[str, float]) -> dict[str, Any]:  # fmt: skip
    """A whole submission of the segmentation SUT (the model variant ``bias``) in ``scenarios``."""
    if tree.exists():
        shutil.rmtree(tree)
    root = tree / DIVISION / SUBMITTER
    write_json(root / "systems" / f"{SYSTEM}.json", system_description())
    (root / "src" / BENCHMARK).mkdir(parents=True)
    (root / "src" / BENCHMARK / "README.md").write_text(
        f"# {BENCHMARK} reference implementation\n\nThe `reference_sut.segmentation` package of the subcheck "
        "repository (data, model, harness, accuracy script).\n"
    )
    (root / "documentation").mkdir(parents=True)
    (root / "documentation" / "calibration.md").write_text(CALIBRATION)
    return {s: build_scenario(tree, s, confs[s], work / s, bias) for s in scenarios}


def overstate(tree: Path) -> dict[str, Any]:
    """Raise the claimed Dice of Offline's accuracy.txt; the log and its hash are unchanged."""
    path = scenario_dir(tree, "Offline") / "accuracy" / "accuracy.txt"
    lines = path.read_text().splitlines()
    value = float(lines[0].split(",")[0].split("=")[1])
    lines[0] = lines[0].replace(f"dice={value:.5f}", f"dice={value + OVERSTATE_BY:.5f}", 1)
    path.write_text("\n".join(lines) + "\n")
    return {"claimed": round(value + OVERSTATE_BY, 5), "computed": value}


def generate(out: Path, scenarios: tuple[str, ...] = ("Offline",), only_valid: bool = False) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="refsut-seg-") as tmp:
        work = Path(tmp)
        confs = {**USER_CONF, "Offline": {**USER_CONF["Offline"], "target_qps": calibrate(work)}}
        report["valid"] = build_tree(out / "valid", scenarios, confs, work / "valid", {})
        if not only_valid:
            if (out / "dice_overstated").exists():
                shutil.rmtree(out / "dice_overstated")
            shutil.copytree(out / "valid", out / "dice_overstated")
            report["dice_overstated"] = overstate(out / "dice_overstated")
            report["class_below_min"] = build_tree(
                out / "class_below_min", ("Offline",), confs, work / "low", CLASS_BIAS
            )
            write_manifest(out)
    return report


def write_manifest(out: Path) -> None:
    entries = [{"name": name, "path": f"{name}/", "ruleset": "demo-segmentation", "description": text,
                "expected_codes": codes} for name, (text, codes) in EXPECTED.items()]  # fmt: skip
    header = (
        "# Segmentation fixtures generated by `python -m reference_sut.segmentation.fixtures fixtures/segmentation`.\n"
    )
    (out / "manifest.yaml").write_text(header + yaml.safe_dump({"fixtures": entries}, sort_keys=False, width=110))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the segmentation fixtures with real LoadGen runs")
    parser.add_argument("out", type=Path, nargs="?", default=Path("fixtures/segmentation"))
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=["Offline"])
    args = parser.parse_args(argv)
    report = generate(args.out, tuple(args.scenarios))
    for name, facts in report.items():
        print(f"{name}: {facts}", flush=True)
    bad = [s for s, f in report["valid"].items() if f["performance"].get("result_validity") != "VALID"
           or not (f["TEST01"]["accuracy_pass"] and f["TEST01"]["performance_pass"])]  # fmt: skip
    if bad:
        print(f"WARNING: valid/ is not valid in {', '.join(bad)} (the machine was probably busy); regenerate")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
