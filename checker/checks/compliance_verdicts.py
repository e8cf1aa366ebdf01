"""CO: the audits' verdicts, recomputed from the logs wherever they are present (TEST01 performance and accuracy,
TEST04) and otherwise read from the submitter's ``verify_*.txt``, which is then said.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from checker.checks.compliance import (
    LATENCY_SCENARIOS,
    NOT_RERUN,
    PERFORMANCE_AUDITS,
    audit,
    audit_config,
    tests_for,
    verify_of,
    where,
)
from checker.context import ResultContext, as_float
from checker.findings import Problem, Severity
from checker.parsers.accuracy_log import ACCURACY_JSON_LIMIT, AccuracyLog, read_accuracy_log
from checker.parsers.mllog import DetailLog
from checker.parsers.text import limit_for, read_text
from checker.registry import REGISTRY, rule


@rule(
    "CO005",
    "verify-performance-failed",
    fix="Investigate the audit failure (caching, unstable performance) and re-run the audit until it passes.",
)
def verify_performance_failed(ctx: ResultContext) -> Iterator[Problem]:
    """``verify_performance.txt`` of TEST01, TEST04 or TEST05 does not say TEST PASS.

    Fails: TEST04 ``verify_performance.txt`` saying TEST FAIL. Passes: TEST PASS.
    """
    for test in tests_for(ctx):
        if test not in PERFORMANCE_AUDITS:
            continue
        verify = verify_of(ctx, test, "verify_performance.txt")
        if verify.exists and not verify.passed:
            yield Problem(
                where(ctx, verify.path),
                f"{test} performance verification did not pass",
                expected="TEST PASS",
                found=next((line for line in reversed(verify.lines) if line), ""),
            )


@dataclass(frozen=True)
class Recomputed:
    passed: bool
    reason: str
    reference: float | None = None
    test: float | None = None


def recompute_performance(ctx: ResultContext, test: str) -> Recomputed | None:
    """The verify_performance.py verdict of TEST01 or TEST04, from the two detail logs; None without logs."""
    ref, run = ctx.perf_log, audit(ctx, test).perf_log
    if not ref.usable or not run.usable:
        return None
    scenario = ref.get("effective_scenario")
    if run.get("effective_scenario") != scenario:
        return Recomputed(False, f"audit ran {run.get('effective_scenario')}, the performance run {scenario}")
    if ref.get("result_validity") != "VALID":
        return Recomputed(False, "the reference performance run is INVALID")
    if run.get("result_validity") != "VALID":
        return Recomputed(False, "the audit run is INVALID")
    if scenario == "Server" and ref.get("effective_target_latency_ns") != run.get("effective_target_latency_ns"):
        return Recomputed(False, "Server target latency differs between the audit and the performance run")
    key = ctx.rules["result_keys"].get(str(scenario))
    ref_score, test_score = _score(ref, key), _score(run, key)
    if ref_score is None or test_score is None or ref_score <= 0 or test_score <= 0:
        return None
    tolerance = audit_config(ctx).get("performance_tolerance", {}).get(test, {})
    if tolerance.get("latency_as_rate") and scenario in LATENCY_SCENARIOS:
        ref_score, test_score = 1e9 / ref_score, 1e9 / test_score
    band = float(tolerance.get("band", 0.1))
    relaxed_max = tolerance.get("relaxed_max_score", {}).get(str(scenario))
    if relaxed_max is not None and ref_score <= relaxed_max:
        band = float(tolerance.get("relaxed_band", band))
    if test == "TEST04":
        passed = test_score < ref_score * (1 + band)
        reason = f"same-sample score {test_score:g} vs reference {ref_score:g} (must be below +{band:.0%})"
    else:
        passed = ref_score * (1 - band) < test_score < ref_score * (1 + band)
        reason = f"audit score {test_score:g} vs reference {ref_score:g} (must be within ±{band:.0%})"
    return Recomputed(passed, reason, ref_score, test_score)


def _score(log: DetailLog, key: str | None) -> float | None:
    return as_float(log.get(key)) if key else None


def reference_rejected(ctx: ResultContext, prefix: str) -> list[str]:
    """Codes of the ``prefix`` rules (PE, AC) that already fail the result's own run.

    An audit is compared with the submitted run; when that run is itself rejected, a disagreement
    cannot say which side is wrong, so it is reported as a warning and the run's own error stands.
    """
    codes = []
    for code, candidate in sorted(REGISTRY.items()):
        if code.startswith(prefix) and code not in NOT_RERUN and candidate.severity is Severity.ERROR:
            if any(p.severity in (None, Severity.ERROR) for p in candidate.run(ctx)):
                codes.append(code)
    return codes


def _performance_verdict(ctx: ResultContext, test: str) -> Iterator[Problem]:
    if test not in tests_for(ctx):
        return
    recomputed = recompute_performance(ctx, test)
    if recomputed is None:
        return
    verify = verify_of(ctx, test, "verify_performance.txt")
    claimed = verify.passed if verify.exists else None
    if recomputed.passed == claimed:
        return
    ours = "TEST PASS" if recomputed.passed else "TEST FAIL"
    rejected = [] if recomputed.passed else reference_rejected(ctx, "PE")
    note = f" (the performance run itself fails {', '.join(rejected)})" if rejected else ""
    yield Problem(
        where(ctx, verify.path) if verify.exists else ctx.rel(audit(ctx, test).perf_log.path),
        f"{test} performance recomputed from the logs: {ours} ({recomputed.reason}); "
        f"verify_performance.txt: {verify.claim}{note}",
        expected=ours,
        found=verify.claim,
        # The logs pass but the submitter's own file says otherwise: CO005 already fails the result.
        severity=Severity.WARNING if recomputed.passed or rejected else None,
    )


@rule(
    "CO006",
    "test01-performance-recomputed",
    fix="Re-run TEST01: the audit run's performance must be within the tolerance of the submitted run.",
)
def test01_performance_recomputed(ctx: ResultContext) -> Iterator[Problem]:
    """TEST01 performance, recomputed from the detail logs, disagrees with ``verify_performance.txt``.

    The audit score must lie strictly within the round's band around the performance run's score
    (``compliance.performance_tolerance.TEST01``: 10 %, 20 % for very short SingleStream and
    MultiStream latencies). A recomputed failure is an error; a recomputed pass against a failing
    verify file is a warning (CO005 reports the failing file). When the performance run itself
    fails a PE rule (invalid, latency bound), the disagreement is a warning: the PE error stands.

    Fails: a TEST01 run at 100000 samples/s against 764522 while the verify file says TEST PASS. Passes: within 10 %.
    """
    yield from _performance_verdict(ctx, "TEST01")


@rule(
    "CO007",
    "test04-recomputed",
    fix="Disable any result caching: the same-sample TEST04 run must not be faster than the submitted run.",
)
def test04_recomputed(ctx: ResultContext) -> Iterator[Problem]:
    """TEST04 (one sample issued repeatedly), recomputed from the detail logs, disagrees with its verify file.

    The same-sample run must not be faster than the performance run by the round's band
    (``compliance.performance_tolerance.TEST04``); latencies are compared as rates (1e9 / ns) as upstream.

    Fails: a TEST04 run 2.6x faster than the performance run while the verify file says TEST PASS. Passes: not more
    than 10 % faster.
    """
    yield from _performance_verdict(ctx, "TEST04")


def _accuracy_log(ctx: ResultContext, path: Path) -> AccuracyLog:
    """An accuracy log read within the round's cap, as the AC rules read it (so one parse serves both)."""
    return read_accuracy_log(path, limit_for(ctx.rules, "accuracy_json", ACCURACY_JSON_LIMIT))


def _audit_accuracy_log(ctx: ResultContext) -> AccuracyLog:
    """The audit's sampled responses: the untruncated performance-mode log where kept, else the TEST01 copy."""
    folder = ctx.unit.compliance_dir
    full = _accuracy_log(ctx, folder.joinpath("TEST01", "performance", "run_1", "mlperf_log_accuracy.json"))
    if full.exists:
        return full
    return _accuracy_log(ctx, folder.joinpath("TEST01", "accuracy", "mlperf_log_accuracy.json"))


@rule(
    "CO008",
    "test01-accuracy-recomputed",
    fix=(
        "The SUT answers differently in performance mode than in accuracy mode: fix the SUT so both modes run "
        "the same computation, then re-run the accuracy run and TEST01."
    ),
)
def test01_accuracy_recomputed(ctx: ResultContext) -> Iterator[Problem]:
    """TEST01 accuracy recomputed from the logs: an audited response differs from the accuracy-mode response.

    Every response logged by the audit (``TEST01/performance/run_1/mlperf_log_accuracy.json``, else
    ``TEST01/accuracy/mlperf_log_accuracy.json``) is compared, as a whole hex string, with the
    accuracy run's response for the same ``qsl_idx``. Truncated logs keep only their complete
    visible records, so only those samples can be compared:

    * a differing response while ``verify_accuracy.txt`` says TEST PASS is an error that shows both;
    * all compared responses equal, both logs complete, and a verify file that says otherwise is a warning;
    * when truncation leaves samples uncompared, the verify file's verdict is used, and a notice says so.

    When the accuracy run itself fails an AC rule (e.g. below target), a difference cannot tell
    which mode is wrong: it is then a warning, and the AC error rejects the result.

    Fails: an audited response that differs from accuracy mode while the verify file says TEST PASS. Passes: complete
    logs with equal responses (truncated logs: a notice).
    """
    if "TEST01" not in tests_for(ctx):
        return
    audited, reference = _audit_accuracy_log(ctx), _accuracy_log(ctx, ctx.accuracy_dir / "mlperf_log_accuracy.json")
    verify = verify_of(ctx, "TEST01", "verify_accuracy.txt")
    if not audited.exists or not reference.exists:
        return
    shared = [i for i in audited.entries if i in reference.entries]
    differ = [i for i in shared if audited.entries[i] != reference.entries[i]]
    claimed_mismatch = verify.numbers.get("num_perf_log_data_mismatch")
    shown = where(ctx, verify.path) if verify.exists else ctx.rel(audited.path)
    if differ:
        if verify.passed or claimed_mismatch == "0":
            rejected = reference_rejected(ctx, "AC")
            note = f" (the accuracy run itself fails {', '.join(rejected)})" if rejected else ""
            yield Problem(
                shown,
                f"{len(differ)} of {len(shared)} compared TEST01 responses differ from accuracy mode "
                f"(first qsl_idx {differ[0]}), but verify_accuracy.txt says {verify.claim} "
                f"with num_perf_log_data_mismatch = {claimed_mismatch}{note}",
                expected="TEST FAIL",
                found=verify.claim,
                key="num_perf_log_data_mismatch",
                severity=Severity.WARNING if rejected else None,
            )
        return
    complete = audited.complete and reference.complete and len(shared) == len(audited.entries) and shared
    if complete:
        if verify.exists and not verify.passed:
            yield Problem(
                shown,
                f"all {len(shared)} TEST01 responses equal the accuracy-mode ones, but verify_accuracy.txt does not "
                "say TEST PASS",
                expected="TEST PASS",
                found=verify.claim,
                severity=Severity.WARNING,
            )
        return
    yield Problem(
        shown,
        f"TEST01 accuracy cannot be recomputed: the logs are truncated ({len(shared)} of {len(audited.entries)} "
        f"visible audited responses could be compared, all equal); verify_accuracy.txt says {verify.claim}",
        expected="complete accuracy logs",
        found=f"{len(shared)} compared",
        severity=Severity.NOTICE,
        fix="Nothing to fix: the rules require truncated accuracy logs, so the verify file's verdict is used "
        "for the responses that cannot be compared.",
    )


def _metric_values(path: Path, patterns: dict[str, str]) -> dict[str, float]:
    """The last value of each metric in a baseline/compliance accuracy file, as upstream reads them."""
    text = read_text(path)
    values: dict[str, float] = {}
    if not text.ok:
        return values
    for line in text.text.splitlines():
        for metric, pattern in patterns.items():
            match = re.match(pattern, line)
            if match:
                try:
                    values[metric] = float(match.group(1))
                except (ValueError, IndexError):
                    continue
    return values


@rule(
    "CO009",
    "test01-accuracy-failed",
    fix=(
        "Make performance-mode responses match accuracy mode, or show with baseline_accuracy.txt and "
        "compliance_accuracy.txt that the accuracy of the audited samples stays within the allowed delta."
    ),
)
def test01_accuracy_failed(ctx: ResultContext) -> Iterator[Problem]:
    """TEST01 accuracy did not pass: no TEST PASS, and the fallback accuracy delta is too large or missing.

    When the responses differ (allowed for non-deterministic SUTs), the accuracy of the audited
    samples (``compliance_accuracy.txt``) must be within ``test01_max_delta_percent`` of the
    accuracy-mode value on the same samples (``baseline_accuracy.txt``); a metric missing or 0 fails.

    Fails: TEST FAIL with no baseline/compliance accuracy, or 5 % apart. Passes: TEST FAIL with the two within 1 %.
    """
    if "TEST01" not in tests_for(ctx):
        return
    verify = verify_of(ctx, "TEST01", "verify_accuracy.txt")
    if not verify.exists or verify.passed:
        return
    folder = ctx.unit.compliance_dir / "TEST01" / "accuracy"
    deltas = ctx.model.get("test01_max_delta_percent", {})
    patterns = {m: ctx.rules["accuracy_patterns"][m] for m in deltas if m in ctx.rules["accuracy_patterns"]}
    baseline = _metric_values(folder / "baseline_accuracy.txt", patterns)
    audited = _metric_values(folder / "compliance_accuracy.txt", patterns)
    for metric, allowed in deltas.items():
        base, comp = baseline.get(metric), audited.get(metric)
        if not base or not comp:
            yield Problem(
                ctx.rel(folder),
                f"TEST01 did not pass and {metric} is missing from baseline/compliance accuracy",
                key=metric,
                expected=f"{metric} in baseline_accuracy.txt and compliance_accuracy.txt",
                found={"baseline": base, "compliance": comp},
            )
            continue
        delta = abs(1 - base / comp) * 100
        if delta > allowed:
            yield Problem(
                ctx.rel(folder / "compliance_accuracy.txt"),
                f"TEST01 {metric} differs by {delta:.3f} % from the baseline",
                key=metric,
                expected=f"<= {allowed} %",
                found=round(delta, 6),
            )


@rule(
    "CO010",
    "test06-failed",
    fix="Fix the LLM output (first token, EOS handling, output length) and re-run TEST06.",
)
def test06_failed(ctx: ResultContext) -> Iterator[Problem]:
    """TEST06 (LLM output consistency): ``verify_accuracy.txt`` lacks a required pass line.

    Fails: TEST06 without ``EOS check pass: True``. Passes: all three pass lines.
    """
    if "TEST06" not in tests_for(ctx):
        return
    verify = verify_of(ctx, "TEST06", "verify_accuracy.txt")
    if not verify.exists:
        return
    for choices in audit_config(ctx).get("test06_pass_lines", []):
        if not any(choice in verify.lines for choice in choices):
            yield Problem(
                where(ctx, verify.path), f"TEST06 check did not pass: {choices[0]}", expected=choices, found="absent"
            )


@rule(
    "CO011",
    "audit-verify-failed",
    fix="Re-run the audit (TEST07, TEST08 or TEST09) until its verify file says TEST PASS.",
)
def audit_verify_failed(ctx: ResultContext) -> Iterator[Problem]:
    """TEST07 (full accuracy in performance mode), TEST08 (NE consistency) or TEST09 (output length) failed.

    Fails: TEST07 ``verify_accuracy.txt`` saying TEST FAIL. Passes: TEST PASS.
    """
    names = audit_config(ctx).get("verify_files", {})
    for test in tests_for(ctx):
        if test not in names:
            continue
        verify = verify_of(ctx, test, names[test])
        if verify.exists and not verify.passed:
            yield Problem(
                where(ctx, verify.path),
                f"{test} verification did not pass",
                expected="TEST PASS",
                found=next((line for line in reversed(verify.lines) if line), ""),
            )
