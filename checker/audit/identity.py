"""AU001-AU002: one system name, one description. A name that stands for different hardware misleads readers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.audit.base import AuditContext, AuditProblem, audit_rule
from checker.audit.frame import normalise


def _canonical(value: Any, none_values: set[str]) -> str:
    text = normalise(value)
    if text in none_values:
        return "(none)"
    try:
        number = float(text)
        return str(int(number)) if number.is_integer() else str(number)
    except ValueError:
        return text


@audit_rule(
    "AU001",
    "system-described-differently",
    fix="Make every systems/*.json that uses this system_name describe the same hardware, or rename the systems.",
)
def system_described_differently(ctx: AuditContext) -> Iterator[AuditProblem]:
    """Several system JSONs share a system_name but disagree on hardware (accelerators, counts, host CPU).

    Readers of the results table identify a system by its name; when two descriptions with that name list
    a different accelerator count or host processor, at least one result is attributed to the wrong
    hardware. Compared fields and the spellings of "none" are in rules/audit/defaults.yaml (identity).

    Fails: two system JSONs named 'X' with 8 and 4 accelerators.
    Passes: every JSON of one system name describes the same hardware.
    """
    cfg = ctx.config["identity"]
    none_values = {normalise(v) for v in cfg["none_values"]}
    systems = ctx.systems[ctx.systems["system_key"] != ""]
    for key, group in systems.groupby("system_key", sort=True):
        if len(group) < 2:
            continue
        differing = {}
        for name in cfg["system_fields"]:
            canon = group[name].map(lambda v: _canonical(v, none_values))
            if canon.nunique() > 1:
                differing[name] = {row["path"]: row[name] for _, row in group.iterrows()}
        if not differing:
            continue
        paths = list(group["path"])
        prefixes = tuple(f"{r.division}/{r.submitter}/results/{r.system}/" for r in group.itertuples())
        results = sorted(loc for loc in ctx.frame["Location"] if loc.startswith(prefixes))
        fields = ", ".join(
            f"{name}: " + " vs ".join(sorted({repr(v) for v in values.values()})) for name, values in differing.items()
        )
        yield AuditProblem(
            paths[0],
            f"system name {group['system_name'].iloc[0]!r} is described differently in {len(paths)} files ({fields})",
            expected="one description per system name",
            found=differing,
            key=next(iter(differing)),
            extra={"system_name": key, "files": paths, "differing": differing, "results": results},
        )


@audit_rule(
    "AU002",
    "result-notes-differ",
    fix="Use one set of notes for one system name, or give differently configured systems different names.",
)
def result_notes_differ(ctx: AuditContext) -> Iterator[AuditProblem]:
    """Results of one system name carry different notes (hw_notes/sw_notes) in the results table.

    Notes explain what is special about a system (a power cap, a preview part, a cloud instance). When the
    same name appears with different notes, a reader cannot tell which configuration produced which number.

    Fails: one system name with two different hw_notes.
    Passes: the same notes on every result of a system.
    """
    fields = ctx.config["identity"]["result_fields"]
    frame = ctx.frame[ctx.frame["system_key"] != ""]
    for key, group in frame.groupby("system_key", sort=True):
        for name in fields:
            if name not in group:
                continue
            texts = group[name].fillna("").map(normalise)
            if texts.nunique() < 2:
                continue
            variants: dict[str, list[str]] = {}
            for location, raw in zip(group["Location"], group[name].fillna(""), strict=False):
                variants.setdefault(str(raw), []).append(location)
            first = group["Location"].iloc[0]
            results = sorted(group["Location"])
            yield AuditProblem(
                first,
                f"system name {group['SystemName'].iloc[0]!r} appears with {len(variants)} different {name} "
                f"across {len(group)} results",
                expected=f"one {name} text per system name",
                found={text[:200]: locs[:5] for text, locs in variants.items()},
                key=name,
                extra={"system_name": key, "field": name, "variants": variants, "results": results},
            )
