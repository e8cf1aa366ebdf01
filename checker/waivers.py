"""Waivers: the one way to accept a finding: a rule code, a path glob, a reason, an approver, an expiry.

A waived finding is still reported (marked waived) but does not fail the run. Waivers rot, so an
expired waiver stops applying and is a finding itself (WV001, warning: the finding it covered fails
again on its own), and a waiver that matched nothing is a finding too (WV002, warning). A file
that is not valid against ``schemas/waivers.schema.json`` cannot be used at all (WV003, exit 2).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from checker.engine import Selection, emit
from checker.findings import Finding, Problem
from checker.parsers.text import INPUT_CAP, read_text
from checker.registry import load_all
from checker.schemas import json_path, validator


class WaiverError(Exception):
    """The waiver file cannot be used (exit code 2); the message names the JSON path of the problem."""

    def __init__(self, path: Path | str, json_path: str, message: str) -> None:
        super().__init__(f"WV003 invalid waiver file {path}: {json_path}: {message}")
        self.path = str(path)
        self.json_path = json_path


@dataclass(frozen=True)
class Waiver:
    """One validated waiver; ``source``/``line`` say where it is written, for findings about it."""

    code: str
    path: str
    reason: str
    approved_by: str
    expires: date
    source: str = ""
    line: int | None = None

    def expired(self, today: date) -> bool:
        return today > self.expires

    def matches(self, finding: Finding) -> bool:
        return finding.code == self.code and fnmatchcase(finding.path, self.path)

    @property
    def note(self) -> str:
        return f"{self.reason} (approved by {self.approved_by}, until {self.expires.isoformat()})"


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps dates as written: the schema checks them, and 2025-02-30 must be an error, not a crash."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def _item_lines(text: str) -> list[int]:
    """1-based line of each top-level list item, so findings about a waiver point at it."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


def load_waivers(path: Path, shown_as: str | None = None) -> list[Waiver]:
    """Read and validate a waiver file; raises :class:`WaiverError` naming the JSON path of a problem."""
    read = read_text(path, INPUT_CAP, allow_empty=True, strict=True)  # bounded; a FIFO is refused, not waited on
    if not read.ok:
        raise WaiverError(path, "$", f"cannot read: {read.error}")
    text = read.text
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise WaiverError(path, "$", f"not valid YAML: {exc}") from exc
    if data is None:
        data = []
    errors = sorted(validator("waivers.schema.json").iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise WaiverError(path, json_path(errors[0].absolute_path), errors[0].message)
    registry = load_all()
    lines = _item_lines(text)
    waivers: list[Waiver] = []
    for i, item in enumerate(data):
        if item["code"] not in registry:
            close = difflib.get_close_matches(item["code"], list(registry), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise WaiverError(path, f"$[{i}].code", f"unknown rule code {item['code']!r}{hint}")
        if item["code"].startswith("WV"):
            raise WaiverError(path, f"$[{i}].code", "findings about waivers cannot be waived")
        try:
            expires = date.fromisoformat(item["expires"])
        except ValueError as exc:
            raise WaiverError(path, f"$[{i}].expires", f"not a date: {item['expires']!r}") from exc
        waivers.append(
            Waiver(
                item["code"],
                item["path"],
                item["reason"],
                item["approved_by"],
                expires,
                source=shown_as or str(path),
                line=lines[i] if i < len(lines) else None,
            )
        )
    return waivers


def _in_scope(waiver: Waiver, checked_paths: Collection[str] | None) -> bool:
    """Whether the run could have produced the waiver's findings (always, for a full check)."""
    if checked_paths is None:
        return True
    return any(fnmatchcase(p, waiver.path) for p in checked_paths)


def apply_waivers(
    findings: list[Finding],
    waivers: list[Waiver],
    today: date,
    checked_paths: Collection[str] | None = None,
    selection: Selection | None = None,
) -> list[Finding]:
    """Mark the findings a live waiver matches as waived, and add WV001/WV002 findings about the waivers.

    ``checked_paths`` limits unused-waiver findings to waivers whose glob matches one of these paths
    (the incremental CI run checks only part of the tree); None means the whole tree was checked.
    """
    live = [w for w in waivers if not w.expired(today)]
    used: set[int] = set()
    out: list[Finding] = []
    for finding in findings:
        match = next((i for i, w in enumerate(live) if w.matches(finding)), None)
        if match is None or finding.waived:
            out.append(finding)
            continue
        used.add(match)
        out.append(finding.with_waiver(live[match].note))
    selection = selection or Selection()
    for waiver in waivers:
        if waiver.expired(today):
            message = f"waiver for {waiver.code} on '{waiver.path}' expired"
            out += emit("WV001", _about(waiver, message, today), ".", selection)
    for i, waiver in enumerate(live):
        if i not in used and _in_scope(waiver, checked_paths):
            message = f"waiver for {waiver.code} on '{waiver.path}' matched no finding"
            out += emit("WV002", _about(waiver, message), ".", selection)
    return out


def _about(waiver: Waiver, message: str, today: date | None = None) -> Problem:
    return Problem(
        waiver.source,
        message,
        expected=f"expires >= {today.isoformat()}" if today else None,
        found=waiver.expires.isoformat() if today else None,
        line=waiver.line,
    )


def apply_waiver_file(
    report: Any,
    waiver_file: Path,
    today: date | None = None,
    checked_paths: Collection[str] | None = None,
    selection: Selection | None = None,
) -> None:
    """Load ``waiver_file`` and apply it to ``report`` in place (findings, and the verdict of each result).

    Raises :class:`WaiverError` for a broken file; the caller exits 2 with its message.
    """
    shown = _shown_path(waiver_file, Path(report.root))
    waivers = load_waivers(waiver_file, shown)
    report.findings = apply_waivers(report.findings, waivers, today or date.today(), checked_paths, selection)
    resettle(report)


def _shown_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def resettle(report: Any) -> None:
    """Recompute each result's verdict after waivers changed what fails: the engine's one verdict function."""
    if not report.results:
        return
    from checker.rounds import Round
    from checker.suites import suite_named

    suite_named(report.suite).finish(report, Round(report.suite, report.version, {"benchmarks": report.benchmarks}))
