"""The human-readable reproduce report: verdict, hardware side by side, the claim's consistency, the rows."""

from __future__ import annotations

from typing import Any

from .hardware import format_block

HEADLINE = {
    "reproduced": "REPRODUCED",
    "not_reproduced": "NOT REPRODUCED",
    "inconclusive": "INCONCLUSIVE",
    "cannot_reproduce": "CANNOT REPRODUCE",
}


def fmt(value: Any) -> str:
    """Numbers as the results table shows them: thousands separators, small values with 4 significant digits."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:,.3f}"
    return f"{value:.4g}"


def _mark(item: dict[str, Any]) -> str:
    """Verdict word (ok, FAIL, inconclusive); informational rows say 'slower (info)' where they are only slower."""
    verdict = item["verdict"]
    if verdict is None:
        return "n/a"
    if item["informational"]:
        word = "ok" if verdict == "ok" else ("slower" if item["better"] == "lower" else "lower")
        if item["key"] == "result_validity" and verdict != "ok":
            word = "not valid"
        return f"{word} (info)"
    return {"ok": "ok", "miss": "FAIL", "inconclusive": "inconclusive"}[verdict]


def _needs(report: dict[str, Any]) -> list[str]:
    need = report.get("needs")
    if not need:
        return []
    size = f" ({need['dataset_size']:,} samples)" if need.get("dataset_size") else ""
    lines = [f"  needs model:   {need['model']}", f"  needs dataset: {need['dataset']}{size}"]
    return lines + [f"  needs:         {extra}" for extra in need["also"]]


def _consistency(report: dict[str, Any]) -> list[str]:
    checks = report.get("consistency") or []
    broken = [c for c in checks if not c["ok"]]
    if not checks:
        return []
    if not broken:
        noun = "check" if len(checks) == 1 else "checks"
        return [f"  claim consistency: ok ({len(checks)} {noun} on the claimed log's own numbers)"]
    return [f"  INCONSISTENT CLAIM: {c['check']}: {c['detail']}" for c in broken]


def _stats(report: dict[str, Any]) -> list[str]:
    stats = report.get("primary") or {}
    if "median" not in stats:
        return []
    runs = len(stats["runs"])
    lines = [
        f"  {runs} run{'s' if runs != 1 else ''} ({stats['units']}): min {fmt(stats['min'])}"
        f"  median {fmt(stats['median'])}  max {fmt(stats['max'])}"
        f"  spread {stats['spread']:.1%}  best {fmt(stats['best'])}"
    ]
    if report.get("slowed_runs_made_again"):
        made = report["slowed_runs_made_again"]
        lines.append(f"  {made} more run(s) made: other work slowed them past 1.15x the pace")
    return lines


def _load(report: dict[str, Any]) -> list[str]:
    load = report.get("load") or {}
    peak = max((v for v in (load.get("before"), load.get("after")) if v is not None), default=None)
    if peak is None:
        return []
    busy = (load.get("before") or 0) >= load["cpus"]
    note = ": busy, so throughput may read low and latency high" if busy else ""
    return [
        f"  machine load: {load.get('before')} before, {load.get('after')} after the runs (1-minute average)"
        f" on {load['cpus']} CPUs{note}"
    ]


def _closing(report: dict[str, Any]) -> list[str]:
    stats = report.get("primary") or {}
    primary = next((it for it in report.get("items", []) if it.get("primary")), None)
    lines = _load(report)
    if report["status"] == "inconclusive" and stats.get("inconclusive_because") != "spread":
        load = report.get("load") or {}
        lines.append(
            f"  inconclusive: the claim was missed while other work filled the machine (load {load.get('before')}"
            f" on {load.get('cpus')} CPUs before the runs): re-run on an idle machine"
        )
    elif report["status"] == "inconclusive":
        lines.append(
            f"  inconclusive: the runs vary by {stats['spread']:.1%}"
            f" (more than the {report['tolerance']:.0%} tolerance)"
            f" and the claim is {stats['excess']:.1%} beyond the best run, within that variation:"
            " re-run on an idle machine or raise --repeat"
        )
    if primary and primary["informational"]:
        lines.append("  the verdict rests on accuracy and the claim's consistency: the hardware differs")
    return lines


def format_text(report: dict[str, Any]) -> str:
    """Side-by-side text of a :func:`reference_sut.reproduce.reproduce` report."""
    head = f"{report.get('benchmark')} / {report.get('scenario')} ({report.get('result_dir')})"
    lines = [f"{HEADLINE.get(report['status'], report['status'].upper())} {head}"]
    if report.get("reason"):
        lines.append(f"  reason: {report['reason']}")
    lines += _needs(report)
    if report.get("hardware"):
        lines += format_block(report["hardware"])
    lines += _consistency(report)
    if not report.get("items"):
        return "\n".join(lines) + "\n"
    lines.insert(
        1,
        f"  backend={report['backend']} device={report['device']} {report.get('pace') or 'unpaced'}"
        f" tolerance={report['tolerance']:.0%} repeat={report['repeat']} ({report['seconds']} s)",
    )
    lines += _stats(report)
    lines.append(f"  {'item':<20} {'claimed':>16} {'measured':>16} {'ratio':>7}  verdict")
    for it in report["items"]:
        ratio = f"{it['ratio']:.3f}" if it["ratio"] is not None else "-"
        name = f"{it['name']} (best)" if it.get("primary") else it["name"]
        lines.append(f"  {name:<20} {fmt(it['claimed']):>16} {fmt(it['measured']):>16} {ratio:>7}  {_mark(it)}")
    lines += _closing(report)
    return "\n".join(lines) + "\n"
