"""CO: the compliance audits (TEST01, TEST04, TEST05, TEST06-09): files, settings and recomputed verdicts.

Verdicts are recomputed from the logs wherever they are present; the submitter's ``verify_*.txt``
is only trusted where the logs cannot decide (truncated accuracy logs), and that is said.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from checker.checks.accuracy import ENFORCED_DIVISIONS
from checker.context import ResultContext, as_bool, as_float, as_int
from checker.findings import Problem, Severity
from checker.parsers.accuracy_log import AccuracyLog, file_version, read_accuracy_log
from checker.parsers.mllog import DetailLog
from checker.parsers.text import DEFAULT_LIMIT, limit_for, read_text
from checker.registry import REGISTRY, rule
from checker.rounds import Round

PERFORMANCE_AUDITS = ("TEST01", "TEST04", "TEST05")
# PE015 already compares every audit log's LoadGen build with the performance run's.
_NOT_RERUN = frozenset({"PE015"})
_NUMBER_LINE = re.compile(r"^\s*([A-Za-z_][\w ]*?)\s*=\s*(.+?)\s*$")
LATENCY_SCENARIOS = ("SingleStream", "MultiStream")


class AuditContext(ResultContext):
    """The result seen through one audit run: ``perf_dir`` is ``TESTxx/performance/run_1``.

    The performance rules (PE) run on it unchanged. TEST05 runs with the round's alternate seeds,
    so its context carries rules whose ``seeds`` are ``test05_seeds``.
    """

    def __init__(self, parent: ResultContext, test: str) -> None:
        rules = parent.rules
        if test == "TEST05" and rules.get("test05_seeds"):
            rules = Round(rules.suite, rules.version, {**rules.data, "seeds": rules["test05_seeds"]})
        super().__init__(rules, parent.unit, parent.options)
        self.test = test

    @property
    def perf_dir(self) -> Path:
        return self.unit.compliance_dir / self.test / "performance" / "run_1"


def audit(ctx: ResultContext, test: str) -> AuditContext:
    """One audit context per result and test, so its detail log is parsed once for all CO rules."""
    cache: dict[str, AuditContext] = ctx.__dict__.setdefault("_audit_contexts", {})
    if test not in cache:
        cache[test] = AuditContext(ctx, test)
    return cache[test]


def tests_for(ctx: ResultContext) -> list[str]:
    """Audits the round names for the benchmark; closed and network only."""
    if ctx.unit.division not in ENFORCED_DIVISIONS or ctx.benchmark is None:
        return []
    return list(ctx.model.get("compliance_tests", []))


def _config(ctx: ResultContext) -> dict[str, Any]:
    return ctx.rules.get("compliance", {})


@dataclass
class VerifyFile:
    """A ``verify_*.txt`` written by the compliance scripts: its pass line and its ``name = value`` lines."""

    path: Path
    exists: bool = False
    passed: bool = False
    lines: list[str] = field(default_factory=list)
    numbers: dict[str, str] = field(default_factory=dict)

    @property
    def claim(self) -> str:
        return "missing" if not self.exists else ("TEST PASS" if self.passed else "not TEST PASS")


def read_verify(path: Path, pass_line: str = "TEST PASS", limit: int = DEFAULT_LIMIT) -> VerifyFile:
    """A verify file, parsed once per file version (several CO rules read it)."""
    return _read_verify(path, pass_line, file_version(path), limit)


@lru_cache(maxsize=128)
def _read_verify(path: Path, pass_line: str, version: tuple[int, int] | None, limit: int) -> VerifyFile:
    text = read_text(path, limit)
    verify = VerifyFile(path, exists=text.kind != "missing")  # present but unusable: judged, never passed
    if not text.ok:
        return verify
    verify.lines = [line.strip() for line in text.text.splitlines()]
    verify.passed = any(pass_line in line for line in verify.lines)
    for line in verify.lines:
        match = _NUMBER_LINE.match(line)
        if match:
            verify.numbers.setdefault(match.group(1).strip().lower(), match.group(2))
    return verify


def _verify(ctx: ResultContext, test: str, name: str) -> VerifyFile:
    pass_line = _config(ctx).get("pass_line", "TEST PASS")
    return read_verify(ctx.unit.compliance_dir / test / name, pass_line, limit_for(ctx.rules, "verify_txt"))


# --- files -----------------------------------------------------------------------------------------------
@rule(
    "CO001",
    "compliance-test-missing",
    fix="Run the audit (compliance/nvidia/TESTxx/run_verification.py) and copy its output folder into compliance/.",
)
def compliance_test_missing(ctx: ResultContext) -> Iterator[Problem]:
    """Closed and network: an audit the round requires for this benchmark has no ``TESTxx`` folder.

    Fails: a closed result without its ``TEST04/`` folder. Passes: every required audit; open needs none.
    """
    for test in tests_for(ctx):
        folder = ctx.unit.compliance_dir / test
        if not folder.is_dir():
            yield Problem(ctx.rel(folder), f"{test} audit is missing", expected=f"{test}/", found="missing")


@rule(
    "CO002",
    "compliance-file-missing",
    fix="Copy the complete output of run_verification.py (verify files and the audit's LoadGen logs).",
)
def compliance_file_missing(ctx: ResultContext) -> Iterator[Problem]:
    """An audit folder lacks a file the audit must leave (verify file, LoadGen logs, TEST01 accuracy files).

    TEST01 must also hold ``baseline_accuracy.txt`` and ``compliance_accuracy.txt`` when its
    verify file does not say TEST PASS. With ``--published``, a missing accuracy log
    (``*.json``) is a notice: published repositories drop large logs.

    Fails: ``TEST01/`` without ``verify_performance.txt``. Passes: every file the audit leaves.
    """
    required_files = _config(ctx).get("required_files", {})
    for test in tests_for(ctx):
        folder = ctx.unit.compliance_dir / test
        if not folder.is_dir():
            continue
        names = list(required_files.get(test, []))
        if test == "TEST01" and not _verify(ctx, test, "verify_accuracy.txt").passed:
            names += [f"accuracy/{n}" for n in _config(ctx).get("test01_fallback_files", [])]
        for name in names:
            path = folder / name
            if path.is_file():
                continue
            if ctx.options.published and name.endswith(".json"):
                yield Problem(
                    ctx.rel(path),
                    f"{test} {name} is absent; published repositories may drop large logs, so it is not judged",
                    expected=name,
                    found="missing (published tree)",
                    severity=Severity.NOTICE,
                )
                continue
            yield Problem(ctx.rel(path), f"{test} file {name} is missing", expected=name, found="missing")


# --- the audit's own performance run ---------------------------------------------------------------------
@rule(
    "CO003",
    "audit-performance-rules",
    scope="audit-run",
    reruns="PE",
    skip=_NOT_RERUN,
    fix="Re-run the audit with the same settings as the submitted performance run (seeds, duration, sample count).",
)
def audit_performance_rules(ctx: ResultContext) -> Iterator[tuple[str, AuditContext]]:
    """An audit's own performance log (TEST01, TEST04, TEST05) fails a performance rule (PE).

    This rule names the audit runs of a result; the engine runs the PE rules unchanged on each (a context
    whose performance run is the audit's ``TESTxx/performance/run_1``; TEST05 is held to the round's alternate
    seeds), under the same selection and crash policy as every rule. Each finding names the audit and the PE
    rule it broke.

    Fails: a TEST04 log with another ``effective_qsl_rng_seed`` (PE006). Passes: audit logs that pass the PE rules.
    """
    for test in tests_for(ctx):
        if test not in PERFORMANCE_AUDITS:
            continue
        view = audit(ctx, test)
        if view.perf_log.read_kind == "missing":
            continue
        yield test, view


def _loadgen_name(ctx: ResultContext) -> str:
    benchmark = ctx.benchmark or ""
    return ctx.rules.get("loadgen_model_names", {}).get(benchmark, benchmark)


def _expected_settings(ctx: ResultContext, test: str) -> dict[str, Any]:
    """What the audit.config of ``test`` makes LoadGen log, from the round's ``compliance.audit_config``."""
    config = _config(ctx).get("audit_config", {})
    if test == "TEST01":
        expected: dict[str, Any] = {"effective_accuracy_log_rng_seed": config.get("accuracy_log_rng_seed")}
        target = config.get("TEST01_accuracy_log_sampling_target", {}).get(_loadgen_name(ctx))
        if target is not None:
            expected["effective_accuracy_log_sampling_target"] = target
        return {k: v for k, v in expected.items() if v is not None}
    if test == "TEST04":
        same = config.get("TEST04", {})
        return {f"effective_{k}": v for k, v in same.items() if k.startswith("performance_issue_")}
    return {}


def _same(expected: Any, found: Any) -> bool:
    """LoadGen logs the issue flags as booleans and the audit.config writes 0/1."""
    if isinstance(found, bool) or as_bool(found) is not None:
        flag = as_bool(found)
        return flag is not None and int(flag) == as_int(expected)
    return as_int(found) == as_int(expected)


@rule(
    "CO004",
    "audit-config-not-applied",
    fix="Run the audit with the official audit.config in LoadGen's working directory, then copy the new logs.",
)
def audit_config_not_applied(ctx: ResultContext) -> Iterator[Problem]:
    """The audit log does not show its audit.config settings: the audit did not really run as an audit.

    TEST01 must log the accuracy-log sampling of the round's audit.config
    (``effective_accuracy_log_rng_seed``, ``effective_accuracy_log_sampling_target``); TEST04 must
    log that one sample was issued over and over (``effective_performance_issue_same`` and its index).

    Fails: TEST04 with ``effective_performance_issue_same: false``. Passes: the audit.config settings logged.
    """
    for test in tests_for(ctx):
        expected = _expected_settings(ctx, test) if test in PERFORMANCE_AUDITS else {}
        if not expected:
            continue
        log = audit(ctx, test).perf_log
        if not log.usable:
            continue
        for key, value in expected.items():
            found = log.get(key)
            if not _same(value, found):
                yield Problem(
                    ctx.rel(log.path),
                    f"{test} audit log does not show its audit.config setting {key}",
                    line=log.line_of(key),
                    key=key,
                    expected=value,
                    found=found,
                )


# --- verdicts ---------------------------------------------------------------------------------------------
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
        verify = _verify(ctx, test, "verify_performance.txt")
        if verify.exists and not verify.passed:
            yield Problem(
                ctx.rel(verify.path),
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
    tolerance = _config(ctx).get("performance_tolerance", {}).get(test, {})
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
        if code.startswith(prefix) and code not in _NOT_RERUN and candidate.severity is Severity.ERROR:
            if any(p.severity in (None, Severity.ERROR) for p in candidate.run(ctx)):
                codes.append(code)
    return codes


def _performance_verdict(ctx: ResultContext, test: str) -> Iterator[Problem]:
    if test not in tests_for(ctx):
        return
    recomputed = recompute_performance(ctx, test)
    if recomputed is None:
        return
    verify = _verify(ctx, test, "verify_performance.txt")
    claimed = verify.passed if verify.exists else None
    if recomputed.passed == claimed:
        return
    ours = "TEST PASS" if recomputed.passed else "TEST FAIL"
    rejected = [] if recomputed.passed else reference_rejected(ctx, "PE")
    note = f" (the performance run itself fails {', '.join(rejected)})" if rejected else ""
    yield Problem(
        ctx.rel(verify.path) if verify.exists else ctx.rel(audit(ctx, test).perf_log.path),
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


def _audit_accuracy_log(ctx: ResultContext) -> AccuracyLog:
    """The audit's sampled responses: the untruncated performance-mode log where kept, else the TEST01 copy."""
    folder = ctx.unit.compliance_dir / "TEST01"
    full = read_accuracy_log(folder / "performance" / "run_1" / "mlperf_log_accuracy.json")
    return full if full.exists else read_accuracy_log(folder / "accuracy" / "mlperf_log_accuracy.json")


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
    audited, reference = _audit_accuracy_log(ctx), read_accuracy_log(ctx.accuracy_dir / "mlperf_log_accuracy.json")
    verify = _verify(ctx, "TEST01", "verify_accuracy.txt")
    if not audited.exists or not reference.exists:
        return
    shared = [i for i in audited.entries if i in reference.entries]
    differ = [i for i in shared if audited.entries[i] != reference.entries[i]]
    claimed_mismatch = verify.numbers.get("num_perf_log_data_mismatch")
    where = ctx.rel(verify.path) if verify.exists else ctx.rel(audited.path)
    if differ:
        if verify.passed or claimed_mismatch == "0":
            rejected = reference_rejected(ctx, "AC")
            note = f" (the accuracy run itself fails {', '.join(rejected)})" if rejected else ""
            yield Problem(
                where,
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
                where,
                f"all {len(shared)} TEST01 responses equal the accuracy-mode ones, but verify_accuracy.txt does not "
                "say TEST PASS",
                expected="TEST PASS",
                found=verify.claim,
                severity=Severity.WARNING,
            )
        return
    yield Problem(
        where,
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
    verify = _verify(ctx, "TEST01", "verify_accuracy.txt")
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
    verify = _verify(ctx, "TEST06", "verify_accuracy.txt")
    if not verify.exists:
        return
    for choices in _config(ctx).get("test06_pass_lines", []):
        if not any(choice in verify.lines for choice in choices):
            yield Problem(
                ctx.rel(verify.path), f"TEST06 check did not pass: {choices[0]}", expected=choices, found="absent"
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
    names = _config(ctx).get("verify_files", {})
    for test in tests_for(ctx):
        if test not in names:
            continue
        verify = _verify(ctx, test, names[test])
        if verify.exists and not verify.passed:
            yield Problem(
                ctx.rel(verify.path),
                f"{test} verification did not pass",
                expected="TEST PASS",
                found=next((line for line in reversed(verify.lines) if line), ""),
            )
