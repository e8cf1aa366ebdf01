"""ST: the files and entries a submission must hold: performance and accuracy logs, code and calibration
documents, portable names, no empty folders, broken links, oversized or unusable entries, a results folder.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from checker.context import ResultContext, SubmitterContext
from checker.discovery import exists
from checker.findings import Problem, Severity
from checker.parsers.text import RawFile, ReadFailure, stat_regular
from checker.registry import rule


def _missing(folder: Path, names: list[str]) -> list[tuple[str, RawFile]]:
    """Required files that are absent or not regular files (a folder, FIFO, device), with why.

    A regular file (nearly always) costs one ``stat`` of a string path; anything else is asked again of
    :func:`stat_regular` for its exact failure.
    """
    found = []
    base = str(folder)
    for name in names:
        try:
            if stat.S_ISREG(os.stat(f"{base}/{name}").st_mode):
                continue
        except OSError:
            pass
        checked = stat_regular(folder / name)
        if isinstance(checked, RawFile):
            found.append((name, checked))
    return found


def _why(name: str, failure: RawFile) -> str:
    """``is missing``, or what the entry is instead (``is a FIFO (named pipe), not a regular file``)."""
    return f"{name} is missing" if failure.kind is ReadFailure.missing else f"{name} {failure.error}"


def _found(failure: RawFile) -> str:
    return "missing" if failure.kind is ReadFailure.missing else str(failure.error)


@rule(
    "ST010",
    "performance-files-missing",
    fix=("Copy the LoadGen output of the performance run into performance/run_1/ (summary and detail logs)."),
)
def performance_files_missing(ctx: ResultContext) -> Iterator[Problem]:
    """``performance/run_1`` lacks a LoadGen log the round requires (summary, detail; spl.txt with power).

    Fails: ``performance/run_1`` without ``mlperf_log_summary.txt``. Passes: summary and detail log present.
    """
    required = list(ctx.rules["files"]["performance_required"])
    if ctx.has_power:
        required += ctx.rules["files"].get("power_run_required", [])
    for name, failure in _missing(ctx.perf_dir, required):
        yield Problem(
            ctx.rel(ctx.perf_dir / name),
            f"performance run file {_why(name, failure)}",
            expected=name,
            found=_found(failure),
        )


@rule(
    "ST011",
    "accuracy-files-missing",
    fix=(
        "Copy the accuracy run's LoadGen logs, the truncated mlperf_log_accuracy.json and accuracy.txt into accuracy/."
    ),
)
def accuracy_files_missing(ctx: ResultContext) -> Iterator[Problem]:
    """``accuracy/`` lacks a file the round requires (summary, detail, accuracy.txt, accuracy log).

    With ``--published`` a missing ``mlperf_log_accuracy.json`` is a notice: published repositories
    drop large logs, and the other accuracy rules still judge accuracy.txt and the detail log.

    Fails: ``accuracy/`` without ``accuracy.txt``. Passes: summary, detail, accuracy.txt and the accuracy log.
    """
    for name, failure in _missing(ctx.accuracy_dir, list(ctx.rules["files"]["accuracy_required"])):
        absent = failure.kind is ReadFailure.missing
        published = ctx.options.published and name == "mlperf_log_accuracy.json" and absent
        yield Problem(
            ctx.rel(ctx.accuracy_dir / name),
            f"accuracy run file {_why(name, failure)}"
            + (" (removed from published repositories)" if published else ""),
            expected=name,
            found=_found(failure),
            severity=Severity.NOTICE if published else None,
        )


@rule("ST012", "code-folder-missing", fix="Add the implementation (or a pointer to it) under code/<benchmark>/.")
def code_folder_missing(ctx: ResultContext) -> Iterator[Problem]:
    """No code folder exists for the result's benchmark (``code/`` in split trees, ``src/`` or ``code/`` merged).

    Fails: neither ``src/digits`` nor ``code/digits``. Passes: ``src/digits/`` or ``code/digits/``.
    """
    if ctx.unit.scenario_dir != ctx.first_scenario_dir:
        return
    names = [ctx.unit.benchmark] + ([ctx.benchmark] if ctx.benchmark else [])
    dirs = ctx.rules["code_dirs"]
    submitter = str(ctx.unit.submitter_dir)
    for base in dirs:
        for name in names:
            if exists(f"{submitter}/{base}/{name}"):
                return
    yield Problem(
        ctx.rel(ctx.unit.submitter_dir / dirs[0] / ctx.unit.benchmark),
        f"no code folder for {ctx.unit.benchmark}",
        expected=[f"{d}/{ctx.unit.benchmark}" for d in dirs],
        found="missing",
    )


@rule(
    "ST013",
    "calibration-missing",
    scope="submitter",
    fix=("Add calibration.md (or documentation/calibration.md) describing how the model was calibrated or quantised."),
)
def calibration_missing(ctx: SubmitterContext) -> Iterator[Problem]:
    """Closed and network submitters document their calibration (rounds from v5.1 on).

    Fails: a closed submitter without a calibration document. Passes: ``calibration.md`` or
    ``documentation/calibration.md``.
    """
    if not ctx.rules["calibration_required"] or ctx.unit.division == "open" or not ctx.unit.results:
        return
    if not any((ctx.path / p).is_file() for p in ("calibration.md", "documentation/calibration.md")):
        yield Problem(
            ctx.rel(ctx.path / "calibration.md"),
            "no calibration document",
            expected=["calibration.md", "documentation/calibration.md"],
            found="missing",
        )


@rule(
    "ST014",
    "git-unfriendly-name",
    scope="submitter",
    fix=("Rename the entry: no leading dot, no spaces, and no __pycache__ folders."),
)
def git_unfriendly_name(ctx: SubmitterContext) -> Iterator[Problem]:
    """A file or folder name starts with a dot, contains a space, or is ``__pycache__``.

    Fails: ``.notes``, ``my notes.md`` or a ``__pycache__`` folder. Passes: ``notes_v1.md``.
    """
    for entry in ctx.entries:
        name = entry.name
        if name.startswith("."):
            yield Problem(entry.rel, f"'{name}' starts with a dot", expected="no hidden entries", found=name)
        elif " " in name:
            yield Problem(entry.rel, f"'{name}' contains a space", expected="no spaces in names", found=name)
        elif name == "__pycache__":
            yield Problem(entry.rel, "__pycache__ folder", expected="no Python caches", found=name)


@rule("ST015", "empty-folder", scope="submitter", fix="Delete the empty folder or add what belongs in it.")
def empty_folder(ctx: SubmitterContext) -> Iterator[Problem]:
    """An empty folder (git cannot store it, so the published tree would differ).

    Fails: an empty ``src/digits/empty/``. Passes: every folder holds a file.
    """
    for entry in ctx.entries:
        if entry.empty:
            yield Problem(entry.rel, "folder is empty", expected="at least one file", found="empty")


@rule(
    "ST016",
    "broken-link-or-large-file",
    scope="submitter",
    fix=("Replace broken symbolic links with the files themselves; keep every file under the round's size limit."),
)
def broken_link_or_large_file(ctx: SubmitterContext) -> Iterator[Problem]:
    """A symbolic link points nowhere, or a file exceeds the round's size limit (50 MiB).

    Fails: a link to a missing file, or a 60 MiB file. Passes: regular files under 50 MiB.
    """
    limit = int(ctx.rules.get("max_file_size_mb", 50) * 1024 * 1024)
    for entry in ctx.entries:
        if entry.is_dir:
            continue
        if entry.size is None:
            yield Problem(
                entry.rel,
                "symbolic link points to a missing file",
                expected="a file",
                found=f"broken link to {entry.link_target}",
            )
        elif entry.size > limit:
            yield Problem(
                entry.rel,
                f"file is {entry.size / 2**20:.1f} MiB",
                expected=f"<= {limit // 2**20} MiB",
                found=entry.size,
            )


def readable_by_anyone(mode: int) -> bool:
    """World-readable permission bits: no need to ask the kernel whether this user may read it."""
    return bool(mode & stat.S_IROTH)


def _unusable(path: str) -> str | None:
    """Why an entry of the walk cannot serve as evidence: not listable, not readable, not a regular file."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"cannot be inspected: {exc.strerror or exc}"
    if stat.S_ISDIR(info.st_mode):
        return None if os.access(path, os.R_OK | os.X_OK) else "folder cannot be listed (permission denied)"
    if not stat.S_ISREG(info.st_mode):
        checked = stat_regular(Path(path))
        return str(checked.error) if isinstance(checked, RawFile) else "not a regular file"
    return None if os.access(path, os.R_OK) else "file cannot be read (permission denied)"


@rule(
    "ST017",
    "unusable-entry",
    scope="submitter",
    fix="Make every file a readable regular file and every folder listable (chmod a+rX); remove FIFOs, "
    "sockets and device files.",
)
def unusable_entry(ctx: SubmitterContext) -> Iterator[Problem]:
    """A file or folder in the submission cannot be read, or is not a regular file (FIFO, socket, device).

    What cannot be read cannot be checked, and git cannot store the others: the check fails
    closed rather than skip them. Fails: ``systems/`` with mode 000, a FIFO named
    ``mlperf_log_detail.txt``. Passes: readable regular files and listable folders.
    """
    why = _unusable(str(ctx.path))
    if why is not None:
        yield Problem(ctx.unit.rel, f"submitter folder: {why}", expected="a readable folder", found=why)
        return
    walk = ctx.walk
    usable = walk.usable_folders
    for entry in walk.entries:
        if entry.is_dir:
            if entry.rel in usable:
                continue  # the walk listed it and reached through it: no stat, no access
        elif entry.size is None:
            continue  # a broken link: ST016's
        elif entry.mode is not None and stat.S_ISREG(entry.mode) and readable_by_anyone(entry.mode):
            continue  # a regular file the walk already stat'ed, readable whoever runs the check
        why = _unusable(os.path.join(ctx.root, entry.rel))
        if why is not None:
            yield Problem(entry.rel, why, expected="a readable regular file or folder", found=why)


@rule(
    "ST018",
    "results-folder-missing",
    scope="submitter",
    fix="Put the results under <division>/<submitter>/results/<system>/<benchmark>/<scenario>/.",
)
def results_folder_missing(ctx: SubmitterContext) -> Iterator[Problem]:
    """A submitter folder has no ``results/`` folder, so it submits nothing that could be checked.

    Fails: ``closed/Acme`` with only ``systems/`` and ``code/``. Passes: a ``results/`` folder.
    """
    results = ctx.path / "results"
    try:
        info = os.stat(results)
    except FileNotFoundError:
        what = "missing"
    except OSError as exc:
        what = f"cannot be inspected: {exc.strerror or exc}"
    else:
        if stat.S_ISDIR(info.st_mode):
            return
        what = "not a folder"
    yield Problem(ctx.rel(results), f"results/ is {what}", expected="a results/ folder", found=what)
