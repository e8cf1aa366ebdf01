"""PE: the performance run's LoadGen logs: readable, valid, free of LoadGen errors, in performance mode, with the
round's seeds, and LoadGen's own per-criterion verdicts agreeing with its result.

The minimums and bounds are in :mod:`checker.checks.performance_limits`, the provenance and metric checks in
:mod:`checker.checks.performance_provenance`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.context import ResultContext, as_bool
from checker.findings import Problem
from checker.numbers import as_int
from checker.parsers.mllog import DetailLog
from checker.registry import rule

EARLY_STOPPING_SCENARIOS = ("SingleStream", "MultiStream", "Server")
VALIDITY_PARTS = (
    ("result_min_duration_met", "minimum duration not met"),
    ("result_min_queries_met", "minimum query count not met"),
    ("result_perf_constraints_met", "latency constraint not met"),
    ("early_stopping_met", "early stopping criterion not met"),
)


def usable_perf_log(ctx: ResultContext) -> DetailLog | None:
    """The performance detail log when it has records; rules skip silently otherwise (PE001 reports it)."""
    log = ctx.perf_log
    return log if log.usable else None


def at_key(ctx: ResultContext, log: DetailLog, key: str, message: str, *, expected: Any, found: Any) -> Problem:
    """A problem with one record of the performance log: its file, line and key."""
    return Problem(log_path(ctx, log), message, line=log.line_of(key), key=key, expected=expected, found=found)


def log_path(ctx: ResultContext, log: DetailLog) -> str:
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
    log = usable_perf_log(ctx)
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
    yield at_key(ctx, log, "result_validity", message, expected="VALID", found=validity)


@rule(
    "PE004",
    "loadgen-error",
    fix=("Fix what LoadGen reported (e.g. build LoadGen from a clean checkout, use one conf file) and re-run."),
)
def loadgen_error(ctx: ResultContext) -> Iterator[Problem]:
    """LoadGen logged an error during the performance run (``metadata.is_error``).

    Fails: a record with ``metadata.is_error: true``. Passes: warning records only.
    """
    log = usable_perf_log(ctx)
    if log is None:
        return
    for record in log.errors:
        yield Problem(
            log_path(ctx, log),
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
    log = usable_perf_log(ctx)
    if log is None:
        return
    mode = log.get("effective_test_mode")
    if mode != "PerformanceOnly":
        yield at_key(
            ctx,
            log,
            "effective_test_mode",
            f"performance run used test mode {mode}",
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
    log = usable_perf_log(ctx)
    if log is None:
        return
    for name, expected in ctx.rules["seeds"].items():
        key = f"effective_{name}"
        found = as_int(log.get(key))
        if found != expected:
            yield at_key(ctx, log, key, f"{name} is not the round's seed", expected=expected, found=log.get(key))


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
    log = usable_perf_log(ctx)
    validity = log.get("result_validity") if log else None
    if log is None or validity is None:
        return  # PE003 reports a run without a verdict
    where = log_path(ctx, log)
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
