"""TL: per-log compliance rules (the official compliance checker's checks, driven by rules/training/*.yaml).

All TL rules read one evaluation pass (``checker.training.compliance``). A run that fails compliance is
tolerated by olympic scoring when the folder has at most ``allowed_failures`` such runs; its findings are
then warnings that say so, and TP003 reports the folder when there are more.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from checker.findings import Problem, Severity
from checker.registry import rule
from checker.training.context import BenchmarkContext


def _report(ctx: BenchmarkContext, code: str) -> Iterator[Problem]:
    if not ctx.allowed:
        return  # TP002 reports the folder; its logs have no rules in this round
    noncompliant = set(ctx.noncompliant)
    for p in ctx.problems(code):
        if ctx.tolerated and p.path in noncompliant and p.severity in (None, Severity.ERROR):
            n, allowed = len(ctx.bad_runs), ctx.meta["allowed_failures"]
            note = f"tolerated: {n} failing run(s), {allowed} allowed; the run is not scored"
            yield replace(p, severity=Severity.WARNING, message=f"{p.message} ({note})")
        else:
            yield p


@rule(
    "TL001",
    "log-unparsable",
    suite="training",
    fix="Write one JSON record per :::MLLOG line with time_ms, key, value and metadata (use mlperf_logging's mllog).",
)
def log_unparsable(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A result log has a broken :::MLLOG line, cannot be read, or has no records.

    Why: the official parser marks such a file non-compliant, and crashes outright on a record missing
    time_ms/key/value/metadata. Here each broken line is a finding with its line number.
    Fails: ``:::MLLOG {"key": "run_start", "value": null}`` (no time_ms, no metadata).
    Passes: ``:::MLLOG {"time_ms": 1, "key": "run_start", "value": null, "metadata": {}}``.
    """
    yield from _report(ctx, "TL001")


@rule(
    "TL002",
    "key-occurrences",
    suite="training",
    fix="Log each required key the number of times the rules require (see rules/training/<round>.yaml, log.*).",
)
def key_occurrences(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A required log key is missing, or an exactly-once key appears with different values.

    Why: the closed division fixes which hyperparameters and lifecycle events must be logged.
    Fails: a bert log without ``opt_lamb_beta_1``; two ``global_batch_size`` lines with different values.
    Passes: each required key logged once (or at least once where the rule says so).
    """
    yield from _report(ctx, "TL002")


@rule(
    "TL003",
    "key-repeated",
    suite="training",
    severity=Severity.WARNING,
    fix="Log exactly-once keys from one rank only.",
)
def key_repeated(ctx: BenchmarkContext) -> Iterator[Problem]:
    """An exactly-once key is logged several times with identical values (warning, as officially).

    Fails: ``submission_org`` logged twice with the same value. Passes: logged once.
    """
    yield from _report(ctx, "TL003")


@rule(
    "TL004",
    "value-not-allowed",
    suite="training",
    fix="Use the value the round's rules fix for this key (closed division hyperparameters).",
)
def value_not_allowed(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A logged value breaks its rule: a fixed closed-division hyperparameter, a formula, or an allowed list.

    Fails: dlrm_dcnv2 ``opt_name`` = "sgd" (must be adagrad); ``submission_division`` = "Closed".
    Passes: ``opt_name`` = "adagrad".
    """
    yield from _report(ctx, "TL004")


@rule(
    "TL005",
    "metadata-missing",
    suite="training",
    fix="Add the metadata field the rule requires (e.g. epoch_num or samples_count on eval lines, status on run_stop).",
)
def metadata_missing(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A log line lacks required metadata, a metadata value is out of range, or an eval is off its schedule.

    The schedule (``eval_schedule``, v6.1 on): deepseekv3_671b's first eval at GBS*floor(42 + 24576/GBS) samples,
    every qwen35_397b_grpo eval on the grid GBS*ceil(2.5 + 3840/GBS) + i*GBS.

    Fails: ``run_stop`` without ``metadata.status``; bert ``eval_accuracy`` without ``epoch_num``.
    Passes: ``run_stop`` with ``{"status": "success"}``.
    """
    yield from _report(ctx, "TL005")


@rule(
    "TL006",
    "key-order",
    suite="training",
    fix="Log init_start, init_stop, run_start, blocks/epochs and run_stop in that order.",
)
def key_order(ctx: BenchmarkContext) -> Iterator[Problem]:
    """Lifecycle keys come in the wrong order (e.g. run_start before init_stop).

    Fails: ``run_start`` on a line before ``init_stop``. Passes: init_start, init_stop, run_start, run_stop.
    """
    yield from _report(ctx, "TL006")


@rule(
    "TL007",
    "init-over-budget",
    suite="training",
    fix="Reduce initialisation time (first init_start to init_stop) below the division's budget.",
)
def init_over_budget(ctx: BenchmarkContext) -> Iterator[Problem]:
    """Initialisation took longer than the division allows (30 min closed, 240 min open in v4.1).

    Fails: init_stop 31 minutes after the first init_start in a closed log. Passes: 10 minutes.
    """
    yield from _report(ctx, "TL007")


@rule(
    "TL008",
    "quality-not-reached",
    suite="training",
    fix="Train until an evaluation reaches the quality target; a run that never does is not a valid result.",
)
def quality_not_reached(ctx: BenchmarkContext) -> Iterator[Problem]:
    """No evaluation line reaches the benchmark's quality target.

    Fails: every bert ``eval_accuracy`` below 0.720. Passes: one line at 0.7201.
    """
    yield from _report(ctx, "TL008")


@rule("TL009", "benchmark-without-rules", suite="training", fix="Submit one of the round's benchmarks.")
def benchmark_without_rules(ctx: BenchmarkContext) -> Iterator[Problem]:
    """The log names a benchmark the division lists but for which the round has no rules.

    Why: the official 4.1 list still names resnet, maskrcnn, rnnt and unet3d; their logs crash the
    official checker. Fails: ``submission_benchmark`` = "resnet" in v4.1. Passes: "bert".
    """
    yield from _report(ctx, "TL009")
