"""AU030-AU033: evidence that should be unique to one run is found twice, or matches the reference exactly.

Every LoadGen detail log carries its own timestamps, so two byte-identical logs mean one run was filed under
two results. Only the files a result points at are hashed, and only files whose size matches another's, so
a whole round costs a few hundred hashes rather than a gigabyte of reading.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pandas as pd

from checker.audit.base import AuditContext, AuditProblem, audit_rule

_PAIR = re.compile(r"([A-Za-z0-9_\-]+):\s*(-?[\d.]+(?:[eE][-+]?\d+)?)")


def _digest(path: str) -> str:
    """The file's content digest; OSError for anything but a readable regular file (the caller skips it)."""
    digest = hashlib.blake2b(digest_size=20)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the audit
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digests(ctx: AuditContext, kind: str) -> dict[str, str]:
    """Location -> digest of the result's ``kind`` file, for files whose size another such file shares."""
    cache: dict[str, dict[str, str]] = ctx.cache.setdefault("digests", {})
    if kind in cache:
        return cache[kind]
    cfg = ctx.config["evidence"]
    relative = cfg["files"][kind]
    by_size: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for location in ctx.frame["Location"]:
        path = os.path.join(ctx.root, location, relative)
        try:
            size = os.stat(path).st_size
        except OSError:
            continue
        if size >= cfg["min_file_bytes"]:
            by_size[size].append((location, path))
    digests = {}
    for members in by_size.values():
        if len(members) > 1:
            for location, path in members:
                try:
                    digests[location] = _digest(path)
                except OSError:
                    continue
    cache[kind] = digests
    return digests


def _identity(frame: pd.DataFrame) -> pd.Series:
    """A result with its benchmark's -99/-99.9 suffix removed: one run may legitimately serve both."""
    parts = frame["Location"].str.rsplit("/", n=2)
    return parts.str[0] + "/" + frame["base_model"] + "/" + parts.str[-1]


def duplicate_groups(ctx: AuditContext, kind: str) -> list[list[str]]:
    """Groups of results whose ``kind`` file is byte-identical, beyond the -99/-99.9 variants of one result."""
    digests = file_digests(ctx, kind)
    frame = ctx.frame.set_index("Location", drop=False)
    identity = _identity(frame)
    groups: dict[str, list[str]] = defaultdict(list)
    for location, digest in digests.items():
        groups[digest].append(location)
    return sorted(
        sorted(members) for members in groups.values() if len({identity[m] for m in members}) > 1
    )  # fmt: skip


def _describe(ctx: AuditContext, members: list[str]) -> tuple[list[str], list[str]]:
    """Submitters and systems (submitter/system folder) of ``members``."""
    rows = ctx.frame.set_index("Location").loc[members]
    return sorted(set(rows["Organization"])), sorted(set(rows["Organization"] + "/" + rows["Platform"]))


@audit_rule(
    "AU030",
    "identical-detail-logs",
    fix="File each result with the log of its own run; a detail log copied between results is not evidence.",
)
def identical_detail_logs(ctx: AuditContext) -> Iterator[AuditProblem]:
    """Byte-identical performance/run_1/mlperf_log_detail.txt under different results or submitters.

    A detail log records the run's own timestamps and settings, so two results cannot share one unless a log
    was copied. The -99 and -99.9 variants of one system, benchmark and scenario may share a run and are
    not reported.

    Fails: the same mlperf_log_detail.txt bytes under two results.
    Passes: logs that differ.
    """
    relative = ctx.config["evidence"]["files"]["detail"]
    for members in duplicate_groups(ctx, "detail"):
        submitters, systems = _describe(ctx, members)
        yield AuditProblem(
            f"{members[0]}/{relative}",
            f"byte-identical {relative} under {len(members)} results "
            f"(submitters: {', '.join(submitters)}; systems: {', '.join(systems)})",
            expected="one detail log per run",
            found=members,
            extra={"results": members, "submitters": submitters, "systems": systems,
                   "digest": file_digests(ctx, "detail")[members[0]]},
        )  # fmt: skip


@audit_rule(
    "AU031",
    "identical-accuracy-logs",
    fix="Confirm each system ran its own accuracy test; deterministic engines may match, copied logs may not.",
)
def identical_accuracy_logs(ctx: AuditContext) -> Iterator[AuditProblem]:
    """Byte-identical accuracy/mlperf_log_accuracy.json or accuracy/accuracy.txt under different systems.

    Identical accuracy logs on different systems happen when the same deterministic engine runs on the same
    kind of accelerator, and when an accuracy run is copied; a reviewer decides which. Each group of results
    is reported once, naming the files that match. LoadGen draws the accuracy samples in a fixed order, so a
    deterministic engine gives identical logs on every copy of one accelerator: with
    evidence.accuracy_same_accelerator_ok, groups on a single accelerator model are not reported.

    Fails: the same accuracy.txt bytes under two systems.
    Passes: accuracy files that differ.
    """
    files = ctx.config["evidence"]["files"]
    same_ok = ctx.config["evidence"]["accuracy_same_accelerator_ok"]
    sets: dict[tuple[str, ...], list[str]] = {}
    for kind in ("accuracy_log", "accuracy_txt"):
        for members in duplicate_groups(ctx, kind):
            sets.setdefault(tuple(members), []).append(files[kind])
    for members, names in sorted(sets.items()):
        submitters, systems = _describe(ctx, list(members))
        accelerators = set(ctx.frame.set_index("Location").loc[list(members), "accelerator"])
        if len(systems) < 2 or (same_ok and len(accelerators) < 2):
            continue
        yield AuditProblem(
            f"{members[0]}/{names[0]}",
            f"byte-identical {' and '.join(names)} under {len(members)} results on {len(systems)} systems with "
            f"{len(accelerators)} accelerator models (submitters: {', '.join(submitters)})",
            expected="an accuracy run per system",
            found=list(members),
            extra={
                "results": list(members),
                "files": names,
                "submitters": submitters,
                "systems": systems,
                "accelerators": sorted(accelerators),
            },
        )


def accuracy_values(text: Any, metrics: list[str]) -> dict[str, str]:
    """The Accuracy column as {metric: text}: v4.1 shows the first metric bare, later rounds 'name: value'."""
    text = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text).strip()
    if not text:
        return {}
    pairs = dict(_PAIR.findall(text))
    if pairs:
        return pairs
    return {metrics[0]: text} if metrics else {}


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


@audit_rule(
    "AU032",
    "identical-accuracy-values",
    fix="Show the accuracy runs of each system; an accuracy equal to many decimals elsewhere needs an explanation.",
)
def identical_accuracy_values(ctx: AuditContext) -> Iterator[AuditProblem]:
    """The same accuracy, printed with many decimals, on different systems (evidence.accuracy_min_decimals).

    Scores printed with many decimals (F1, AUC, CLIP) differ between independent runs; when the files
    themselves are identical AU031 already reports them, so this rule reports matches whose accuracy.txt differ.
    Like AU031, matches on a single accelerator model are expected from deterministic engines and skipped
    when evidence.accuracy_same_accelerator_ok is set.

    Fails: accuracy 76.45612 on two different systems.
    Passes: accuracies that differ, or print few decimals.
    """
    cfg = ctx.config["evidence"]
    txt = file_digests(ctx, "accuracy_txt")
    records = []
    for row in ctx.frame.itertuples(index=False):
        targets = [t["metric"] for t in ctx.rules.models.get(row.MlperfModel or "", {}).get("accuracy_targets", [])]
        for metric, value in accuracy_values(row.Accuracy, targets).items():
            if _decimals(value) >= cfg["accuracy_min_decimals"]:
                records.append(
                    (row.base_model, metric, value, row.Location, row.Organization, row.Platform, row.MlperfModel,
                     row.accelerator)
                )  # fmt: skip
    columns = ["model", "metric", "value", "Location", "Organization", "Platform", "benchmark", "accelerator"]
    frame = pd.DataFrame(records, columns=columns)
    for (_model, metric, value), group in frame.groupby(["model", "metric", "value"], sort=True):
        systems = group[["Organization", "Platform"]].drop_duplicates()
        if len(systems) < 2 or (cfg["accuracy_same_accelerator_ok"] and group["accelerator"].nunique() < 2):
            continue
        digests = {txt.get(loc) for loc in group["Location"]}
        if len(digests) == 1 and None not in digests:
            continue  # identical files: AU031
        members = sorted(group["Location"])
        yield AuditProblem(
            members[0],
            f"{'/'.join(sorted(set(group['benchmark'])))} {metric} = {value} ({_decimals(value)} decimals) on "
            f"{len(systems)} different systems "
            f"({', '.join(sorted(set(group['Organization'])))})",
            expected="independent accuracy runs differ in the last decimals",
            found={"value": value, "results": members},
            key=metric,
            extra={"value": value, "metric": metric, "results": members},
        )


@audit_rule(
    "AU033",
    "accuracy-equals-reference",
    fix="Attach the accuracy log that produced this score; a quantised run rarely matches FP32 exactly.",
)
def accuracy_equals_reference(ctx: AuditContext) -> Iterator[AuditProblem]:
    """An accuracy exactly equal to the benchmark's FP32 reference (models.<m>.accuracy_targets[].reference).

    The reference is the published FP32 score; an optimised submission landing on it to every printed
    decimal is more often a number typed in than a run. Tolerance: evidence.reference_tolerance.

    Fails: accuracy exactly 76.46 where the FP32 reference is 76.46.
    Passes: an accuracy that differs from the reference.
    """
    tolerance = ctx.config["evidence"]["reference_tolerance"]
    for row in ctx.frame.itertuples(index=False):
        targets = ctx.rules.models.get(row.MlperfModel or "", {}).get("accuracy_targets", [])
        values = accuracy_values(row.Accuracy, [t["metric"] for t in targets])
        for target in targets:
            text = values.get(target["metric"])
            if target.get("reference") is None:
                continue
            try:
                value = float(text) if text is not None else None
            except ValueError:
                value = None
            if value is None or abs(value - float(target["reference"])) > tolerance:
                continue
            yield AuditProblem(
                f"{row.Location}/{ctx.config['evidence']['files']['accuracy_txt']}",
                f"{row.MlperfModel} {target['metric']} {text} equals the FP32 reference {target['reference']}",
                expected=f"a measured score (reference {target['reference']})",
                found=text,
                key=target["metric"],
                extra={"reference": target["reference"], "value": value, "results": [row.Location]},
            )
