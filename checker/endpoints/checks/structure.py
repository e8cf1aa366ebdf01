"""EP0: the submission layout and the files of every measurement point (§1, §8.1, §8.3)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from checker.endpoints.context import CurveContext, SubmissionContext, SystemContext
from checker.findings import Problem
from checker.registry import rule
from checker.schemas import errors_of, json_path


@rule(
    "EP001",
    "submission-layout",
    scope="submitter",
    suite="endpoints",
    fix="Lay the submission out as <submission_id>/{results,src}/ (§1), with src/<implementation>/README.md.",
)
def submission_layout(ctx: SubmissionContext) -> Iterator[Problem]:
    """A folder §1 requires under ``<submission_id>/`` (``results/``, ``src/``) is missing.

    Fails: a submission with ``results/`` but no ``src/``. Passes: ``results/`` and ``src/`` both present.
    """
    for name in ctx.rules["layout"]["submission_dirs"]:
        if not (ctx.submission.path / name).is_dir():
            yield Problem(ctx.rel(ctx.submission.path / name), f"{name}/ is missing (§1)", expected="a folder")


@rule(
    "EP008",
    "implementation-undocumented",
    scope="submitter",
    suite="endpoints",
    fix="Put one folder per implementation under src/, each with a README.md that says how to reproduce a point (§1).",
)
def implementation_undocumented(ctx: SubmissionContext) -> Iterator[Problem]:
    """``src/`` holds no implementation folder, or an implementation folder has no ``README.md`` (§1).

    Fails: ``src/vllm/`` without ``README.md``. Passes: ``src/llama3_1-8b/README.md``.
    """
    src = ctx.submission.path / "src"
    if not src.is_dir():
        return  # EP001
    impls = sorted(p for p in src.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not impls:
        yield Problem(ctx.rel(src), "src/ holds no implementation folder (§1)", expected="src/<implementation>/")
    for impl in impls:
        if not (impl / "README.md").is_file():
            yield Problem(ctx.rel(impl / "README.md"), f"src/{impl.name}/ has no README.md (§1)", expected="README.md")


def _resolves(root: Path, value: object) -> bool:
    """A root-relative pointer without ``..`` naming an existing folder under the submission (§9.1)."""
    if not isinstance(value, str) or not value.strip() or value.strip().startswith(("/", "~")):
        return False
    parts = [p for p in value.strip().replace("\\", "/").split("/") if p and p != "."]
    return bool(parts) and ".." not in parts and root.joinpath(*parts).is_dir()


@rule(
    "EP009",
    "shared-path-unresolved",
    suite="endpoints",
    fix="Point shared_src and shared_docs at folders under the submission root, root-relative (src, docs) (§9.1).",
)
def shared_path_unresolved(ctx: CurveContext) -> Iterator[Problem]:
    """A point's ``shared_src`` or ``shared_docs`` does not name a folder under the submission root (absolute,
    with ``..``, or missing) (§9.1).

    Fails: ``shared_docs: ../docs``. Passes: ``shared_docs: docs`` with ``docs/`` present.
    """
    for point in ctx.points:
        for field in ("shared_src", "shared_docs"):
            value = point.point.get(field)
            if value is not None and not _resolves(ctx.submission.path, value):
                yield Problem(
                    ctx.rel(point.path / "point.yaml"),
                    f"{field} {value!r} is not a folder under the submission root",
                    expected="a root-relative folder",
                    found=value,
                    key=field,
                )


@rule(
    "EP002",
    "point-file-missing",
    suite="endpoints",
    fix="Put point.yaml, config.yaml, result_summary.json and system_desc.json in every r<N>/ (§8.1).",
)
def point_file_missing(ctx: CurveContext) -> Iterator[Problem]:
    """A measurement point lacks a file §8.1 requires in every ``r<N>/`` folder.

    Fails: ``r88/`` without ``config.yaml``. Passes: all four files in every point folder.
    """
    for point in ctx.points:
        for name in ctx.rules["layout"]["point_files"]:
            if point.doc(name).missing:
                yield Problem(ctx.rel(point.path / name), f"{name} is missing (§8.1)", expected="the file")


@rule(
    "EP003",
    "point-file-unreadable",
    suite="endpoints",
    fix="Make the file a valid JSON object (or YAML mapping) in UTF-8.",
)
def point_file_unreadable(ctx: CurveContext) -> Iterator[Problem]:
    """A point's file exists but cannot be read as a JSON object or YAML mapping (§8.3).

    A JSON object that repeats a key is unreadable too: which value counts depends on the reader.

    Fails: ``result_summary.json`` cut off mid-object. Passes: well-formed files.
    """
    names = [*ctx.rules["layout"]["point_files"], ctx.rules["layout"]["accuracy_file"]]
    for point in ctx.points:
        for name in names:
            doc = point.doc(name)
            if not doc.ok and not doc.missing:
                yield Problem(ctx.rel(doc.path), doc.error or "unreadable", line=doc.line)
            elif doc.duplicates:
                listed = ", ".join(doc.duplicates[:5])
                message = f"repeats key(s) {listed}; JSON readers disagree on which value counts"
                yield Problem(ctx.rel(doc.path), message, key=doc.duplicates[0], found=list(doc.duplicates))


@rule(
    "EP004",
    "point-field-invalid",
    suite="endpoints",
    fix="Give point.yaml every §8.3 field with the right type, and result_summary.json its counts, duration_ns "
    "and output_sequence_lengths.total.",
)
def point_field_invalid(ctx: CurveContext) -> Iterator[Problem]:
    """``point.yaml`` breaks the §8.3 schema (``schemas/endpoints/point.schema.json``), ``result_summary.json``
    lacks a count, its duration or its output-token total (or one is negative), or ``accuracy_results.json`` holds
    an entry that is not an object or no entry at all.

    Fails: ``concurrency: "64"``; a summary without ``n_samples_failed``. Passes: the fixture's files.
    """
    for point in ctx.points:
        doc = point.doc("point.yaml")
        if doc.data is not None:
            for error in errors_of("endpoints/point.schema.json", doc.data):
                where = json_path(error.absolute_path)
                yield Problem(ctx.rel(doc.path), f"{where}: {error.message}", key=where)
        if point.summary is not None:
            for key in point.summary.problems:
                yield Problem(
                    ctx.rel(point.path / "result_summary.json"),
                    f"{key} is missing, not a number or negative",
                    expected="a number >= 0",
                    key=key,
                )
        if point.accuracy is not None:
            for problem in point.accuracy.problems:
                yield Problem(ctx.rel(point.path / ctx.rules["layout"]["accuracy_file"]), problem)


@rule(
    "EP005",
    "point-dirname-concurrency",
    suite="endpoints",
    fix="Name each point folder r<concurrency> after the concurrency its point.yaml declares (§1).",
)
def point_dirname_concurrency(ctx: CurveContext) -> Iterator[Problem]:
    """A point folder's ``r<N>`` differs from the concurrency its ``point.yaml`` declares (§1).

    Fails: ``r38/point.yaml`` says ``concurrency: 40``. Passes: ``r38/`` declares 38.
    """
    for point in ctx.points:
        if point.declared is not None and point.declared != point.concurrency:
            yield Problem(
                ctx.rel(point.path / "point.yaml"),
                f"folder r{point.concurrency} holds a point at concurrency {point.declared}",
                expected=point.concurrency,
                found=point.declared,
                key="concurrency",
            )


@rule(
    "EP006",
    "curve-folder-invalid",
    suite="endpoints",
    fix="Keep only r<N>/ point folders under results/<system>/<model>/ (§1).",
)
def curve_folder_invalid(ctx: CurveContext) -> Iterator[Problem]:
    """A curve folder holds no ``r<N>`` point folder, or a folder that is not one (§1).

    Fails: ``llama3_1-8b/point_16/``. Passes: only ``r16/`` ... ``r1000/``.
    """
    if not ctx.points:
        yield Problem(ctx.rel(ctx.curve.path), "no r<N> measurement point folder (§1)", expected="r<N>/ folders")
    for name in ctx.curve.strays:
        yield Problem(ctx.rel(ctx.curve.path / name), f"{name}/ is not a point folder r<N> (§1)", found=name)


@rule(
    "EP007",
    "system-power-missing",
    scope="system",
    suite="endpoints",
    fix="Add results/<system>/system_power.json, the provisioned-power descriptor (§4.5.2).",
)
def system_power_missing(ctx: SystemContext) -> Iterator[Problem]:
    """A system folder lacks its ``system_power.json``, or it is not a JSON object or repeats a key (§4.5.2).

    Fails: ``results/acme_h100x8/`` without it. Passes: a readable descriptor.
    """
    for name in ctx.rules["layout"]["system_files"]:
        doc = ctx.doc(name)
        if not doc.ok:
            yield Problem(ctx.rel(doc.path), doc.error or "unreadable", line=doc.line)
        elif doc.duplicates:
            message = f"repeats key(s) {', '.join(doc.duplicates[:5])}; JSON readers disagree on which value counts"
            yield Problem(ctx.rel(doc.path), message, key=doc.duplicates[0], found=list(doc.duplicates))


@rule(
    "EP010",
    "link-outside-submission",
    scope="submitter",
    suite="endpoints",
    fix="Copy the file or folder into the submission instead of linking to it: evidence must live in the submission.",
)
def link_outside_submission(ctx: SubmissionContext) -> Iterator[Problem]:
    """A symbolic link under ``<submission_id>/`` resolves outside the submission (or nowhere).

    What a link points to is not part of the submission: the results repository, an archive of it or another
    checkout holds the link only, so the evidence judged here would not be the evidence published.

    A folder that cannot be listed fails too: the links in it cannot be looked at.

    Fails: ``r16`` a link to a folder outside the submission. Passes: ``r16`` a folder.
    """
    top = os.path.realpath(ctx.submission.path)
    unlisted: list[OSError] = []
    for folder, dirs, files in os.walk(ctx.submission.path, onerror=unlisted.append, followlinks=False):
        for name in sorted([*dirs, *files]):
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                continue
            target = os.path.realpath(path)
            if os.path.commonpath([top, target]) != top or not os.path.exists(path):
                yield Problem(ctx.rel(Path(path)), "symbolic link out of the submission", expected="a regular file or "
                              "folder inside the submission", found=os.readlink(path))  # fmt: skip
    for error in unlisted:
        where = Path(error.filename) if error.filename else ctx.submission.path
        reason = (error.strerror or type(error).__name__).lower()
        yield Problem(ctx.rel(where), f"folder cannot be listed ({reason})", expected="a folder the checker can list",
                      found=f"folder cannot be listed ({reason})")  # fmt: skip
