"""A demo tree generated on this machine (the fixture generator's own steps, without compliance runs),
and the claim edits the reproduce tests make to it.

A claim "raised by 30 %" promises 30 % more performance: throughput x1.3, latency /1.3. Latency
claims are scaled together with the percentiles beside them, so the claim stays self-consistent
and only the re-run can catch it; Server's scheduled and completed rates are raised alike, as in
the issue, which the claim's own target_qps contradicts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from reference_sut import SCENARIOS
from reference_sut.fixtures.generate import calibrate_offline, scenario_dir, write_common
from reference_sut.fixtures.layout import USER_CONF
from reference_sut.fixtures.scenario import (
    PERF_FILES,
    copy_files,
    install_accuracy,
    loadgen_run,
    median_perf_run,
    write_conf_files,
)
from tests.mutate import get_record, set_record

DETAIL = Path("performance/run_1/mlperf_log_detail.txt")
PERCENTILES = ("50.00", "90.00", "95.00", "97.00", "99.00", "99.90")
LATENCY_KEYS = {
    "SingleStream": ("early_stopping_latency_ss", "early_stopping_latency_ms", "result_max_latency_ns"),
    "MultiStream": (
        "early_stopping_latency_ms",
        "result_max_query_latency_ns",
        *(f"result_{p}_percentile_per_query_latency_ns" for p in PERCENTILES),
    ),
}


def build_tree(out: Path, scenarios: tuple[str, ...] = SCENARIOS, best_of: int = 3) -> Path:
    """``out/closed/SubcheckDemo/...``: per scenario the median of ``best_of`` performance runs and an accuracy run.

    The median run is the claim: what this machine does in a typical run. ``reproduce`` judges the best of its
    own runs, so a valid claim reproduces even when one re-run is slowed by other work (the best of ``best_of``
    was an outlier that a busy shared machine failed to reach again in CI), while a claim raised 30 % above the
    typical run is still beyond it.
    """
    with tempfile.TemporaryDirectory(prefix="repro-tree-") as tmp:
        work = Path(tmp)
        write_common(out)
        confs = dict(USER_CONF)
        if "Offline" in scenarios:
            target_qps, _ = calibrate_offline(work)
            confs["Offline"] = {**USER_CONF["Offline"], "target_qps": target_qps}
        for scenario in scenarios:
            scn = scenario_dir(out, scenario)
            conf = write_conf_files(scn, scenario, confs[scenario])
            median = median_perf_run(scenario, conf, work / scenario, best_of)
            copy_files(median, scn / "performance" / "run_1", PERF_FILES)
            acc = loadgen_run(scenario, "AccuracyOnly", conf, work / scenario / "acc")
            install_accuracy(acc, scn / "accuracy")
    return out


def raise_claim(result_dir: Path, factor: float = 1.3) -> None:
    """Claim ``factor`` times the performance in the detail log (summary left as is: reproduce reads the detail)."""
    detail = result_dir / DETAIL
    scenario = get_record(detail, "effective_scenario")
    if scenario == "Offline":
        keys, scale = ("result_samples_per_second",), factor
    elif scenario == "Server":
        keys, scale = ("result_scheduled_samples_per_sec", "result_completed_samples_per_sec"), factor
    else:
        keys = (*LATENCY_KEYS[scenario], *(f"result_{p}_percentile_latency_ns" for p in PERCENTILES))
        scale = 1 / factor
    for key in keys:
        value = get_record(detail, key)
        set_record(detail, key, round(value * scale, 2) if isinstance(value, float) else int(value * scale))
