"""Which results a report rejects, and why: the one answer the text, JUnit and SARIF reports share.

A result can be rejected by its own findings, through its system description (``system:SY003`` in
the row's Findings, or ``system`` after waivers) or by a failing audit on it. Reporters must not each
re-derive this, or a result rejected only through its system passes in one format and fails in another.
"""

from __future__ import annotations

from typing import Any


def rejections(report: Any) -> dict[str, list[str]]:
    """Result location -> the codes that reject it (``["rejected"]`` when nothing more is known)."""
    reasons: dict[str, list[str]] = {}
    locations: set[str] = set()

    def add(rel: str, codes: list[str]) -> None:
        known = reasons.setdefault(rel, [])
        known += [c for c in codes if c not in known]

    for row in report.rows:
        rel = str(row.get("Location") or "")
        if not rel:
            continue
        locations.add(rel)
        if "Valid" in row and not row["Valid"]:
            add(rel, str(row.get("Findings") or "").split())
    for rel in report.rejected:
        locations.add(rel)
        add(rel, [])
    for finding in report.findings:
        if finding.fails and finding.unit in locations:
            add(finding.unit, [finding.code])
    return {rel: codes or ["rejected"] for rel, codes in reasons.items()}


def uncovered(report: Any) -> dict[str, list[str]]:
    """Rejected results -> the reasons no failing finding *on that result* shows (e.g. ``system:SY003``)."""
    own: dict[str, set[str]] = {}
    for finding in report.findings:
        if finding.fails:
            own.setdefault(finding.unit, set()).add(finding.code)
    out: dict[str, list[str]] = {}
    for rel, codes in rejections(report).items():
        missing = [c for c in codes if c not in own.get(rel, set())]
        if missing:
            out[rel] = missing
    return out
