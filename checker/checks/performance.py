"""PE: the performance run's LoadGen logs: validity, settings against the round's minimums, latency bounds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.context import ResultContext, as_bool
from checker.findings import Problem, Severity
from checker.metrics import primary_metric
from checker.numbers import BadNumber, as_float, as_int, check, quantity, shown
from checker.parsers.mllog import DetailLog, read_header_value
from checker.registry import rule

EARLY_STOPPING_SCENARIOS = ("SingleStream", "MultiStream", "Server")
VALIDITY_PARTS = (
    ("result_min_duration_met", "minimum duration not met"),
    ("result_min_queries_met", "minimum query count not met"),
    ("result_perf_constraints_met", "latency constraint not met"),
    ("early_stopping_met", "early stopping criterion not met"),
)


def _log(ctx: ResultContext) -> DetailLog | None:
    """The performance detail log when it has records; rules skip silently otherwise (PE001 reports it)."""
    log = ctx.perf_log
    return log if log.usable else None


def _where(ctx: ResultContext, log: DetailLog) -> str:
    return ctx.rel(log.path)


@rule(
    "PE001",
    "detail-log-unreadable",
    fix=("Copy mlperf_log_detail.txt again from the LoadGen output folder; it must be the untouched file."),
)
def detail_log_unreadable(ctx: ResultContext) -> Iterator[Problem]:
    """The performance detail log exists but holds no LoadGen record (empty, unreadable or not a LoadGen log).

    Fails: an empty ``mlperf_log_detail.txt``. Passes: LoadGen's log; a missing file is ST010's.
    """
    log = ctx.perf_log
    if log.read_kind == "missing":  # ReadFailure.missing (a str enum)
        return
    if log.read_error or not log.values:
        yield Problem(
            ctx.rel(log.path),
            f"detail log has no LoadGen records ({log.read_error or 'none decoded'})",
            expected=":::MLLOG records",
            found=log.read_error or "no records",
        )


@rule(
    "PE002",
    "detail-log-malformed-line",
    fix=("Restore the original LoadGen log; a line was truncated or edited. Every line must be ':::MLLOG {json}'."),
)
def detail_log_malformed_line(ctx: ResultContext) -> Iterator[Problem]:
    """A line of the performance detail log is not a valid ``:::MLLOG`` JSON record.

    The rest of the log is still read, so other rules still judge what could be decoded.

    Fails: a line cut to ``:::MLLOG {"key": "x"``. Passes: one complete record per line.
    """
    log = ctx.perf_log
    if log.bad_bytes_at is not None:
        yield Problem(
            ctx.rel(log.path),
            f"not valid UTF-8 (first bad byte at offset {log.bad_bytes_at})",
            expected="UTF-8 text",
            found=f"bad byte at {log.bad_bytes_at}",
        )
    for bad in log.malformed:
        yield Problem(
            ctx.rel(log.path),
            f"malformed line: {bad.message}",
            line=bad.line,
            expected=":::MLLOG {json}",
            found=bad.message,
        )


@rule(
    "PE003",
    "run-invalid",
    fix=(
        "Re-run the benchmark so that LoadGen reports VALID: raise min_duration/min_query_count, or lower "
        "target_qps/expected latency until the constraints hold."
    ),
)
def run_invalid(ctx: ResultContext) -> Iterator[Problem]:
    """LoadGen did not report the performance run as VALID; its own reasons are listed.

    Fails: ``result_validity: INVALID``. Passes: ``VALID``.
    """
    log = _log(ctx)
    if log is None:
        return
    validity = log.get("result_validity")
    if validity == "VALID":
        return
    reasons = [text for key, text in VALIDITY_PARTS if as_bool(log.get(key)) is False]
    if validity is None:
        message = "detail log has no result_validity record (the run did not finish?)"
    else:
        message = "LoadGen reports the run " + str(validity) + (f": {'; '.join(reasons)}" if reasons else "")
    yield Problem(
        _where(ctx, log),
        message,
        line=log.line_of("result_validity"),
        key="result_validity",
        expected="VALID",
        found=validity,
    )


@rule(
    "PE004",
    "loadgen-error",
    fix=("Fix what LoadGen reported (e.g. build LoadGen from a clean checkout, use one conf file) and re-run."),
)
def loadgen_error(ctx: ResultContext) -> Iterator[Problem]:
    """LoadGen logged an error during the performance run (``metadata.is_error``).

    Fails: a record with ``metadata.is_error: true``. Passes: warning records only.
    """
    log = _log(ctx)
    if log is None:
        return
    for record in log.errors:
        yield Problem(
            _where(ctx, log),
            f"LoadGen error {record.key}: {record.value}",
            line=record.line,
            key=record.key,
            expected="no LoadGen errors",
            found=record.value,
        )


@rule("PE005", "performance-mode", fix="Run the performance log with --mode PerformanceOnly (test_mode).")
def performance_mode(ctx: ResultContext) -> Iterator[Problem]:
    """The performance log was not produced in PerformanceOnly mode.

    Fails: ``effective_test_mode: AccuracyOnly`` in ``performance/``. Passes: ``PerformanceOnly``.
    """
    log = _log(ctx)
    if log is None:
        return
    mode = log.get("effective_test_mode")
    if mode != "PerformanceOnly":
        yield Problem(
            _where(ctx, log),
            f"performance run used test mode {mode}",
            line=log.line_of("effective_test_mode"),
            key="effective_test_mode",
            expected="PerformanceOnly",
            found=mode,
        )


@rule(
    "PE006",
    "rng-seeds",
    fix=("Use the round's official mlperf.conf seeds; remove any *_rng_seed override from user.conf and re-run."),
)
def rng_seeds(ctx: ResultContext) -> Iterator[Problem]:
    """A LoadGen random seed differs from the round's official seed (qsl, sample index, schedule).

    Fails: ``effective_qsl_rng_seed`` changed from the round's seed. Passes: the three seeds of the round.
    """
    log = _log(ctx)
    if log is None:
        return
    for name, expected in ctx.rules["seeds"].items():
        key = f"effective_{name}"
        found = as_int(log.get(key))
        if found != expected:
            yield Problem(
                _where(ctx, log),
                f"{name} is not the round's seed",
                line=log.line_of(key),
                key=key,
                expected=expected,
                found=log.get(key),
            )


@rule(
    "PE007",
    "min-duration",
    fix=("Set min_duration to at least the round's minimum (600000 ms) and re-run; do not lower it in user.conf."),
)
def min_duration(ctx: ResultContext) -> Iterator[Problem]:
    """The configured minimum run duration is below the round's minimum (600 s for most benchmarks).

    Fails: ``effective_min_duration_ms: 500`` in a round whose minimum is 1000. Passes: exactly 1000.
    """
    log = _log(ctx)
    if log is None or ctx.benchmark in ctx.rules.get("min_duration_exempt_models", []):
        return
    minimum = ctx.rules["min_duration_ms"]
    found = as_int(log.get("effective_min_duration_ms"))
    if found is None or found < minimum:
        yield Problem(
            _where(ctx, log),
            "configured minimum duration is below the round's minimum",
            line=log.line_of("effective_min_duration_ms"),
            key="effective_min_duration_ms",
            expected=f">= {minimum}",
            found=log.get("effective_min_duration_ms"),
        )


@rule(
    "PE008",
    "min-query-count",
    fix=("Keep min_query_count at the round's value for Offline (mlperf.conf) and make sure the run issues it."),
)
def min_query_count(ctx: ResultContext) -> Iterator[Problem]:
    """Offline: the configured and the measured query counts reach the benchmark's minimum.

    Scenarios with early stopping (SingleStream, MultiStream, Server) are bounded by LoadGen's
    early-stopping estimate instead, so only Offline has a fixed query-count minimum.

    Fails: Offline ``result_query_count: 0`` with a minimum of 1. Passes: the minimum reached (SingleStream is exempt).
    """
    log = _log(ctx)
    if log is None or ctx.log_scenario != "Offline":
        return
    minimum = ctx.model.get("min_query_count", {}).get("Offline")
    if minimum is None:
        return
    for key, what in (("effective_min_query_count", "configured"), ("result_query_count", "measured")):
        found = as_int(log.get(key))
        if found is None or found < minimum:
            yield Problem(
                _where(ctx, log),
                f"{what} query count is below the benchmark's minimum",
                line=log.line_of(key),
                key=key,
                expected=f">= {minimum}",
                found=log.get(key),
            )


@rule(
    "PE009",
    "performance-sample-count",
    fix=("Set performance_sample_count_override to at least the benchmark's value (or leave mlperf.conf's)."),
)
def performance_sample_count(ctx: ResultContext) -> Iterator[Problem]:
    """The performance sample count (samples loaded into memory) is below the benchmark's minimum.

    Fails: ``effective_performance_sample_count: 100`` where 450 are required. Passes: 450.
    """
    log = _log(ctx)
    minimum = ctx.model.get("performance_sample_count_min")
    if log is None or minimum is None:
        return
    key = "effective_performance_sample_count"
    found = as_int(log.get(key))
    if found is None or found < minimum:
        yield Problem(
            _where(ctx, log),
            "performance sample count is below the benchmark's minimum",
            line=log.line_of(key),
            key=key,
            expected=f">= {minimum}",
            found=log.get(key),
        )


@rule(
    "PE010",
    "offline-samples-per-query",
    fix=("Raise the Offline expected QPS (offline_expected_qps) so one query holds at least the minimum samples."),
)
def offline_samples_per_query(ctx: ResultContext) -> Iterator[Problem]:
    """Offline: the single query carries fewer samples than the benchmark requires.

    Fails: Offline ``effective_samples_per_query: 100`` where 450 are required. Passes: at least 450.
    """
    log = _log(ctx)
    minimum = ctx.model.get("offline_min_samples_per_query")
    if log is None or minimum is None or ctx.log_scenario != "Offline":
        return
    key = "effective_samples_per_query"
    found = as_int(log.get(key))
    if found is None or found < minimum:
        yield Problem(
            _where(ctx, log),
            "Offline samples per query is below the benchmark's minimum",
            line=log.line_of(key),
            key=key,
            expected=f">= {minimum}",
            found=log.get(key),
        )


def _limit_for(table: dict[str, Any], scenario: str | None) -> Any:
    """An Interactive result is judged by Interactive limits; it falls back to Server's when none exist."""
    if scenario is None:
        return None
    if scenario in table:
        return table[scenario]
    return table.get("Server") if scenario == "Interactive" else None


@rule(
    "PE011",
    "latency-bound",
    fix=("Set target_latency no higher than the benchmark's bound for the scenario (mlperf.conf) and re-run."),
)
def latency_bound(ctx: ResultContext) -> Iterator[Problem]:
    """The latency bound the run was held to exceeds the benchmark's bound for its scenario.

    Early-stopping scenarios (Server) are judged by the configured ``target_latency``, which LoadGen
    then enforces; Offline results with a bound are judged by their measured 99th percentile.

    Fails: Server ``effective_target_latency_ns`` 50 ms against a 10 ms bound. Passes: at most the bound.
    """
    log = _log(ctx)
    limit = _limit_for(ctx.model.get("latency_constraint_ns", {}), ctx.scenario)
    if log is None or limit is None:
        return
    if ctx.log_scenario in EARLY_STOPPING_SCENARIOS:
        key = "effective_target_latency_ns"
    else:
        key = "result_99.00_percentile_latency_ns"
    try:
        found = quantity(log.get(key), "duration")  # 0: no latency target (LLMs are bound by TTFT/TPOT)
    except BadNumber as bad:
        yield Problem(
            _where(ctx, log),
            f"{key} is not a usable latency: {bad.reason}",
            line=log.line_of(key),
            key=key,
            expected=f"<= {limit}",
            found=shown(log.get(key)),
        )
        return
    if found > limit:
        yield Problem(
            _where(ctx, log),
            f"latency bound {log.get(key)} ns exceeds the {ctx.scenario} limit",
            line=log.line_of(key),
            key=key,
            expected=f"<= {limit}",
            found=log.get(key),
        )


@rule(
    "PE012",
    "token-latency-bound",
    fix=(
        "Enable use_token_latencies and keep p99 TTFT and TPOT below the scenario's limits (Interactive has "
        "tighter limits than Server)."
    ),
)
def token_latency_bound(ctx: ResultContext) -> Iterator[Problem]:
    """LLM Server/Interactive: p99 time-to-first-token and time-per-output-token stay below the limits.

    The limits are the ones of the result's own scenario folder: an Interactive result is judged
    against the Interactive limits, not the looser Server ones that the newest official checker uses.

    Fails: a Server run without ``requested_use_token_latencies``, or p99 TTFT above the limit. Passes: token latencies
    logged and both p99 values below the limits.
    """
    log = _log(ctx)
    limits = _limit_for(ctx.model.get("llm_p99_limits_ns", {}), ctx.scenario)
    if log is None or limits is None or ctx.scenario == "Offline":
        return
    where = _where(ctx, log)
    if as_bool(log.get("requested_use_token_latencies")) is not True:
        yield Problem(
            where,
            "token latencies were not measured",
            line=log.line_of("requested_use_token_latencies"),
            key="requested_use_token_latencies",
            expected=True,
            found=log.get("requested_use_token_latencies"),
        )
        return
    for key, name in (
        ("result_first_token_99.00_percentile_latency_ns", "ttft"),
        ("result_time_per_output_token_99.00_percentile_ns", "tpot"),
    ):
        reason = check(log.get(key), "latency")
        if reason is not None or quantity(log.get(key), "latency") >= limits[name]:
            yield Problem(
                where,
                f"p99 {name.upper()} is not a usable latency: {reason}"
                if reason
                else f"p99 {name.upper()} is not below the {ctx.scenario} limit",
                line=log.line_of(key),
                key=key,
                expected=f"< {limits[name]}",
                found=shown(log.get(key)),
            )


@rule(
    "PE013",
    "early-stopping",
    fix="Run longer (more queries) so that LoadGen's early-stopping estimate is met.",
)
def early_stopping(ctx: ResultContext) -> Iterator[Problem]:
    """SingleStream, MultiStream and Server: LoadGen's early-stopping criterion is met.

    Fails: Server ``early_stopping_met: false``. Passes: ``true``; Offline is not judged.
    """
    log = _log(ctx)
    if log is None or ctx.log_scenario not in EARLY_STOPPING_SCENARIOS:
        return
    met = as_bool(log.get("early_stopping_met"))
    if met is not True:
        yield Problem(
            _where(ctx, log),
            "early stopping criterion not met",
            line=log.line_of("early_stopping_met"),
            key="early_stopping_met",
            expected=True,
            found=log.get("early_stopping_met"),
        )


@rule(
    "PE014",
    "equal-issue-mode",
    fix="Set sample_concatenate_permutation = 1 for this benchmark (mlperf.conf) and re-run.",
)
def equal_issue_mode(ctx: ResultContext) -> Iterator[Problem]:
    """Benchmarks with variable-length samples must run in equal-issue mode (sample_concatenate_permutation).

    The log's ``effective_sample_concatenate_permutation`` decides. LoadGen builds older than that
    record (some v4.1 runs) are judged by the mlperf.conf/user.conf they ran with, as the v4.1
    checker did; a log that says false fails whatever the conf files say.

    Fails: ``effective_sample_concatenate_permutation: false`` for a listed benchmark. Passes: ``true``.
    """
    log = _log(ctx)
    rules = ctx.rules["equal_issue"]
    if log is None or ctx.benchmark not in rules["models"] or ctx.unit.division not in rules["divisions"]:
        return
    key = "effective_sample_concatenate_permutation"
    logged = as_bool(log.get(key))
    if logged is True:
        return
    if logged is None and not log.has(key) and _conf_enables_equal_issue(ctx):
        return
    yield Problem(
        _where(ctx, log),
        "equal-issue mode was off",
        line=log.line_of(key),
        key=key,
        expected=True,
        found=log.get(key, "not logged and not set in mlperf.conf/user.conf"),
    )


def _conf_enables_equal_issue(ctx: ResultContext) -> bool:
    model = ctx.rules.get("loadgen_model_names", {}).get(ctx.benchmark or "", ctx.benchmark or "")
    scenario = ctx.log_scenario or ""
    value = None
    for conf in (ctx.mlperf_conf, ctx.user_conf):  # user.conf overrides mlperf.conf
        setting = conf.lookup("sample_concatenate_permutation", model, scenario)
        if setting is not None:
            value = setting.value
    return value is not None and value.strip() in ("1", "true", "True")


@rule(
    "PE015",
    "loadgen-build-mismatch",
    fix=("Re-run the mismatched run with the same LoadGen build as the performance run."),
)
def loadgen_build_mismatch(ctx: ResultContext) -> Iterator[Problem]:
    """The performance, accuracy and audit logs of one result come from different LoadGen builds.

    LoadGen logs its version as ``<release> @ <commit>``. Logs from different releases (4.0 and 4.1)
    are an error: the runs were not made under the same rules. Logs from different commits of the
    same release are a warning: usually a rebuild, but the audit no longer proves the very build
    that made the result. Only the ``loadgen_version`` record at the top of each log is read.

    Fails: an accuracy log from LoadGen 5.1 beside a 6.0 performance log (a warning for another commit of the same
    release). Passes: one build for every log.
    """
    log = _log(ctx)
    build = log.get("loadgen_version") if log else None
    if not isinstance(build, str):
        return
    others = {"accuracy": ctx.accuracy_dir / "mlperf_log_detail.txt", **ctx.audit_detail_logs()}
    for name, path in others.items():
        other, line = read_header_value(path, "loadgen_version")
        if other is None or other == build:
            continue
        same_release = isinstance(other, str) and _release(other) == _release(build)
        yield Problem(
            ctx.rel(path),
            f"{name} log was made by another LoadGen "
            + ("commit of the same release" if same_release else "release"),
            line=line,
            key="loadgen_version",
            expected=build,
            found=other,
            severity=Severity.WARNING if same_release else None,
        )


def _release(version: str) -> str:
    """``4.1`` of ``4.1 @ 2ed9555be0``."""
    return version.split("@", 1)[0].strip()


@rule(
    "PE016",
    "scenario-mismatch",
    fix=("Move the result into the folder of the scenario LoadGen ran, or re-run with the folder's scenario."),
)
def scenario_mismatch(ctx: ResultContext) -> Iterator[Problem]:
    """The scenario LoadGen ran differs from the scenario folder, beyond what inferred results allow.

    Interactive results are LoadGen Server runs. Edge systems may infer MultiStream from
    SingleStream and Offline from SingleStream or MultiStream; nothing else may differ.

    Fails: an Offline folder holding a Server run. Passes: an edge Offline result inferred from SingleStream.
    """
    log = _log(ctx)
    if log is None or ctx.scenario is None:
        return
    ran = ctx.log_scenario
    if ran == ctx.scenario:
        return
    inferred = ctx.rules["inferred_results"]
    sources = inferred["pairs"].get(ctx.scenario, [])
    system_type = str(ctx.system.get("system_type", ""))
    edge_only = ctx.scenario != "Interactive"
    allowed = ran in sources and (not edge_only or any(t in system_type for t in inferred["system_types"]))
    if not allowed:
        yield Problem(
            _where(ctx, log),
            f"folder says {ctx.scenario} but LoadGen ran {ran}",
            line=log.line_of("effective_scenario"),
            key="effective_scenario",
            expected=[ctx.scenario, *sources],
            found=ran,
        )


_SUMMARY_METRIC = {"Offline": "Samples per second", "Server": "Completed samples per second"}


@rule(
    "PE017",
    "summary-disagrees",
    fix=("Copy mlperf_log_summary.txt and mlperf_log_detail.txt from the same LoadGen run."),
)
def summary_disagrees(ctx: ResultContext) -> Iterator[Problem]:
    """The summary log is unreadable or disagrees with the detail log (validity, scenario or headline metric).

    Fails: a summary that says INVALID, or another samples per second, beside a VALID detail log. Passes: both logs of
    one run.
    """
    log, summary = _log(ctx), ctx.perf_summary
    where = ctx.rel(summary.path)
    if summary.read_kind not in (None, "missing") or summary.bad_bytes_at is not None:
        problem = summary.read_error or f"not valid UTF-8 (first bad byte at offset {summary.bad_bytes_at})"
        yield Problem(where, f"summary log is unreadable: {problem}", expected="LoadGen's summary text", found=problem)
        return
    if log is None or summary.read_error:
        return
    checks = [("Result is", log.get("result_validity")), ("Scenario", log.get("effective_scenario"))]
    for name, detail in checks:
        value = summary.get(name)
        if value is not None and detail is not None and value != detail:
            yield Problem(
                where,
                f"summary '{name}' differs from the detail log",
                line=summary.lines.get(name),
                key=name,
                expected=detail,
                found=value,
            )
    name = _SUMMARY_METRIC.get(str(log.get("effective_scenario")))
    detail_value = as_float(log.get(ctx.rules["result_keys"].get(str(log.get("effective_scenario")), "")))
    summary_value = summary.number(name) if name else None
    if (
        summary_value is not None
        and detail_value is not None
        and not _close(summary.get(name), summary_value, detail_value)
    ):
        yield Problem(
            where,
            f"summary '{name}' differs from the detail log",
            line=summary.lines.get(name),
            key=name,
            expected=detail_value,
            found=summary_value,
        )


def _close(summary_text: str | None, printed: float, exact: float) -> bool:
    """Summary logs round the metric; agree when the difference is within the printed precision."""
    decimals = len(summary_text.split(".", 1)[1]) if summary_text and "." in summary_text else 0
    tolerance = 0.5 * 10 ** (-decimals) if "e" not in (summary_text or "").lower() else 0.0
    # The detail log itself keeps about six significant digits for some metrics.
    return abs(printed - exact) <= tolerance + 5e-6 * max(abs(printed), abs(exact))


@rule(
    "PE018",
    "network-sut-name",
    fix="Name the SUT so that it contains 'Network SUT' for network-division runs.",
)
def network_sut_name(ctx: ResultContext) -> Iterator[Problem]:
    """Network division: the LoadGen SUT name marks the run as a network SUT.

    Fails: a network-division run whose ``sut_name`` lacks ``Network SUT``. Passes: ``demo Network SUT``.
    """
    log = _log(ctx)
    if log is None or ctx.unit.division != "network":
        return
    needle = ctx.rules["network"]["sut_name_must_contain"]
    name = log.get("sut_name")
    if not isinstance(name, str) or needle not in name:
        yield Problem(
            _where(ctx, log),
            f"SUT name lacks '{needle}'",
            line=log.line_of("sut_name"),
            key="sut_name",
            expected=f"contains '{needle}'",
            found=name,
        )


@rule(
    "PE019",
    "primary-metric-missing",
    fix="Copy the complete detail log of the performance run; the record holding the result must be present.",
)
def primary_metric_missing(ctx: ResultContext) -> Iterator[Problem]:
    """The result's primary metric cannot be computed from the performance log (missing or not a positive number).

    Without it the result has no number in the results table, so it cannot count.

    Fails: an Offline log without ``result_samples_per_second``. Passes: a positive metric.
    """
    log = _log(ctx)
    if log is None or ctx.benchmark is None or ctx.scenario is None or ctx.log_scenario is None:
        return
    metric = primary_metric(ctx)
    reason = "no usable value" if metric is None else check(metric.value, "metric")
    if metric is not None and reason is None:
        return
    key = ctx.rules.result_key(ctx.benchmark, ctx.log_scenario)
    raw = log.get(key) if key else None
    if raw is not None and check(raw, "metric") is not None:
        reason = check(raw, "metric")  # the logged value itself is unusable: say why (overflow, NaN, negative)
    elif metric is None and raw is not None:
        reason = "cannot be derived"
    yield Problem(
        _where(ctx, log),
        f"the {ctx.scenario} metric cannot be computed from this log ({reason})",
        line=log.line_of(key or ""),
        key=key,
        expected="a positive number",
        found=shown(raw if raw is not None else (None if metric is None else metric.value)),
    )


def _criteria(log_scenario: str | None) -> list[tuple[str, str, bool]]:
    """LoadGen's validity criteria as (key, what fails, must be logged); the latency constraint is Server-only."""
    server = log_scenario == "Server"
    return [(key, text, server or key != "result_perf_constraints_met") for key, text in VALIDITY_PARTS]


@rule(
    "PE020",
    "loadgen-criteria",
    fix=(
        "Submit the detail log exactly as LoadGen wrote it; if a criterion is not met, re-run until LoadGen "
        "reports every criterion met and the run VALID."
    ),
)
def loadgen_criteria(ctx: ResultContext) -> Iterator[Problem]:
    """LoadGen's own per-criterion verdicts are logged, met, and agree with its ``result_validity``.

    LoadGen sets VALID only when minimum duration, minimum queries, early stopping and (Server) the latency
    constraint are all met. A VALID run with a criterion false or missing, or an INVALID run whose criteria
    are all met, cannot come from an untouched log. An INVALID run with a failed criterion is PE003's.

    Fails: a VALID run with ``result_min_duration_met: false``. Passes: every criterion met; an INVALID run with a
    failed criterion is PE003's.
    """
    log = _log(ctx)
    validity = log.get("result_validity") if log else None
    if log is None or validity is None:
        return  # PE003 reports a run without a verdict
    where = _where(ctx, log)
    all_met = True
    for key, text, required in _criteria(ctx.log_scenario):
        if not log.has(key) and not required:
            continue
        met = as_bool(log.get(key))
        all_met = all_met and met is True
        if met is True or (met is False and validity != "VALID"):
            continue
        if met is None:
            message = f"LoadGen criterion {key} is " + ("not logged" if not log.has(key) else "not a boolean")
        else:
            message = f"{text}, yet result_validity is {validity}"
        yield Problem(where, message, line=log.line_of(key), key=key, expected=True, found=log.get(key))
    if all_met and validity == "INVALID":
        yield Problem(
            where,
            f"every LoadGen criterion is met, yet result_validity is {validity}",
            line=log.line_of("result_validity"),
            key="result_validity",
            expected="VALID",
            found=validity,
        )
