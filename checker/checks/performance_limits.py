"""PE: the performance run against the round's minimums and bounds: duration, queries, samples, latency, tokens,
early stopping and equal issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.checks.performance import EARLY_STOPPING_SCENARIOS, at_key, log_path, usable_perf_log
from checker.context import ResultContext, as_bool
from checker.findings import Problem
from checker.numbers import BadNumber, as_int, check, quantity, shown
from checker.parsers.mllog import DetailLog
from checker.registry import rule


@rule(
    "PE007",
    "min-duration",
    fix=("Set min_duration to at least the round's minimum (600000 ms) and re-run; do not lower it in user.conf."),
)
def min_duration(ctx: ResultContext) -> Iterator[Problem]:
    """The configured minimum run duration is below the round's minimum (600 s for most benchmarks).

    Fails: ``effective_min_duration_ms: 500`` in a round whose minimum is 1000. Passes: exactly 1000.
    """
    log = usable_perf_log(ctx)
    if log is None or ctx.benchmark in ctx.rules.get("min_duration_exempt_models", []):
        return
    minimum = ctx.rules["min_duration_ms"]
    found = as_int(log.get("effective_min_duration_ms"))
    if found is None or found < minimum:
        yield at_key(
            ctx,
            log,
            "effective_min_duration_ms",
            "configured minimum duration is below the round's minimum",
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
    log = usable_perf_log(ctx)
    if log is None or ctx.log_scenario != "Offline":
        return
    minimum = ctx.model.get("min_query_count", {}).get("Offline")
    if minimum is None:
        return
    for key, what in (("effective_min_query_count", "configured"), ("result_query_count", "measured")):
        yield from _below_minimum(ctx, log, key, minimum, f"{what} query count")


@rule(
    "PE009",
    "performance-sample-count",
    fix=("Set performance_sample_count_override to at least the benchmark's value (or leave mlperf.conf's)."),
)
def performance_sample_count(ctx: ResultContext) -> Iterator[Problem]:
    """The performance sample count (samples loaded into memory) is below the benchmark's minimum.

    Fails: ``effective_performance_sample_count: 100`` where 450 are required. Passes: 450.
    """
    log = usable_perf_log(ctx)
    minimum = ctx.model.get("performance_sample_count_min")
    if log is None or minimum is None:
        return
    yield from _below_minimum(ctx, log, "effective_performance_sample_count", minimum, "performance sample count")


@rule(
    "PE010",
    "offline-samples-per-query",
    fix=("Raise the Offline expected QPS (offline_expected_qps) so one query holds at least the minimum samples."),
)
def offline_samples_per_query(ctx: ResultContext) -> Iterator[Problem]:
    """Offline: the single query carries fewer samples than the benchmark requires.

    Fails: Offline ``effective_samples_per_query: 100`` where 450 are required. Passes: at least 450.
    """
    log = usable_perf_log(ctx)
    minimum = ctx.model.get("offline_min_samples_per_query")
    if log is None or minimum is None or ctx.log_scenario != "Offline":
        return
    yield from _below_minimum(ctx, log, "effective_samples_per_query", minimum, "Offline samples per query")


def _below_minimum(ctx: ResultContext, log: DetailLog, key: str, minimum: int, what: str) -> Iterator[Problem]:
    """The logged count under ``key`` is missing or below ``minimum``."""
    found = as_int(log.get(key))
    if found is None or found < minimum:
        message = f"{what} is below the benchmark's minimum"
        yield at_key(ctx, log, key, message, expected=f">= {minimum}", found=log.get(key))


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
    log = usable_perf_log(ctx)
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
        yield at_key(
            ctx,
            log,
            key,
            f"{key} is not a usable latency: {bad.reason}",
            expected=f"<= {limit}",
            found=shown(log.get(key)),
        )
        return
    if found > limit:
        yield at_key(
            ctx,
            log,
            key,
            f"latency bound {log.get(key)} ns exceeds the {ctx.scenario} limit",
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
    log = usable_perf_log(ctx)
    limits = _limit_for(ctx.model.get("llm_p99_limits_ns", {}), ctx.scenario)
    if log is None or limits is None or ctx.scenario == "Offline":
        return
    where = log_path(ctx, log)
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
    log = usable_perf_log(ctx)
    if log is None or ctx.log_scenario not in EARLY_STOPPING_SCENARIOS:
        return
    met = as_bool(log.get("early_stopping_met"))
    if met is not True:
        yield at_key(
            ctx,
            log,
            "early_stopping_met",
            "early stopping criterion not met",
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
    log = usable_perf_log(ctx)
    rules = ctx.rules["equal_issue"]
    if log is None or ctx.benchmark not in rules["models"] or ctx.unit.division not in rules["divisions"]:
        return
    key = "effective_sample_concatenate_permutation"
    logged = as_bool(log.get(key))
    if logged is True:
        return
    if logged is None and not log.has(key) and _conf_enables_equal_issue(ctx):
        return
    yield at_key(
        ctx,
        log,
        key,
        "equal-issue mode was off",
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
