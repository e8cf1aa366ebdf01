"""TX: impossible facts in a log that no official tool checks, each with the line numbers involved."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from checker.findings import Problem
from checker.numbers import check, expected, shown
from checker.parsers.mllog import Record
from checker.registry import rule
from checker.training.compliance import eval_groups, resolve
from checker.training.constraints import violation
from checker.training.context import BenchmarkContext, Run

_PHASES = ("init_start", "init_stop", "run_start", "run_stop")


def _lines(*recs: Record) -> str:
    return ", ".join(f"line {r.line}" for r in recs)


@rule(
    "TX001",
    "time-out-of-order",
    suite="training",
    fix="Log lifecycle events with the clock they happened at; a stop cannot precede its start.",
)
def time_out_of_order(ctx: BenchmarkContext) -> Iterator[Problem]:
    """Lifecycle timestamps contradict each other (e.g. run_stop earlier than run_start).

    Why: time to train is run_stop - run_start; a negative or reordered interval makes the score meaningless.
    Fails: run_stop time_ms < run_start time_ms. Passes: first init_start <= init_stop <= run_start <= run_stop.
    """
    for run in ctx.runs:
        log = run.log
        starts = log.by_key("init_start")
        firsts = [
            min(starts, key=lambda r: r.time_ms) if starts else None,
            log.first("init_stop"),
            log.first("run_start"),
            log.first("run_stop"),
        ]
        present = [(name, rec) for name, rec in zip(_PHASES, firsts, strict=True) if rec is not None]
        for (n1, a), (n2, b) in zip(present, present[1:], strict=False):
            if b.time_ms < a.time_ms:
                yield Problem(
                    run.rel,
                    f"{n2} at {b.time_ms:.0f} ms is earlier than {n1} at {a.time_ms:.0f} ms ({_lines(a, b)})",
                    line=b.line,
                    key=n2,
                    expected=f">= {a.time_ms:.0f}",
                    found=b.time_ms,
                )


@rule("TX002", "run-stopped-twice", suite="training", fix="Log run_start and run_stop once per run.")
def run_stopped_twice(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A run starts or stops more than once (officially only a warning when the values are identical).

    Fails: two run_stop lines. Passes: one.
    """
    for run in ctx.runs:
        for key in ("run_start", "run_stop"):
            recs = run.log.by_key(key)
            if len(recs) > 1:
                yield Problem(
                    run.rel,
                    f"{key} logged {len(recs)} times ({_lines(*recs)})",
                    line=recs[1].line,
                    key=key,
                    expected=1,
                    found=len(recs),
                )


@rule("TX003", "eval-after-stop", suite="training", fix="Log every evaluation of the run before run_stop.")
def eval_after_stop(ctx: BenchmarkContext) -> Iterator[Problem]:
    """An evaluation is logged after run_stop in the file, or (for online-eval benchmarks) timed after it.

    Why: the score ends at run_stop; an evaluation after it cannot have decided convergence. Benchmarks in
    ``sanity.offline_eval`` (stable diffusion) may evaluate checkpoints later, so only file order counts there.
    Fails: ``eval_accuracy`` on a line after ``run_stop``. Passes: all evals before it.
    """
    offline = ctx.benchmark in ctx.rules.get("sanity", {}).get("offline_eval", [])
    for run in ctx.runs:
        stop = run.log.first("run_stop")
        if stop is None:
            continue
        late = [
            r
            for r in run.log.by_key("eval_accuracy")
            if r.line > stop.line or (not offline and r.time_ms > stop.time_ms)
        ]
        if late:
            first = late[0]
            how = "logged after" if first.line > stop.line else f"timed {first.time_ms - stop.time_ms:.0f} ms after"
            yield Problem(
                run.rel,
                f"{len(late)} eval_accuracy line(s) after run_stop; the first, line {first.line}, "
                f"is {how} run_stop (line {stop.line})",
                line=first.line,
                key="eval_accuracy",
            )


def _scored(ctx: BenchmarkContext) -> list[Run]:
    times = {t.rel: t for t in ctx.score.runs}
    return [r for r in ctx.runs if times.get(r.rel) is not None and times[r.rel].minutes is not None]


@rule(
    "TX004",
    "scored-without-target",
    suite="training",
    fix="Do not submit runs that stop before reaching the quality target; they must count as failed runs.",
)
def scored_without_target(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A run counts toward the score although no evaluation before its run_stop reached the quality target.

    Why: the official "at least one eval in range" check ignores where the eval is, so a run that reached the
    target only after it stopped is still scored. Fails: the only passing eval is after run_stop.
    Passes: a passing eval before run_stop.
    """
    if not ctx.allowed:
        return
    for run in _scored(ctx):
        lr = resolve(ctx.rules, run.log)
        q, stop = lr.quality, run.log.first("run_stop")
        if not q or stop is None:
            continue
        if "group_by" in q:
            before = _before(run, stop)
            groups, _ = eval_groups(before, q["metric"], q["group_by"])
            ok = any(
                all(m in v and violation(c, v[m]) is None for m, c in q["metrics"].items()) for v in groups.values()
            )
        else:
            evals = run.log.by_key(q["metric"])
            ok = any(r.line < stop.line and violation(q["target"], r.value) is None for r in evals)
        if not ok:
            yield Problem(
                run.rel,
                f"scored run reaches no quality target before run_stop (line {stop.line})",
                line=stop.line,
                key=q["metric"],
            )


def _before(run: Run, stop: Record):  # noqa: ANN202  (a filtered MllogFile)
    from checker.parsers.mllog import MllogFile

    return MllogFile(run.log.path, [r for r in run.log.records if r.line < stop.line])


@rule(
    "TX005",
    "scored-unsuccessful",
    suite="training",
    fix="Count runs whose run_stop status is not success as failed runs.",
)
def scored_unsuccessful(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A run counts toward the score although its run_stop status is not "success".

    Why: the official checker requires the status field but not its value, so an aborted run is scored.
    Fails: ``run_stop`` metadata ``{"status": "aborted"}``. Passes: ``{"status": "success"}``.
    """
    for run in _scored(ctx):
        stop = run.log.first("run_stop")
        if stop is not None and stop.meta("status") != "success":
            yield Problem(
                run.rel,
                f"scored run stopped with status {stop.meta('status')!r}",
                line=stop.line,
                key="run_stop",
                expected="success",
                found=stop.meta("status"),
            )


# Logged values that count or size something: zero or negative cannot describe a real training run.
VALUE_KINDS = {
    "global_batch_size": "positive_count",
    "local_batch_size": "positive_count",
    "micro_batch_size": "positive_count",
    "train_samples": "positive_count",
    "eval_samples": "positive_count",
    "gradient_accumulation_steps": "positive_count",
    "max_sequence_length": "positive_count",
    "opt_learning_rate_training_steps": "amount",
    "opt_learning_rate_warmup_steps": "amount",
    "opt_learning_rate_warmup_epochs": "amount",
    "num_warmup_steps": "amount",
}
# Metadata fields that place a record in training (training_rules.md: epoch_num, samples_count, epoch_count ...).
META_KINDS = {
    "epoch_num": "epoch",
    "first_epoch_num": "epoch",
    "epoch_count": "positive_count",
    "samples_count": "count",
    "step_num": "count",
}


def _impossible(rules: Mapping[str, Any], run: Run) -> Iterator[tuple[Record, str, str, object, str]]:
    """(record, what, kind, value, reason) for each impossible value, timestamp or metadata field of a log.

    A value the round's own key rule already rejects is left to TL004/TL005, so one fault gives one finding.
    """
    keys = resolve(rules, run.log).keys
    for rec in run.log.records:
        reason = check(rec.time_ms, "timestamp")
        if reason:
            yield rec, "time_ms", "timestamp", rec.time_ms, reason
        rule_ = keys.get(rec.key, {})
        kind = VALUE_KINDS.get(rec.key)
        if kind and (reason := check(rec.value, kind)) and not _rejected(rule_.get("value"), rec.value, run):
            yield rec, "value", kind, rec.value, reason
        for name, kind in META_KINDS.items():
            if name not in rec.metadata or _rejected(rule_.get("metadata", {}).get(name), rec.metadata[name], run):
                continue
            if reason := check(rec.metadata[name], kind):
                yield rec, f"metadata.{name}", kind, rec.metadata[name], reason


def _rejected(con: Mapping[str, Any] | None, value: Any, run: Run) -> bool:
    return bool(con) and violation(con, value, run.log.value) is not None


@rule(
    "TX006",
    "value-impossible",
    suite="training",
    fix="Log counts and sizes as the positive numbers they are "
    "(global_batch_size, train_samples, epoch_num, samples_count ...) and timestamps as ms since the epoch.",
)
def value_impossible(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A logged count, size, epoch number or time cannot be valid (zero, negative, NaN, overflowing, not a number).

    Why: the score, the RCP comparison and the batch-size rules read these values; a zero batch size or a
    negative samples_count makes them meaningless, and the official checker only tests that they exist.
    One finding per log and field; later repeats are counted in it.
    Fails: ``global_batch_size`` = 0; ``eval_accuracy`` metadata ``epoch_num`` = -1; a negative ``time_ms``.
    Passes: ``global_batch_size`` = 4096 and ``epoch_num`` >= 0.
    """
    for run in ctx.runs:
        seen: dict[tuple[str, str], int] = {}
        first: dict[tuple[str, str], tuple[Record, str, object, str]] = {}
        for rec, what, kind, value, reason in _impossible(ctx.rules, run):
            slot = (rec.key, what)
            seen[slot] = seen.get(slot, 0) + 1
            first.setdefault(slot, (rec, kind, value, reason))
        for (key, what), (rec, kind, value, reason) in first.items():
            more = f" ({seen[(key, what)] - 1} more such line(s))" if seen[(key, what)] > 1 else ""
            yield Problem(
                run.rel,
                f"{key} {what}: {reason}{more}",
                line=rec.line,
                key=key,
                expected=expected(kind),
                found=shown(value),
            )
