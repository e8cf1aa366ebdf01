"""AC: the accuracy run: accuracy.txt against the targets, the hash, the truncated log, dataset coverage, mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checker.context import ResultContext, as_int
from checker.findings import Problem, Severity
from checker.parsers.accuracy_log import ACCURACY_JSON_LIMIT, AccuracyLog, file_size, read_accuracy_log
from checker.parsers.detail_keys import DETAIL_LOG_LIMIT, DetailKeys, read_detail_keys
from checker.parsers.text import ReadFailure, limit_for
from checker.plugins.outcome import metric_specs
from checker.registry import rule

ENFORCED_DIVISIONS = ("closed", "network")
_ACCURACY_KEYS = frozenset(
    {"effective_test_mode", "effective_accuracy_sample_count", "qsl_reported_total_count", "loadgen_version"}
)


def enforced(ctx: ResultContext) -> bool:
    """Closed and network hold results to the closed targets; open reports accuracy only."""
    return ctx.unit.division in ENFORCED_DIVISIONS


def targets(ctx: ResultContext) -> list[dict[str, Any]]:
    """The lower bounds for this result: per-scenario targets where the round has them (qwen3-vl), else the model's."""
    by_scenario = ctx.model.get("accuracy_targets_by_scenario", {})
    if ctx.scenario in by_scenario:
        return list(by_scenario[ctx.scenario])
    return list(ctx.model.get("accuracy_targets", []))


def accuracy_keys(ctx: ResultContext) -> DetailKeys:
    """The few records of the accuracy detail log these rules need (the log is not fully decoded)."""
    limit = limit_for(ctx.rules, "detail_log", DETAIL_LOG_LIMIT)
    return read_detail_keys(ctx.accuracy_dir / "mlperf_log_detail.txt", _ACCURACY_KEYS, limit)


def accuracy_json(ctx: ResultContext) -> AccuracyLog:
    """The result's ``accuracy/mlperf_log_accuracy.json``, read within the round's cap."""
    limit = limit_for(ctx.rules, "accuracy_json", ACCURACY_JSON_LIMIT)
    return read_accuracy_log(ctx.accuracy_dir / "mlperf_log_accuracy.json", limit)


def _parsed(ctx: ResultContext) -> bool:
    """accuracy.txt exists and was read (ST011 reports a missing one)."""
    return ctx.accuracy_file.read_error is None and ctx.benchmark is not None


@rule(
    "AC001",
    "accuracy-metric-missing",
    fix=(
        "Regenerate accuracy.txt with the benchmark's official accuracy script; its output line must match the "
        "round's pattern for every target metric."
    ),
)
def accuracy_metric_missing(ctx: ResultContext) -> Iterator[Problem]:
    """accuracy.txt lacks a metric: closed and network need every target metric and every metric the rule file
    computes from the outputs (``metrics:``, judged by AC011/AC012), open at least one.

    Each metric is read with its pattern from the round's rule file (``accuracy_patterns``), applied
    with ``re.match`` to every line, as the official checker does.

    Fails: a closed ``accuracy.txt`` without the ``accuracy=`` line. Passes: every target metric; open needs one.
    """
    if not _parsed(ctx):
        return
    parsed = ctx.accuracy_file
    wanted = [t["metric"] for t in targets(ctx)]
    wanted += [m for m in metric_specs(ctx.model) if m not in wanted]  # a computed metric's claim is evidence too
    where = ctx.rel(parsed.path)
    if not enforced(ctx):
        if not parsed.values:
            yield Problem(where, "no accuracy metric could be read", expected=wanted or "a metric", found="none")
        return
    missing = [m for m in wanted if m not in parsed.values]
    if missing:
        yield Problem(
            where,
            f"accuracy.txt has no value for {', '.join(missing)}",
            expected=wanted,
            found=sorted(parsed.values),
        )


@rule(
    "AC002",
    "accuracy-below-target",
    fix="Improve the model or its numerics until every metric reaches the closed target, or submit to open.",
)
def accuracy_below_target(ctx: ResultContext) -> Iterator[Problem]:
    """Closed and network: a metric is below its target (99 % or 99.9 % of the FP32 reference, or a fixed bound).

    Every line that matches a metric counts; one sighting below the target fails, as upstream.

    Fails: digits top-1 ``accuracy=90.000%`` against a 97.02 target. Passes: ``97.020%``, exactly the target.
    """
    if not _parsed(ctx) or not enforced(ctx):
        return
    yield from _beyond_bounds(ctx, targets(ctx), "min")


@rule(
    "AC003",
    "accuracy-above-limit",
    fix="Fix the generation settings (e.g. max tokens, sampler) so the metric stays within its upper limit.",
)
def accuracy_above_limit(ctx: ResultContext) -> Iterator[Problem]:
    """Closed and network: a metric with an upper limit (tokens per sample, CLIP/FID ranges) exceeds it.

    Upper limits apply only where the metric line is present, as in the official checker.

    Fails: a metric above its upper limit. Passes: a metric within it.
    """
    if not _parsed(ctx) or not enforced(ctx):
        return
    yield from _beyond_bounds(ctx, ctx.model.get("accuracy_upper_limits", []), "max")


def _beyond_bounds(ctx: ResultContext, bounds: list[dict[str, Any]], side: str) -> Iterator[Problem]:
    """Each accuracy.txt value on the wrong side of its bound: below a target (``min``) or above a limit (``max``)."""
    parsed = ctx.accuracy_file
    for bound in bounds:
        metric, limit = bound["metric"], bound.get(side)
        if limit is None:
            continue
        for line, value in parsed.values.get(metric, []):
            if value < limit if side == "min" else value > limit:
                what = f"below the closed target {limit}" if side == "min" else f"above the upper limit {limit}"
                sign = ">=" if side == "min" else "<="
                yield Problem(ctx.rel(parsed.path), f"{metric} {value} is {what}", line=line, key=metric,
                              expected=f"{sign} {limit}", found=value)  # fmt: skip


@rule(
    "AC004",
    "accuracy-hash-missing",
    fix="Run truncate_accuracy_log.py: it appends 'hash=<sha256 of the full accuracy log>' to accuracy.txt.",
)
def accuracy_hash_missing(ctx: ResultContext) -> Iterator[Problem]:
    r"""accuracy.txt has no ``hash=`` line, so the truncated accuracy log cannot be tied to the full one.

    The line must carry a whole SHA-256 (64 hex digits, ``accuracy_hash_pattern``): the official pattern
    ``[\w\d]+`` also accepts a hash cut short, as an ``accuracy.txt`` truncated in transit has.

    Fails: ``accuracy.txt`` without ``hash=``. Passes: ``hash=<sha256>``.
    """
    if ctx.accuracy_file.read_error is not None:
        return
    if ctx.accuracy_file.hash_value is None:
        yield Problem(
            ctx.rel(ctx.accuracy_file.path),
            "no hash= line with a whole SHA-256 for mlperf_log_accuracy.json",
            expected="hash=<sha256>",
            found="missing",
        )


@rule(
    "AC005",
    "accuracy-log-not-truncated",
    fix="Truncate accuracy/mlperf_log_accuracy.json with the official truncate_accuracy_log.py before submitting.",
)
def accuracy_log_not_truncated(ctx: ResultContext) -> Iterator[Problem]:
    """``accuracy/mlperf_log_accuracy.json`` is larger than the truncated form allows (10240 bytes).

    Only the file size is read. With ``--published`` a missing log is a notice (published trees
    may drop logs); without it, ST011 reports the missing file.

    Fails: an untruncated 12 KB ``accuracy/mlperf_log_accuracy.json``. Passes: the truncated log, under 10240 bytes.
    """
    path = ctx.accuracy_dir / "mlperf_log_accuracy.json"
    size = file_size(path)
    limit = ctx.rules.get("max_truncated_accuracy_log_bytes", 10240)
    if size is None:
        if ctx.options.published and ctx.accuracy_dir.is_dir():
            yield Problem(
                ctx.rel(path),
                "accuracy log is absent; published repositories may drop large logs, so it is not judged",
                expected="mlperf_log_accuracy.json",
                found="missing (published tree)",
                severity=Severity.NOTICE,
            )
        return
    if size > limit:
        yield Problem(
            ctx.rel(path),
            f"accuracy log is {size} bytes: not truncated",
            expected=f"<= {limit} bytes",
            found=size,
        )


def required_samples(ctx: ResultContext) -> int | None:
    """Samples an accuracy run must cover: ``accuracy_sample_count`` (per scenario where given), else the dataset."""
    count = ctx.model.get("accuracy_sample_count")
    if isinstance(count, dict):
        count = count.get(ctx.scenario or "")
    if count is None:
        count = ctx.model.get("dataset_size")
    return as_int(count)


@rule(
    "AC006",
    "accuracy-dataset-coverage",
    fix="Run the accuracy mode over the whole data set (no accuracy_sample_count or QSL size override).",
)
def accuracy_dataset_coverage(ctx: ResultContext) -> Iterator[Problem]:
    """The accuracy run did not cover the whole data set (or the round's accuracy sample count).

    The evidence, strongest first:

    * an untruncated ``mlperf_log_accuracy.json``: the distinct ``qsl_idx`` actually logged are
      counted, whatever the QSL claims;
    * a truncated log hides most records, so its visible records only give a lower bound; the run
      is then judged by the accuracy detail log, which records what LoadGen issued:
      ``effective_accuracy_sample_count`` where LoadGen logs it (v5 and later), else
      ``qsl_reported_total_count``. A visible ``qsl_idx`` at or beyond the data-set size fails too.

    Fails: a complete accuracy log of 100 distinct samples, or ``effective_accuracy_sample_count: 100``, for a
    450-sample data set. Passes: 450 samples.
    """
    required = required_samples(ctx)
    log_path = ctx.accuracy_dir / "mlperf_log_accuracy.json"
    if required is None or not ctx.accuracy_dir.is_dir():
        return
    accuracy = accuracy_json(ctx)
    if accuracy.exists and accuracy.complete:
        if len(accuracy.entries) < required:
            yield Problem(
                ctx.rel(log_path),
                f"accuracy log holds {len(accuracy.entries)} distinct samples, fewer than the data set",
                expected=f">= {required} distinct qsl_idx",
                found=len(accuracy.entries),
            )
        return
    dataset = as_int(ctx.model.get("dataset_size"))
    beyond = sorted(i for i in accuracy.entries if dataset is not None and i >= dataset)
    if beyond:
        yield Problem(
            ctx.rel(log_path),
            f"accuracy log names sample {beyond[0]}, outside the {dataset}-sample data set",
            expected=f"qsl_idx < {dataset}",
            found=beyond[:5],
        )
    log = accuracy_keys(ctx)
    if not log.usable:
        return
    for key in ("effective_accuracy_sample_count", "qsl_reported_total_count"):
        found = as_int(log.values.get(key))
        if found is None:
            continue
        if found < required:
            yield Problem(
                ctx.rel(log.path),
                f"accuracy run issued {found} samples, fewer than required",
                line=log.lines.get(key),
                key=key,
                expected=f">= {required}",
                found=found,
            )
        return


@rule(
    "AC007",
    "accuracy-mode",
    fix="Produce accuracy/ with --mode AccuracyOnly; do not copy a performance run's logs there.",
)
def accuracy_mode(ctx: ResultContext) -> Iterator[Problem]:
    """The accuracy detail log was not produced in AccuracyOnly mode.

    Fails: ``effective_test_mode: PerformanceOnly`` in ``accuracy/``. Passes: ``AccuracyOnly``.
    """
    log = accuracy_keys(ctx)
    if not log.usable:
        return
    mode = log.values.get("effective_test_mode")
    if mode != "AccuracyOnly":
        yield Problem(
            ctx.rel(log.path),
            f"accuracy run used test mode {mode}",
            line=log.lines.get("effective_test_mode"),
            key="effective_test_mode",
            expected="AccuracyOnly",
            found=mode,
        )


@rule(
    "AC008",
    "accuracy-loadgen-error",
    fix="Fix what LoadGen reported during the accuracy run and run it again.",
)
def accuracy_loadgen_error(ctx: ResultContext) -> Iterator[Problem]:
    """LoadGen logged an error during the accuracy run (``metadata.is_error``).

    Fails: an accuracy detail log with ``metadata.is_error: true``. Passes: no error records.
    """
    log = accuracy_keys(ctx)
    for line, key, value in log.errors:
        yield Problem(
            ctx.rel(log.path),
            f"LoadGen error {key}: {value}",
            line=line,
            key=key,
            expected="no LoadGen errors",
            found=value,
        )


@rule(
    "AC009",
    "accuracy-extra-files",
    fix=(
        "Add the generated artefacts the round lists (stable-diffusion-xl: accuracy/images/<id>.png for each "
        "listed id) next to accuracy.txt."
    ),
)
def accuracy_extra_files(ctx: ResultContext) -> Iterator[Problem]:
    """Generated samples a reviewer must see (SDXL images, wan videos) are missing from ``accuracy/``.

    Closed and network: error. Open: a warning, since the official checker accepts open
    results whose accuracy folder is incomplete. With ``--published`` it is a notice: the
    published results repositories drop these folders on purpose.

    Fails: closed SDXL without ``accuracy/images/<id>.png`` for a listed id. Passes: every listed file present.
    """
    extra = ctx.model.get("extra_accuracy_files")
    if not extra or not ctx.accuracy_dir.is_dir():
        return
    folder = ctx.accuracy_dir / extra.get("dir", "images")
    try:
        stems = {p.name.split(".")[0] for p in folder.iterdir() if p.is_file()}
    except OSError:
        stems = None
    ids = [str(i) for i in extra.get("ids", [])]
    missing = ids if stems is None else [i for i in ids if i not in stems]
    if not missing:
        return
    if ctx.options.published:
        severity: Severity | None = Severity.NOTICE
        why = "; published results repositories remove these folders, so the accuracy claim is taken as published"
        fix: str | None = (
            "Nothing to fix: the published repository removed these files on purpose; they are checked in the "
            "submission before publication."
        )
    else:
        severity = None if enforced(ctx) else Severity.WARNING
        why = ""
        fix = None
    what = f"folder {folder.name}/ is missing" if stems is None else f"{len(missing)} listed file(s) are missing"
    yield Problem(
        ctx.rel(folder),
        f"{what}{why}",
        expected=[f"{i}.{extra.get('ext_hint', '*')}" for i in ids],
        found="missing folder" if stems is None else missing,
        severity=severity,
        fix=fix,
    )


# Missing files and entries that are not regular files are ST011's (and ST017's) to report.
_STRUCTURAL = (None, ReadFailure.missing, ReadFailure.not_regular)


@rule(
    "AC010",
    "accuracy-evidence-unusable",
    fix=(
        "Copy the accuracy run's files again from the run's output: accuracy.txt and mlperf_log_detail.txt as UTF-8 "
        "text, mlperf_log_accuracy.json as written by LoadGen and truncated by truncate_accuracy_log.py."
    ),
)
def accuracy_evidence_unusable(ctx: ResultContext) -> Iterator[Problem]:
    """``accuracy.txt``, the accuracy log or the accuracy detail log is present but cannot be used.

    Unreadable, empty, binary or UTF-16, above the round's size cap, or not in the expected format
    (lines that are not LoadGen records): the accuracy claim then rests on nothing, so it fails
    closed. Fails: an ``accuracy.txt`` of random bytes, an empty ``mlperf_log_accuracy.json``, a
    detail log cut in the middle of a line. Passes: the files as LoadGen and the tools write them.
    """
    text = ctx.accuracy_file
    if text.read_kind not in _STRUCTURAL:
        yield _unusable(ctx, text.path, "accuracy.txt", str(text.read_error), "UTF-8 text with the metric lines")
    log = accuracy_json(ctx)
    if log.kind not in _STRUCTURAL:
        what = "LoadGen response records (truncated by truncate_accuracy_log.py)"
        yield _unusable(ctx, log.path, "mlperf_log_accuracy.json", str(log.error), what)
    detail = accuracy_keys(ctx)  # scanned, not decoded: accuracy-mode detail logs are large
    if detail.read_error is not None and detail.read_kind not in _STRUCTURAL:
        yield _unusable(ctx, detail.path, "mlperf_log_detail.txt", detail.read_error, ":::MLLOG records")
    elif detail.read_error is None and detail.malformed:
        line, why = detail.malformed
        problem = _unusable(ctx, detail.path, "mlperf_log_detail.txt", f"line {line}: {why}", ":::MLLOG records")
        yield Problem(problem.path, problem.message, line=line, expected=problem.expected, found=problem.found)


def _unusable(ctx: ResultContext, path: Path, name: str, why: str, expected: str) -> Problem:
    return Problem(ctx.rel(path), f"accuracy run file {name} cannot be used: {why}", expected=expected, found=why)
