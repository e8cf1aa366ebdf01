"""DV: what each division and availability category allows: benchmark names, model mapping, preview, inferred."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from checker.checks.accuracy import ENFORCED_DIVISIONS
from checker.context import ResultContext, SystemContext
from checker.findings import Problem, Severity
from checker.metrics import primary_metric
from checker.parsers.jsonfile import JsonDoc, parse_json_file
from checker.parsers.memo import per_run
from checker.registry import rule


@rule(
    "DV001",
    "closed-benchmark-name",
    fix="Name the folder exactly after the official benchmark (or its official alias), or submit to open.",
)
def closed_benchmark_name(ctx: ResultContext) -> Iterator[Problem]:
    """Closed and network results must run the exact benchmark: the folder is its name or an official alias.

    The official checker's substring guesses (``resnet50-int8`` -> resnet) and ``model_mapping.json``
    are for open results; a closed folder that only resolves through a guess is not the benchmark.

    Fails: a closed folder ``resnet50-digits`` (resolved only by guessing). Passes: ``resnet`` or its official alias
    ``resnet50``.
    """
    if ctx.unit.division not in ENFORCED_DIVISIONS or ctx.benchmark is None:
        return
    folder = ctx.unit.benchmark
    if folder in ctx.rules.models or ctx.rules["model_aliases"].get(folder) in ctx.rules.models:
        return
    yield Problem(
        ctx.rel(ctx.unit.result_dir.parent),
        f"'{folder}' is not the exact name of {ctx.benchmark}",
        expected=[ctx.benchmark, *[a for a, b in ctx.rules["model_aliases"].items() if b == ctx.benchmark]],
        found=folder,
    )


@rule(
    "DV002",
    "model-mapping-invalid",
    fix="Map each custom open model folder in model_mapping.json to an official benchmark name of the round.",
)
def model_mapping_invalid(ctx: ResultContext) -> Iterator[Problem]:
    """Open: ``model_mapping.json`` maps this result's folder to a name that is no benchmark of the round.

    Open results may use any model, but each must still stand for an official benchmark, so that
    its scenarios, metric and units are known; the mapping is how a custom name says which one.

    Fails: open ``model_mapping.json`` with ``{"my-net": "cats"}``. Passes: ``{"my-net": "resnet"}``.
    """
    if ctx.unit.division != "open":
        return
    path = ctx.unit.submitter_dir / "model_mapping.json"
    doc = _mapping(path)
    if doc is None:
        return
    if not doc.ok:
        # Reported once for each custom-named benchmark, the results that depend on the mapping.
        if ctx.unit.benchmark not in ctx.rules.models and ctx.unit.scenario_dir == ctx.first_scenario_dir:
            yield Problem(
                ctx.rel(path),
                f"model_mapping.json {doc.error}",
                line=doc.line,
                expected="a JSON object",
                found=doc.error,
            )
        return
    target = (doc.data or {}).get(ctx.unit.benchmark)
    if target is not None and target not in ctx.rules.models:
        yield Problem(
            ctx.rel(path),
            f"model_mapping.json maps '{ctx.unit.benchmark}' to '{target}', which is not a benchmark",
            key=ctx.unit.benchmark,
            expected=sorted(ctx.rules.models),
            found=target,
        )


@per_run(maxsize=64)
def _mapping(path: Path) -> JsonDoc | None:
    """A submitter's ``model_mapping.json`` (None when there is none), read once per run for all its open results."""
    return parse_json_file(path) if path.is_file() else None


@rule(
    "DV003",
    "preview-system",
    scope="system",
    severity=Severity.NOTICE,
    fix="Submit this system again as 'available' in the next round, as the preview category requires.",
)
def preview_system(ctx: SystemContext) -> Iterator[Problem]:
    """A ``preview`` system: its results must be re-submitted as ``available`` in the next round.

    The rules ask nothing more of a preview or ``rdi`` system description that a checker could
    verify (the submission checker only requires the status to be one of the three categories, SY001).

    Fails: ``status: preview`` (a notice). Passes: ``available`` or ``rdi``.
    """
    status = str(ctx.data.get("status", "")).strip().lower()
    if status == "preview" and ctx.has_results:
        yield Problem(
            ctx.rel(ctx.json_path),
            "preview system: its results must be re-submitted as available in the next round",
            key="status",
            expected="available next round",
            found=status,
        )


@rule(
    "DV004",
    "inferred-result",
    severity=Severity.NOTICE,
    fix="Nothing to fix: an inferred result is shown as inferred and never as a measured one.",
)
def inferred_result(ctx: ResultContext) -> Iterator[Problem]:
    """The result is inferred from another scenario's run (edge systems only; PE016 judges the pair).

    The table marks it ``inferred`` = 1; this notice makes the same visible in the findings.

    Fails: an edge Offline folder holding a SingleStream run (a notice). Passes: an Offline folder with an Offline run.
    """
    if ctx.scenario == "Interactive" or not ctx.perf_log.usable:
        return
    metric = primary_metric(ctx)
    if metric is not None and metric.inferred:
        yield Problem(
            ctx.rel(ctx.unit.result_dir),
            f"{ctx.scenario} result inferred from a {ctx.log_scenario} run",
            expected=ctx.scenario,
            found=ctx.log_scenario,
        )
