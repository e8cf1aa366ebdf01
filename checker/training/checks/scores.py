"""TC: scores: a folder that cannot be scored, or a scaling file that cannot be used."""

from __future__ import annotations

from collections.abc import Iterator

from checker.findings import Problem
from checker.registry import rule
from checker.training.context import BenchmarkContext


@rule(
    "TC001",
    "no-score",
    suite="training",
    fix="Provide enough valid runs: olympic scoring drops at most one failed run.",
)
def no_score(ctx: BenchmarkContext) -> Iterator[Problem]:
    """The folder gets no score: too many runs were dropped, or none remain after olympic trimming.

    Fails: 10 bert logs of which 2 lack run_stop. Passes: at most 1 dropped.
    """
    if not ctx.allowed or not ctx.runs:
        return
    sc = ctx.score
    if sc.score is None:
        why = (
            f"{sc.dropped} runs dropped (at most {ctx.rules['scoring']['drop_fastest']} may be)"
            if sc.too_many_dropped
            else "no run remains after olympic trimming"
        )
        yield Problem(ctx.rel(ctx.bdir.path), f"no score: {why}", found=sc.dropped)


@rule("TC002", "scaling-unusable", suite="training", fix='Write scaling.json as {"scaling_factor": <number>}.')
def scaling_unusable(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A committed scaling.json cannot be used (the official summarizer crashes on it).

    Fails: ``{"factor": 1.02}``. Passes: ``{"scaling_factor": 1.02}``.
    """
    if ctx.score.scaling_error:
        yield Problem(ctx.rel(ctx.bdir.path / "scaling.json"), ctx.score.scaling_error)
