"""EP4: what must be the same at every point of a curve: the system, the model and the seeds (§4.6, §8.1, §8.5)."""

from __future__ import annotations

from collections.abc import Iterator

from checker.endpoints.context import CurveContext
from checker.findings import Problem
from checker.registry import rule
from checker.schemas import errors_of, json_path


def _canonical(name: str) -> str:
    """§8.1's folder spelling of a model name: ``meta-llama/Llama-3.1-8B`` -> ``Llama-3_1-8B``."""
    import re

    part = name.split("/")[-1].strip()
    return re.sub(r"_+", "_", re.sub(r"[^\w\-]", "_", part)).strip("_")[:64]


@rule(
    "EP401",
    "system-desc-inconsistent",
    suite="endpoints",
    fix="Describe the same system at every point; only parallelism, batch and tps_utilization may vary (§8.5).",
)
def system_desc_inconsistent(ctx: CurveContext) -> Iterator[Problem]:
    """Two points of one curve describe different systems: a ``system_desc.json`` field other than the per-point
    ones (parallelism, batch, utilisation) differs from the first point's (§8.5).

    Fails: ``serving_framework`` "vLLM 0.9" at r16 and "SGLang" at r256. Passes: the same at every point.
    """
    skip = set(ctx.rules["system_desc"]["per_point_fields"])
    base_point = next((p for p in ctx.points if p.doc("system_desc.json").ok), None)
    if base_point is None:
        return
    base = base_point.doc("system_desc.json").data or {}
    for point in ctx.points:
        data = point.doc("system_desc.json").data
        if data is None or point is base_point:
            continue
        for key in sorted((set(base) | set(data)) - skip):
            if base.get(key) != data.get(key):
                yield Problem(
                    ctx.rel(point.path / "system_desc.json"),
                    f"{key} differs from r{base_point.concurrency}'s",
                    expected=base.get(key),
                    found=data.get(key),
                    key=key,
                )


@rule(
    "EP402",
    "model-name-inconsistent",
    suite="endpoints",
    fix="Declare in point.yaml the model the folder is named after, in §8.1's spelling (letters, digits, _ and -).",
)
def model_name_inconsistent(ctx: CurveContext) -> Iterator[Problem]:
    """A point's ``model_name`` is not the model folder it sits in (§8.1).

    Fails: ``llama3_1-8b/r16/point.yaml`` says ``model_name: llama2-70b``. Passes: ``llama3_1-8b``.
    """
    for point in ctx.points:
        name = point.point.get("model_name")
        if isinstance(name, str) and name and _canonical(name) != ctx.curve.model:
            yield Problem(
                ctx.rel(point.path / "point.yaml"),
                f"model_name {name!r} is not the folder's model {ctx.curve.model!r}",
                expected=ctx.curve.model,
                found=name,
                key="model_name",
            )


@rule(
    "EP403",
    "seed-set-mismatch",
    suite="endpoints",
    fix="Bind one published seed set (seed_set in point.yaml) and run with exactly its seeds (§4.6).",
)
def seed_set_mismatch(ctx: CurveContext) -> Iterator[Problem]:
    """A point names no published seed set, the curve's points name different sets, or a point's runtime seeds are
    not its set's (§4.6).

    Fails: ``seed_set: A`` with ``model_seed: 42``. Passes: set A's three seeds.
    """
    sets = ctx.rules["seed_sets"]
    named = {str(p.point.get("seed_set")) for p in ctx.points if p.doc("point.yaml").ok}  # a list is no set member
    if len(named) > 1:
        yield Problem(ctx.rel(ctx.curve.path), "points bind different seed sets", expected=1, found=sorted(named))
    for point in ctx.points:
        if not point.doc("point.yaml").ok:
            continue
        path = ctx.rel(point.path / "point.yaml")
        chosen = point.point.get("seed_set")
        if not isinstance(chosen, str) or chosen not in sets:
            yield Problem(
                path, f"seed_set {chosen!r} is not a published set", expected=sorted(sets), found=chosen, key="seed_set"
            )
            continue
        settings = point.point.get("runtime_settings")
        runtime = settings.get("runtime") if isinstance(settings, dict) else None
        runtime = runtime if isinstance(runtime, dict) else {}
        for name, value in sets[chosen].items():
            if runtime.get(name) != value:
                yield Problem(
                    path, f"{name} is not seed set {chosen}'s", expected=value, found=runtime.get(name), key=name
                )


@rule(
    "EP404",
    "system-desc-invalid",
    suite="endpoints",
    fix="Give system_desc.json every §8.2 field (schemas/endpoints/system-desc.schema.json), with availability_url "
    "for an Available system and target_availability_date for a Preview one.",
)
def system_desc_invalid(ctx: CurveContext) -> Iterator[Problem]:
    """A point's ``system_desc.json`` breaks §8.2: a required field is missing or has the wrong type, or an
    Available system has no ``availability_url`` (a Preview one no ``target_availability_date``).

    Fails: a node type without ``driver``. Passes: the fixture's description.
    """
    for point in ctx.points:
        doc = point.doc("system_desc.json")
        if doc.data is None:
            continue
        for error in errors_of("endpoints/system-desc.schema.json", doc.data):
            where = json_path(error.absolute_path)
            yield Problem(ctx.rel(doc.path), f"{where}: {error.message}", key=where)
