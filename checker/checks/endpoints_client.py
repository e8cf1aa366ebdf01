"""EC: inference results measured with the MLPerf Endpoints client (v6.1 on), judged as the official v6.1 checker
judges them: the benchmark must allow Endpoints results (its ``endpoints_model_check``), the client's files must
be there, the run must be error-free, seeded with the round's seeds, long enough, within the LLM latency limits,
and accurate.
"""

from __future__ import annotations

from collections.abc import Iterator

from checker.context_endpoints import EndpointsResultContext
from checker.findings import Problem, Severity
from checker.registry import rule

SCOPE = "endpoints-result"


def _where(ctx: EndpointsResultContext, kind: str) -> str:
    return ctx.rel(ctx.unit.result_dir / ctx.files[kind])


@rule(
    "EC001",
    "endpoints-model-not-allowed",
    scope=SCOPE,
    fix="Measure this benchmark with LoadGen; the round accepts Endpoints-client results only for the benchmarks "
    "its rules list under endpoints.submission_allowed.",
)
def endpoints_model_not_allowed(ctx: EndpointsResultContext) -> Iterator[Problem]:
    """The benchmark does not accept results measured with the Endpoints client (official endpoints_model_check).

    Fails: ``llama2-70b-99/Server/performance/result_summary.json``. Passes: ``deepseek-r1/Server/...``.
    """
    allowed = ctx.rules["endpoints"]["submission_allowed"]
    if ctx.benchmark not in allowed:
        yield Problem(
            _where(ctx, "performance"),
            f"{ctx.unit.benchmark} may not be measured with the Endpoints client",
            expected=allowed,
            found=ctx.benchmark or ctx.unit.benchmark,
        )


@rule(
    "EC002",
    "endpoints-file-unusable",
    scope=SCOPE,
    fix="Keep the client's performance/result_summary.json, accuracy/accuracy_results.json and config.yaml in the "
    "scenario folder, as the client wrote them.",
)
def endpoints_file_unusable(ctx: EndpointsResultContext) -> Iterator[Problem]:
    """A file the official checker reads for an Endpoints result is missing, unreadable, not a mapping or repeats a
    key, the summary lacks a count, the duration or the output-token total (or one is negative), or the accuracy
    file has an entry that is not an object or none.

    Fails: no ``accuracy/accuracy_results.json``. Passes: all three files, complete.
    """
    for kind in ("performance", "accuracy", "config"):
        doc = ctx.doc(kind)
        if not doc.ok:
            yield Problem(_where(ctx, kind), doc.error or "unreadable", line=doc.line)
        elif doc.duplicates:
            yield Problem(_where(ctx, kind), f"repeats key(s) {', '.join(doc.duplicates[:5])}; JSON readers disagree "
                          "on which value counts", key=doc.duplicates[0], found=list(doc.duplicates))  # fmt: skip
    if ctx.summary is not None:
        for key in ctx.summary.problems:
            yield Problem(_where(ctx, "performance"), f"{key} is missing, not a number or negative", key=key)
    for problem in ctx.accuracy_result.problems if ctx.accuracy_result is not None else ():
        yield Problem(_where(ctx, "accuracy"), problem)


@rule(
    "EC003",
    "endpoints-run-errors",
    scope=SCOPE,
    fix="Rerun until no sample fails; a valid run completes every sample it issues.",
)
def endpoints_run_errors(ctx: EndpointsResultContext) -> Iterator[Problem]:
    """The client counted failed samples, completed plus failed is not what it issued (official: num_errors), or no
    sample completed (a run that measured nothing).

    Fails: ``n_samples_failed: 3``; 0 issued, 0 completed. Passes: 600000 issued, 600000 completed, 0 failed.
    """
    s = ctx.summary
    if s is None or None in (s.issued, s.completed, s.failed):
        return
    where = _where(ctx, "performance")
    if not s.completed:
        yield Problem(where, "no sample completed", expected="> 0", found=s.completed, key="n_samples_completed")
    elif s.failed:
        yield Problem(where, f"{s.failed} samples failed", expected=0, found=s.failed, key="n_samples_failed")
    elif s.completed + s.failed != s.issued:  # type: ignore[operator]
        yield Problem(where, f"{s.completed} completed of {s.issued} issued", expected=s.issued, found=s.completed)


@rule(
    "EC004",
    "endpoints-seeds",
    scope=SCOPE,
    fix="Run the client with the round's sample-index and schedule seeds (config.yaml settings.runtime).",
)
def endpoints_seeds(ctx: EndpointsResultContext) -> Iterator[Problem]:
    """The client's config.yaml does not carry the round's sample-index and schedule seeds (the QSL seed does not
    exist for the client, as the official checker says).

    Fails: ``dataloader_random_seed: 42``. Passes: v6.1's 2747215439041700203 and 16159082839903944936.
    """
    if not ctx.doc("config").ok:
        return
    for seed, keys in ctx.rules["endpoints"]["seed_keys"].items():
        found = ctx.config_value(keys)
        if found != ctx.rules["seeds"][seed]:
            yield Problem(
                _where(ctx, "config"),
                f"{'.'.join(keys)} is not the round's {seed}",
                expected=ctx.rules["seeds"][seed],
                found=found,
                key=".".join(keys),
            )


def _p99(ctx: EndpointsResultContext, key: str) -> float | None:
    """The client's early-stopping p99 estimate of ``key`` (``ttft``, ``tpot``, ``latency``), in ns."""
    block = (ctx.doc("performance").data or {}).get(key)
    early = block.get("early_stopping_percentiles") if isinstance(block, dict) else None
    for pct, value in early.items() if isinstance(early, dict) else ():
        if str(pct) in ("99", "99.0") and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) if value > 0 else None  # no latency is zero or negative: no estimate
    return None


@rule(
    "EC005",
    "endpoints-latency",
    scope=SCOPE,
    fix="Meet the benchmark's p99 latency limits (TTFT and TPOT for LLMs, query latency otherwise).",
)
def endpoints_latency(ctx: EndpointsResultContext) -> Iterator[Problem]:
    """A p99 latency is at or above the scenario's limit: TTFT and TPOT for an LLM (official llm_check), the whole
    query's latency for another benchmark with a latency constraint (official latency_check), on the client's
    early-stopping p99 estimates.

    Fails: deepseek-r1 Interactive with TPOT p99 16 ms (limit 15 ms); qwen3-vl Interactive at 1.6 s (1.5 s).
    Passes: 12.56 ms; 1.48 s.
    """
    if ctx.summary is None:
        return
    scenario = ctx.scenario or ""
    llm = ctx.model.get("llm_p99_limits_ns", {}).get(scenario)
    if llm:
        limits = {"ttft": llm["ttft"], "tpot": llm["tpot"]}
    elif ctx.model.get("latency_constraint_ns", {}).get(scenario):
        limits = {"latency": ctx.model["latency_constraint_ns"][scenario]}
    else:
        return
    where = _where(ctx, "performance")
    for key, limit in limits.items():
        value = _p99(ctx, key)
        if value is None:
            yield Problem(where, f"no p99 {key} estimate", expected="a number", key=key)
        elif value >= limit if llm else value > limit:  # the official checks: LLM strictly below, others at most
            yield Problem(
                where,
                f"p99 {key} {value / 1e6:.2f} ms over the limit {limit / 1e6:.2f} ms",
                expected=f"{'<' if llm else '<='} {limit}",
                found=value,
                key=key,
            )


@rule(
    "EC006",
    "endpoints-too-short",
    scope=SCOPE,
    fix="Run for at least the round's minimum duration.",
)
def endpoints_too_short(ctx: EndpointsResultContext) -> Iterator[Problem]:
    """The run was configured (config.yaml ``settings.runtime.min_duration_ms``, what the official checker reads)
    or lasted (``duration_ns``, what the result is) less than the round's minimum duration.

    Fails: ``duration_ns`` of 300 s; ``min_duration_ms: 60000``. Passes: 2318.9 s run, 1800000 configured.
    """
    s = ctx.summary
    need = ctx.rules["min_duration_ms"]
    if s is None or s.duration_ns is None or ctx.benchmark in ctx.rules.get("min_duration_exempt_models", []):
        return
    configured = ctx.config_value(["settings", "runtime", "min_duration_ms"])
    if isinstance(configured, (int, float)) and not isinstance(configured, bool) and configured < need:
        yield Problem(
            _where(ctx, "config"),
            f"min_duration_ms {configured:g} < {need}",
            expected=need,
            found=configured,
            key="settings.runtime.min_duration_ms",
        )
    if s.duration_ns / 1e6 < need:
        yield Problem(
            _where(ctx, "performance"),
            f"the run lasted {s.duration_ns / 1e9:.1f} s; at least {need / 1000:g} s",
            expected=need,
            found=s.duration_ns / 1e6,
            key="duration_ns",
        )


@rule(
    "EC007",
    "endpoints-accuracy",
    scope=SCOPE,
    fix="Meet the benchmark's accuracy target on the full accuracy dataset.",
)
def endpoints_accuracy(ctx: EndpointsResultContext) -> Iterator[Problem]:
    """The client's accuracy score misses the benchmark's primary target, or it scored fewer samples than the
    accuracy dataset holds (or does not say how many). The client reports one unnamed score, read as the first
    target's metric (official).

    Fails: deepseek-r1 at 79.9 (target 80.5446). Passes: 81.43 on 4388 samples.
    """
    acc = ctx.accuracy_result
    targets = ctx.model.get("accuracy_targets_by_scenario", {}).get(ctx.scenario or "") or ctx.model.get(
        "accuracy_targets", []
    )
    if acc is None or not targets:
        return
    where = _where(ctx, "accuracy")
    first = targets[0]
    score = acc.score(first["metric"]) if acc.score(first["metric"]) is not None else acc.score("score")
    if score is None:
        yield Problem(where, "no accuracy score", expected=first["metric"])
    elif score < first["min"]:
        yield Problem(where, f"{first['metric']} {score:.4f} < {first['min']}", expected=first["min"], found=score)
    need = ctx.model.get("accuracy_sample_count")
    need = need.get(ctx.scenario) if isinstance(need, dict) else need
    if need and acc.samples is None:
        yield Problem(where, "the number of accuracy samples is not reported", expected=need)
    elif need and acc.samples is not None and acc.samples < need:
        yield Problem(where, f"{acc.samples} accuracy samples < {need}", expected=need, found=acc.samples)


@rule(
    "EC008",
    "endpoints-report-disagrees",
    scope=SCOPE,
    severity=Severity.WARNING,
    fix="Publish the report.txt the client wrote for this run, beside its result_summary.json.",
)
def endpoints_report_disagrees(ctx: EndpointsResultContext) -> Iterator[Problem]:
    """``report.txt`` states other totals (samples, TPS) than ``result_summary.json``: the two files come from
    different runs. The official checker does not read report.txt, so this only warns.

    Fails: report says TPS 1175890.22, summary 1100000. Passes: both 1175890.22.
    """
    totals, s = ctx.report_totals, ctx.summary
    if not totals or s is None:
        return
    pairs = {"issued": s.issued, "completed": s.completed, "failed": s.failed, "tps": s.stored_system_tps}
    for key, value in pairs.items():
        shown = totals.get(key)
        if shown is None or value is None:
            continue
        if abs(shown - value) > max(0.01, 1e-6 * abs(value)):  # report.txt rounds to two decimals
            yield Problem(
                ctx.rel(ctx.unit.result_dir / "report.txt"),
                f"{key} {shown:g} != summary's {value:g}",
                expected=value,
                found=shown,
                key=key,
            )
