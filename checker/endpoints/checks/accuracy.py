"""EP3: accuracy at the points that must carry it, and the model's quality targets (§4.3, §5.3, §15).

Scores are read from ``accuracy_results.json`` (:func:`checker.parsers.endpoints.accuracy`); a metric reported by
several datasets is their sample-weighted mean, and a fraction (0..1) is compared as a percentage, as the
policies' scorers report fractions and the targets are percentages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from checker.endpoints.context import CurveContext, Point
from checker.findings import Problem, Severity
from checker.parsers.endpoints import Accuracy
from checker.registry import rule


def _score(acc: Accuracy, metric: str, only: bool) -> float | None:
    pairs = [(e.scores[metric], e.samples or 1) for e in acc.entries if metric in e.scores]
    if not pairs and only:
        pairs = [(e.scores["score"], e.samples or 1) for e in acc.entries if "score" in e.scores]
    if not pairs:
        return None
    return sum(v * w for v, w in pairs) / sum(w for _, w in pairs)


def _gate(point: Point, spec: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any, str]]:
    """(message, expected, found, metric) for each target the point's accuracy misses."""
    acc = point.accuracy
    assert acc is not None
    targets = spec["accuracy_targets"]
    only = len({t["metric"] for t in targets if t.get("required", True)}) == 1
    for target in targets:
        value = _score(acc, target["metric"], only)
        bound = target.get("min", target.get("max"))
        if value is None:
            if target.get("required", True):
                yield f"no {target['metric']} score", f"{target['metric']} reported", None, target["metric"]
            continue
        if 0.0 <= value <= 1.0 and bound > 1.0:
            value *= 100.0
        if "min" in target and value < target["min"]:
            yield (
                f"{target['metric']} = {value:.4f} < {target['min']:.4f}",
                f">= {target['min']}",
                value,
                target["metric"],
            )
        if "max" in target and value > target["max"]:
            yield (
                f"{target['metric']} = {value:.4f} > {target['max']:.4f}",
                f"<= {target['max']}",
                value,
                target["metric"],
            )


@rule(
    "EP301",
    "accuracy-below-target",
    suite="endpoints",
    fix="Meet every accuracy target of the benchmark model at every accuracy point (§15).",
)
def accuracy_below_target(ctx: CurveContext) -> Iterator[Problem]:
    """An accuracy point misses the model's quality target, lacks a required metric, or scored too few samples or
    does not say how many (§15).

    Fails: llama3.1-8b with ROUGE-1 38.0 (target 38.3914). Passes: 38.91.
    """
    if ctx.model is None:
        return  # EP303
    _name, spec = ctx.model
    for point in ctx.accuracy_points:
        if point.accuracy is None:
            continue  # EP003
        path = ctx.rel(point.path / ctx.rules["layout"]["accuracy_file"])
        for message, expected, found, metric in _gate(point, spec):
            yield Problem(path, f"r{point.concurrency}: {message}", expected=expected, found=found, key=metric)
        need, got = spec.get("accuracy_samples"), point.accuracy.samples
        if need is not None and got is None:
            yield Problem(path, f"r{point.concurrency}: the number of accuracy samples is not reported", expected=need)
        elif need is not None and got is not None and got < need:
            yield Problem(path, f"r{point.concurrency}: {got} accuracy samples < {need}", expected=need, found=got)


def _bands(ctx: CurveContext, point: Point) -> list[str]:
    regions = ctx.regions
    if regions is None:
        return []
    found = regions.bands([point.concurrency], ctx.rules["regions"]["margin_counts_as_high"])
    names = [name for name, points in found.items() if points]
    if point.offline in ("dedicated", "elected") and not ctx.agentic:
        names = ["offline", *names]  # only the Offline point fills the Offline slot; elected, it may fill High too
    return names


def _match(options: dict[int, list[str]]) -> dict[str, int]:
    """Each band to at most one accuracy point and each point to at most one band (augmenting paths)."""
    owner: dict[str, int] = {}

    def augment(c: int, seen: set[str]) -> bool:
        for band in options[c]:
            if band not in seen:
                seen.add(band)
                if band not in owner or augment(owner[band], seen):
                    owner[band] = c
                    return True
        return False

    for c in sorted(options):
        augment(c, set())
    return owner


@rule(
    "EP302",
    "accuracy-coverage",
    suite="endpoints",
    fix="Run accuracy once in each mandatory region (Ultra Low, Low, Medium, High) and at the Offline point, and "
    "nowhere else (§4.3, §5.3).",
)
def accuracy_coverage(ctx: CurveContext) -> Iterator[Problem]:
    """A mandatory region or the Offline point has no accuracy result, or a result fills no required slot (§4.3,
    §5.3: exactly one per mandatory region plus the Offline point).

    Fails: no accuracy_results.json in the Low region. Passes: r16, r20, r88, r256 and the Offline r1000.
    """
    if ctx.regions is None or not ctx.points:
        return
    options = {p.concurrency: _bands(ctx, p) for p in ctx.accuracy_points}
    owner = _match(options)
    required = ["ultra_low", "low", "medium", "high"] + ([] if ctx.agentic else ["offline"])
    missing = [band for band in required if band not in owner]
    where = ctx.rel(ctx.curve.path)
    if not ctx.accuracy_points:
        yield Problem(where, "no point carries accuracy_results.json", expected=required, found=[])
        return
    if missing:
        yield Problem(where, f"no accuracy result for: {', '.join(missing)}", expected=required, found=sorted(owner))
    extra = sorted(set(options) - set(owner.values()))
    if extra:
        listed = ", ".join(f"r{c}" for c in extra)
        yield Problem(where, f"accuracy results at {listed} fill no required slot", expected="none", found=listed)


@rule(
    "EP303",
    "accuracy-model-unknown",
    suite="endpoints",
    severity=Severity.WARNING,
    fix="Name the model folder after a benchmark model of the round (rules/endpoints/<round>.yaml models).",
)
def accuracy_model_unknown(ctx: CurveContext) -> Iterator[Problem]:
    """The curve's model folder matches no benchmark model with accuracy targets, so its accuracy is not gated.

    Fails: ``results/sys/my-model/``. Passes: ``llama3_1-8b``.
    """
    if ctx.model is None and ctx.points:
        yield Problem(ctx.rel(ctx.curve.path), f"no accuracy targets for {ctx.curve.model!r}", found=ctx.curve.model)
