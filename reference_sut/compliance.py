"""TEST01 / TEST04 verification, computed from real logs like MLPerf's compliance scripts.

The output lines mirror ``compliance/TEST01/verify_accuracy.py`` and the ``verify_performance.py``
scripts (same keys and ``TEST PASS`` / ``TEST FAIL`` lines) so a checker can parse either; the
comparison itself is stricter: the whole response must match, not just its first byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from checker.parsers.mllog import parse_detail_log

RESULT_FIELD = {
    "Offline": "result_samples_per_second",
    "SingleStream": "early_stopping_latency_ss",
    "MultiStream": "early_stopping_latency_ms",
    "Server": "result_completed_samples_per_sec",
}
LATENCY_SCENARIOS = ("SingleStream", "MultiStream")


@dataclass(frozen=True)
class Verdict:
    passed: bool
    text: str


def _score(detail: Path) -> tuple[str, float, object, bool, int]:
    parsed = parse_detail_log(detail)
    log = parsed.values
    scenario = log["effective_scenario"]
    return (
        scenario,
        float(log[RESULT_FIELD[scenario]]),
        log.get("effective_target_latency_ns"),
        log.get("result_validity") == "VALID",
        len(parsed.errors),
    )


def _fail(lines: list[str], message: str) -> Verdict:
    return Verdict(False, "\n".join([*lines, message]) + "\n")


def _threshold(scenario: str, ref_score: float) -> float:
    """10 %, relaxed to 20 % for very short latencies (<= 0.2 ms SS, <= 1.6 ms MS) as upstream."""
    if (scenario == "SingleStream" and ref_score <= 200_000) or (scenario == "MultiStream" and ref_score <= 1_600_000):
        return 0.20
    return 0.10


def _perf_header(ref: Path, test: Path) -> tuple[list[str], tuple, tuple]:
    lines = ["Verifying performance."]
    r, t = _score(ref), _score(test)
    for label, item, path in (("reference", r, ref), ("test", t, test)):
        if item[4]:
            lines.append(f"WARNING: {item[4]} ERROR reported in {path.name} ({label})")
    return lines, r, t


def verify_test01_performance(ref_detail: Path, test_detail: Path) -> Verdict:
    """Audit run throughput/latency within +-threshold of the submitted performance run."""
    lines, (r_sc, r_score, r_lat, r_ok, _), (t_sc, t_score, t_lat, t_ok, _) = _perf_header(ref_detail, test_detail)
    if not r_ok or not t_ok:
        return _fail(lines, "TEST FAIL: Invalid results")
    if r_sc != t_sc:
        return _fail(lines, "TEST FAIL: Test and reference scenarios do not match!")
    if r_sc == "Server" and r_lat != t_lat:
        return _fail(lines, "TEST FAIL: Server target latency mismatch")
    thr = _threshold(r_sc, r_score)
    lines += [f"Reference score = {r_score}", f"Test score = {t_score}"]
    passed = r_score * (1 - thr) <= t_score <= r_score * (1 + thr)
    lines.append("TEST PASS" if passed else "TEST FAIL: Test score invalid")
    return Verdict(passed, "\n".join(lines) + "\n")


def verify_test04_performance(ref_detail: Path, test_detail: Path) -> Verdict:
    """Same-sample run must not be more than threshold faster (no result caching)."""
    lines, (r_sc, r_score, r_lat, r_ok, _), (t_sc, t_score, t_lat, t_ok, _) = _perf_header(ref_detail, test_detail)
    if not r_ok:
        return _fail(lines, "TEST FAIL: Reference results are invalid")
    if not t_ok:
        return _fail(lines, "TEST FAIL: Test results are invalid")
    if r_sc != t_sc:
        return _fail(lines, "Test and reference scenarios do not match!")
    if r_sc == "Server" and r_lat != t_lat:
        return _fail(lines, "TEST FAIL: Server target latency mismatch")
    thr = _threshold(r_sc, r_score)
    # upstream turns latencies into rates (1e9 / ns) so "faster" is always "larger"
    ref_rate = 1e9 / r_score if r_sc in LATENCY_SCENARIOS else r_score
    test_rate = 1e9 / t_score if t_sc in LATENCY_SCENARIOS else t_score
    lines += [f"reference score = {ref_rate}", f"test score = {test_rate}"]
    passed = test_rate < ref_rate * (1 + thr)
    lines.append("TEST PASS" if passed else "TEST FAIL: Test score invalid")
    return Verdict(passed, "\n".join(lines) + "\n")


def verify_test01_accuracy(accuracy_log: Path, audit_log: Path) -> Verdict:
    """Every response logged in the audit (performance-mode) run equals the accuracy-mode one."""
    acc = json.loads(accuracy_log.read_text(encoding="utf-8"))
    perf = json.loads(audit_log.read_text(encoding="utf-8"))
    reference: dict[int, str] = {}
    dup = acc_mismatch = 0
    for entry in acc:
        idx, data = int(entry["qsl_idx"]), entry["data"].lower()
        if idx in reference:
            dup += 1
            acc_mismatch += int(reference[idx] != data)
        else:
            reference[idx] = data
    matched = mismatch = missing = 0
    for entry in perf:
        idx = int(entry["qsl_idx"])
        if idx not in reference:
            missing += 1
            continue
        matched += 1
        mismatch += int(reference[idx] != entry["data"].lower())
    passed = mismatch == 0 and matched > 0
    lines = [
        "Verifying accuracy. This might take a while...",
        "Reading accuracy mode results...",
        "Reading performance mode results...",
        f"num_acc_log_entries = {len(acc)}",
        f"num_acc_log_duplicate_keys = {dup}",
        f"num_acc_log_data_mismatch = {acc_mismatch}",
        f"num_perf_log_entries = {len(perf)}",
        f"num_perf_log_qsl_idx_match = {matched}",
        f"num_perf_log_data_mismatch = {mismatch}",
        f"num_missing_qsl_idxs = {missing}",
        "TEST PASS" if passed else "TEST FAIL",
    ]
    return Verdict(passed, "\n".join(lines) + "\n")
