"""TP: package rules: folders, result counts, olympic allowance, seeds and cross-checks between files."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Problem, Severity
from checker.registry import rule
from checker.training.context import BenchmarkContext, SubmitterContext

KNOWN_EXTRAS = {"scaling.json", "power/"}
KNOWN_FLAGS = {"rcp-bypass", "seed-checker-bypass", "rcp-bert-train-samples"}


@rule("TP001", "result-count", suite="training", fix="Submit exactly the required number of result_<k>.txt files.")
def result_count(ctx: BenchmarkContext) -> Iterator[Problem]:
    """The number of ``result_*.txt`` files differs from what the benchmark requires.

    Fails: 9 bert logs (10 required). Passes: 10.
    """
    if not ctx.allowed:
        return
    need, have = ctx.meta["runs"], len(ctx.runs)
    if have != need:
        yield Problem(
            ctx.rel(ctx.bdir.path), f"{have} result files, {ctx.benchmark} requires {need}", expected=need, found=have
        )


@rule("TP002", "benchmark-unknown", suite="training", fix="Name the folder after one of the round's benchmarks.")
def benchmark_unknown(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A benchmark folder name is not a benchmark of this round (the official tool silently skips it).

    Fails: ``results/sys/resnet/`` in v4.1. Passes: ``results/sys/bert/``.
    """
    if not ctx.allowed:
        yield Problem(
            ctx.rel(ctx.bdir.path),
            f"{ctx.benchmark!r} is not a benchmark of {ctx.rules['round']}",
            expected=sorted(ctx.rules["benchmarks"]),
            found=ctx.benchmark,
        )


@rule(
    "TP003",
    "too-many-failed-runs",
    suite="training",
    fix="Replace the failing runs; olympic scoring tolerates only the allowed number of non-compliant runs.",
)
def too_many_failed_runs(ctx: BenchmarkContext) -> Iterator[Problem]:
    """More runs fail compliance (or, with power results, the power layout) than olympic scoring allows (1).

    Fails: two bert logs without run_stop. Passes: one (reported as warnings, and dropped from the score).
    """
    n, allowed = len(ctx.bad_runs), ctx.meta["allowed_failures"]
    if ctx.allowed and n > allowed:
        yield Problem(
            ctx.rel(ctx.bdir.path),
            f"{n} runs fail compliance or the power layout, at most {allowed} may",
            expected=f"<= {allowed}",
            found=n,
        )


def _seed_applies(ctx: BenchmarkContext) -> bool:
    return ctx.allowed and ctx.closed and ctx.desc.division in ctx.rules["seeds"]["divisions"]


def _seed_severity(ctx: BenchmarkContext) -> tuple[Severity | None, str]:
    if ctx.flag("seed-checker-bypass"):
        return Severity.WARNING, " (seed-checker-bypass set: be ready to have this reviewed)"
    return None, ""


@rule(
    "TP004",
    "seed-missing",
    suite="training",
    fix="Log the run's seed with mllog (key 'seed', an integer) so that its file and line are recorded.",
)
def seed_missing(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A closed-division run logs no usable seed (none, not an integer, or no file/lineno metadata).

    Fails: a log without a ``seed`` line. Passes: ``seed`` = 6918 with metadata file and lineno.
    """
    if not _seed_applies(ctx):
        return
    sev, note = _seed_severity(ctx)
    for run in ctx.runs:
        seeds = run.log.by_key("seed")
        if not seeds:
            yield Problem(run.rel, "run logs no seed" + note, key="seed", severity=sev)
        for rec in seeds:
            if isinstance(rec.value, bool) or _as_int(rec.value) is None:
                yield Problem(
                    run.rel, f"seed {rec.value!r} is not an integer" + note, line=rec.line, key="seed", severity=sev
                )
            elif "file" not in rec.metadata or "lineno" not in rec.metadata:
                yield Problem(
                    run.rel, "seed lacks metadata file/lineno" + note, line=rec.line, key="seed", severity=sev
                )


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None


@rule("TP005", "seed-reused", suite="training", fix="Draw a fresh random seed for every run.")
def seed_reused(ctx: BenchmarkContext) -> Iterator[Problem]:
    """Two closed-division runs log the same seed from the same source file and line.

    Fails: result_1 and result_2 both log seed 42 at train.py:10. Passes: different seeds.
    """
    if not _seed_applies(ctx):
        return
    sev, note = _seed_severity(ctx)
    seen: dict[tuple[str, str, int], str] = {}
    for run in ctx.runs:
        for rec in run.log.by_key("seed"):
            value = None if isinstance(rec.value, bool) else _as_int(rec.value)
            if value is None or "file" not in rec.metadata or "lineno" not in rec.metadata:
                continue
            ident = (str(rec.metadata["file"]), str(rec.metadata["lineno"]), value)
            if ident in seen:
                yield Problem(
                    run.rel,
                    f"seed {value} at {ident[0]}:{ident[1]} already used by {seen[ident]}" + note,
                    line=rec.line,
                    key="seed",
                    found=value,
                    severity=sev,
                )
            else:
                seen[ident] = run.rel


@rule(
    "TP006",
    "stray-file",
    suite="training",
    severity=Severity.WARNING,
    fix="Remove files that are not result_<k>.txt, scaling.json, power/ or package_checker_params.",
)
def stray_file(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A benchmark folder holds a file the package format does not know.

    Fails: ``results/sys/bert/notes.txt``. Passes: only result logs and scaling.json.
    """
    for name in ctx.bdir.other_entries:
        if name not in KNOWN_EXTRAS:
            yield Problem(ctx.rel(ctx.bdir.path / name.rstrip("/")), f"unexpected entry {name!r} in a benchmark folder")


@rule(
    "TP007",
    "log-folder-mismatch",
    suite="training",
    fix="Put each log in the folder of the benchmark and "
    "system it reports, and log the division of the system description.",
)
def log_folder_mismatch(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A log's submission_benchmark differs from its folder, or its division from the system description.

    Why: no official tool cross-checks these, so a misfiled log is scored under the wrong benchmark.
    Fails: a bert log in ``results/sys/ssd/``. Passes: the log says "ssd".
    """
    if not ctx.allowed:
        return
    for run in ctx.runs:
        bench = run.log.first("submission_benchmark")
        if bench is not None and bench.value != ctx.benchmark:
            yield Problem(
                run.rel,
                f"log says benchmark {bench.value!r}, folder is {ctx.benchmark!r}",
                expected=ctx.benchmark,
                found=bench.value,
                line=bench.line,
                key="submission_benchmark",
            )
        div = run.log.first("submission_division")
        if div is not None and ctx.desc.division is not None and div.value != ctx.desc.division:
            yield Problem(
                run.rel,
                f"log says division {div.value!r}, system description says {ctx.desc.division!r}",
                expected=ctx.desc.division,
                found=div.value,
                line=div.line,
                key="submission_division",
            )


@rule(
    "TP008",
    "params-flag-ignored",
    suite="training",
    severity=Severity.WARNING,
    fix="Put one known flag per line; the official tool honours only a last line without a newline.",
)
def params_flag_ignored(ctx: BenchmarkContext) -> Iterator[Problem]:
    r"""A package_checker_params flag is unknown, or is one the official tool would silently ignore.

    Why: the official tool compares raw lines including their newline, so ``rcp-bypass\\n`` does nothing.
    Fails: ``rcp-bypass`` followed by a newline. Passes: ``rcp-bypass`` as the last line, no newline.
    """
    # System-level flags are reported once, with the system's first benchmark folder.
    first = bool(ctx.system.benchmarks) and ctx.system.benchmarks[0] == ctx.bdir
    for params in (ctx.system.params if first else None, ctx.bdir.params):
        if params is None:
            continue
        where = ctx.rel(params.path)
        if params.unreadable:
            yield Problem(where, f"cannot read: {params.unreadable}")
        for flag in sorted(params.flags):
            if flag not in KNOWN_FLAGS:
                yield Problem(where, f"unknown flag {flag!r}", expected=sorted(KNOWN_FLAGS), found=flag)
            elif flag not in params.official:
                yield Problem(where, f"flag {flag!r} ends with a newline: the official tool ignores it", found=flag)


@rule(
    "TP009",
    "system-description-missing",
    scope="submitter",
    suite="training",
    fix="Add systems/<system>.json for every results/<system>/ folder.",
)
def system_description_missing(ctx: SubmitterContext) -> Iterator[Problem]:
    """A results/<system>/ folder has no systems/<system>.json (the official package checker crashes).

    Fails: ``results/sysA/`` without ``systems/sysA.json``. Passes: both exist.
    """
    for system in ctx.submitter.systems:
        if not system.desc_path.is_file():
            yield Problem(
                ctx.rel(system.path),
                f"no system description {ctx.rel(system.desc_path)}",
                expected=ctx.rel(system.desc_path),
            )


@rule(
    "TP010",
    "submitter-layout",
    scope="submitter",
    suite="training",
    fix="Give each submitter folder a results/ and a systems/ folder.",
)
def submitter_layout(ctx: SubmitterContext) -> Iterator[Problem]:
    """A submitter folder lacks results/ or systems/, or has no result logs at all.

    Fails: ``Org/results/`` without ``Org/systems/``. Passes: both, with logs.
    """
    sub = ctx.submitter
    for name, ok in (("results", sub.has_results), ("systems", sub.has_systems)):
        if not ok:
            yield Problem(ctx.rel(sub.path), f"missing {name}/ folder", expected=f"{name}/")
    if sub.has_results and not any(b.result_files for s in sub.systems for b in s.benchmarks):
        yield Problem(ctx.rel(sub.path / "results"), "no results/<system>/<benchmark>/result_*.txt found")
