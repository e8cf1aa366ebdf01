"""TR: convergence against reference convergence points (RCPs), closed division only, as the official checker."""

from __future__ import annotations

import math
from collections.abc import Iterator

from checker.findings import Problem, Severity
from checker.registry import rule
from checker.training.context import BenchmarkContext

_BYPASS = " (rcp-bypass set: be ready to have this reviewed)"


def _severity(ctx: BenchmarkContext) -> tuple[Severity | None, str]:
    out = ctx.rcp
    if out is not None and out.passed:
        return Severity.WARNING, _BYPASS
    return None, ""


@rule(
    "TR001",
    "rcp-too-fast",
    suite="training",
    fix="Converge no faster than the reference allows, or submit an RCP for this batch size (bypass needs review).",
)
def rcp_too_fast(ctx: BenchmarkContext) -> Iterator[Problem]:
    """The runs converge faster than the reference convergence point allows for this batch size.

    Why: the olympic mean of the runs' convergence points must not beat the RCP mean by more than a
    one-sided t-test (alpha 0.05) accepts; between reference batch sizes the RCP is interpolated.
    Fails: bert at BS 448 with a mean of 2.0M samples (minimum 2.27M). Passes: 2.3M.
    """
    out = ctx.rcp
    if out is None or out.status not in ("Fail", "Interp. Fail"):
        return
    sev, note = _severity(ctx)
    kind = "interpolated RCP" if out.status == "Interp. Fail" else "RCP"
    yield Problem(
        ctx.rel(ctx.bdir.path),
        f"mean convergence {out.submission_mean:.6g} is below the {kind} minimum "
        f"{out.threshold:.6g} at BS {out.bs}" + note,
        expected=f">= {out.threshold:.6g}",
        found=out.submission_mean,
        severity=sev,
    )


@rule("TR002", "rcp-missing", suite="training", fix="Submit an RCP for this batch size (bypass needs review).")
def rcp_missing(ctx: BenchmarkContext) -> Iterator[Problem]:
    """No reference convergence point covers the batch size (above the largest, or below and faster).

    Fails: bert at a BS above every reference BS. Passes: a BS between two references.
    """
    out = ctx.rcp
    if out is None or out.status != "Missing":
        return
    sev, note = _severity(ctx)
    yield Problem(
        ctx.rel(ctx.bdir.path), out.message.replace(" passed using rcp_bypass", "") + note, found=out.bs, severity=sev
    )


@rule(
    "TR003",
    "rcp-undecidable",
    suite="training",
    fix="Log one global_batch_size per run, the same in every run, and make all but one run converge.",
)
def rcp_undecidable(ctx: BenchmarkContext) -> Iterator[Problem]:
    """The RCP test cannot be run: batch size missing or different between runs, or too few runs converged.

    Not bypassable, as officially. Fails: runs with BS 448 and 512 in one folder. Passes: one BS.
    """
    out = ctx.rcp
    if out is not None and out.status == "Unknown state":
        yield Problem(ctx.rel(ctx.bdir.path), out.message, found=out.bs)


@rule("TR004", "rcp-data-missing", suite="training", fix="Use a benchmark the round has reference data for.")
def rcp_data_missing(ctx: BenchmarkContext) -> Iterator[Problem]:
    """The round has no reference convergence data for this benchmark.

    Fails: a closed benchmark whose rcps_<benchmark>.json is absent. Passes: data present.
    """
    out = ctx.rcp
    if out is not None and out.status == "No RCP":
        yield Problem(ctx.rel(ctx.bdir.path), out.message)


@rule(
    "TR005",
    "scaling-mismatch",
    suite="training",
    fix="Commit the scaling.json the RCP test computes "
    '({"scaling_factor": RCP mean / submission mean}), or none when the factor is 1.',
)
def scaling_mismatch(ctx: BenchmarkContext) -> Iterator[Problem]:
    """The committed scaling.json differs from the RCP normalisation the rules require.

    Why: the published score is multiplied by the committed factor; a stale or missing file changes it.
    Fails: no scaling.json while the runs converge faster than the RCP mean. Passes: the computed factor.
    """
    out = ctx.rcp
    if out is None or out.status != "Pass":
        return
    have, error = ctx.score.scaling_factor, ctx.score.scaling_error
    if error:
        return  # TC002 reports an unusable file
    if not math.isclose(have, out.norm_factor, rel_tol=1e-9):
        path = ctx.rel(ctx.bdir.path / "scaling.json")
        yield Problem(
            path,
            f"scaling factor is {have!r}, the RCP test gives {out.norm_factor!r}",
            expected=out.norm_factor,
            found=have,
        )


@rule(
    "TR006",
    "convergence-unreadable",
    suite="training",
    severity=Severity.WARNING,
    fix="Log eval lines with the progress metadata the benchmark's RCP uses before run_stop.",
)
def convergence_unreadable(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A run's convergence point cannot be read, so the RCP test counts it as not converged.

    Fails: run_stop status success with no eval line before it. Passes: an eval with epoch_num first.
    """
    if ctx.rcp is None:
        return
    for run, conv in zip(ctx.runs, ctx.convergences, strict=True):
        if conv.problem:
            yield Problem(run.rel, conv.problem)
