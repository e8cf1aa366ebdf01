"""RH: repository hygiene that ST014-ST016 do not cover: stray and binary files, untruncated logs, names, links.

A results repository is published as is; whatever lands in it stays there. These rules keep out
what no rule would otherwise look at: files where the layout has only folders, binaries, large
accuracy logs that should have been truncated, names that break on other systems, and links.
All of them read the submitter's one cached walk (``SubmitterContext.entries``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from checker.context import Entry, ResultContext, SubmitterContext, SystemContext
from checker.findings import Problem, Severity
from checker.parsers.jsonfile import JsonDoc
from checker.parsers.text import ReadFailure, outside_root, read_bytes_bounded, read_text
from checker.registry import rule

# Written into results/ by the official checker at submission time; everything else there is stray.
RESULTS_ALLOWED_FILES = frozenset({"submission_checker_log.txt"})
BINARY_SUFFIXES = frozenset(
    ".tar .tgz .gz .zip .7z .bz2 .xz .zst .rar .whl .so .o .a .dll .exe .bin .npy .npz .pt .pth .onnx .pb "
    ".plan .engine .pkl .pickle .h5 .tflite .safetensors .ckpt .parquet .db .sqlite".split()
)
ROOT_STRAY_SUFFIXES = BINARY_SUFFIXES | {".log"}
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})
NON_PORTABLE = re.compile(r"[^A-Za-z0-9._+\- ]")  # space is ST014's business
UNUSABLE = set('<>:"\\|?*')  # characters Windows (and so many clones of the repository) cannot hold
TRUNCATED_TESTS = ("TEST01", "TEST07", "TEST09")  # audits whose accuracy logs the official tool truncates
SNIFF_BYTES = 8192
TEXT_SUFFIXES = frozenset({".txt", ".json", ".md", ".conf", ".log", ".csv", ".yaml", ".yml", ".adoc", ".config"})


@lru_cache(maxsize=4096)  # a round repeats a few hundred names (mlperf_log_detail.txt) tens of thousands of times
def _suffix(name: str) -> str:
    lower = name.lower()
    return ".tar" if ".tar." in lower else os.path.splitext(lower)[1]


def looks_binary(path: str) -> bool:
    """NUL bytes in the first 8 KiB: how git itself tells binary from text.

    Files named like the text the tools write (logs, JSON, conf, Markdown) are not opened: sniffing
    every LoadGen log of a whole round would cost more than all other rules together.
    """
    if os.path.splitext(path)[1].lower() in TEXT_SUFFIXES:
        return False
    head = read_bytes_bounded(Path(path), SNIFF_BYTES, head=True)  # non-blocking: a FIFO is never waited on
    return head.ok and b"\0" in head.data


@rule(
    "RH001",
    "stray-file-in-results",
    scope="submitter",
    fix="Move the file into the result folder it belongs to, or delete it; results/ holds only folders down to "
    "results/<system>/<benchmark>/<scenario>.",
)
def stray_file_in_results(ctx: SubmitterContext) -> Iterator[Problem]:
    """A file sits in ``results/``, ``results/<system>/`` or ``results/<system>/<benchmark>/``.

    The layout has only folders at these levels, so such a file (a stray log, a tarball, notes)
    is never checked but gets published. The official checker's ``submission_checker_log.txt``
    is tolerated.

    Fails: ``results/notes.txt``. Passes: the official ``results/submission_checker_log.txt``.
    """
    ignored = RESULTS_ALLOWED_FILES.union(ctx.rules["files"].get("ignored", []))
    for entry in ctx.under("results"):
        if entry.is_dir or not 2 <= len(entry.below) <= 4 or entry.name in ignored:
            continue
        yield _stray(entry, "where the layout allows only folders", "only system, benchmark and scenario folders")


@rule(
    "RH002",
    "stray-file-at-submitter-root",
    scope="submitter",
    fix="Delete the log, archive or binary, or move what it documents into documentation/ as text.",
)
def stray_file_at_submitter_root(ctx: SubmitterContext) -> Iterator[Problem]:
    """A log, an archive or a binary file sits at the submitter's top folder.

    The top folder holds the layout's folders and a few documents (README, calibration,
    model_mapping.json); run logs and tarballs dropped there are published unchecked.

    Fails: ``run.log`` or ``model.tar.gz`` at the submitter's top folder. Passes: a ``README.md`` there.
    """
    for entry in ctx.top_entries:
        if entry.is_dir or entry.size is None:
            continue
        suffix = _suffix(entry.name)
        if suffix in ROOT_STRAY_SUFFIXES or _sniffed_binary(ctx, entry, suffix):
            yield _stray(entry, "is a log, archive or binary at the submitter's top folder",
                         "only the layout's folders and text documents")  # fmt: skip


def _sniffed_binary(ctx: SubmitterContext, entry: Entry, suffix: str) -> bool:
    """:func:`looks_binary` for a walked file whose :func:`_suffix` is known: text names are not even joined."""
    return suffix not in TEXT_SUFFIXES and looks_binary(os.path.join(ctx.root, entry.rel))


def _stray(entry: Entry, what: str, expected: str) -> Problem:
    """A file that the layout does not allow where it stands."""
    return Problem(entry.rel, f"file '{entry.name}' {what}", expected=expected, found=entry.name)


@rule(
    "RH003",
    "binary-under-results",
    scope="submitter",
    fix="Remove the binary file from results/; keep only the text logs LoadGen and the tools write.",
)
def binary_under_results(ctx: SubmitterContext) -> Iterator[Problem]:
    """A binary file (archive, model, array, executable) is under ``results/``.

    Detected by a known binary extension or by NUL bytes in the first 8 KiB, as git does. Images
    are allowed in ``images/`` folders (the SDXL accuracy run's samples).

    Fails: ``weights.npz`` under ``results/``. Passes: PNGs under ``accuracy/images/``.
    """
    for entry in ctx.under("results"):
        if entry.is_dir or entry.size is None:
            continue
        suffix = _suffix(entry.name)
        if suffix in IMAGE_SUFFIXES and "images" in entry.below:
            continue
        if suffix in BINARY_SUFFIXES or _sniffed_binary(ctx, entry, suffix):
            yield Problem(
                entry.rel,
                f"binary file '{entry.name}' under results/",
                expected="text logs only",
                found=f"binary, {entry.size} bytes",
            )


def _needs_truncation(below: tuple[str, ...]) -> bool:
    """Accuracy logs of TEST01-like audits and of performance runs; results' own accuracy/ is AC's."""
    folders = below[:-1]
    if any(t in folders for t in TRUNCATED_TESTS) and folders[-1:] == ("accuracy",):
        return True
    in_perf_run = len(folders) >= 2 and folders[-2] == "performance" and folders[-1].startswith("run_")
    return in_perf_run and not any(f.startswith("TEST") for f in folders)


@rule(
    "RH004",
    "untruncated-accuracy-log",
    scope="submitter",
    fix="Run the official truncate_accuracy_log.py on the submission (it keeps the hash in accuracy.txt), "
    "or replace the log with its truncated form.",
)
def untruncated_accuracy_log(ctx: SubmitterContext) -> Iterator[Problem]:
    """An ``mlperf_log_accuracy.json`` outside ``results/.../accuracy/`` is larger than the truncation limit.

    The official tool truncates the accuracy logs of compliance TEST01 (and TEST07, TEST09) to
    the round's ``max_truncated_accuracy_log_bytes``; a performance run's accuracy log is tiny. A
    larger file was not truncated (the result's own accuracy log is checked by the AC rules).

    Fails: an untruncated ``TEST01/accuracy/mlperf_log_accuracy.json``. Passes: a truncated one (the result's own log
    is AC005's).
    """
    limit = int(ctx.rules.get("max_truncated_accuracy_log_bytes", 10240))
    for entry in ctx.entries:
        if entry.is_dir or entry.name != "mlperf_log_accuracy.json" or entry.size is None:
            continue
        if entry.size > limit and _needs_truncation(entry.below):
            yield Problem(
                entry.rel,
                f"accuracy log is {entry.size} bytes; it was not truncated",
                expected=f"<= {limit} bytes",
                found=entry.size,
            )


@rule(
    "RH005",
    "non-portable-name",
    scope="submitter",
    severity=Severity.WARNING,
    fix="Rename the entry using only letters, digits, '.', '_', '+' and '-'.",
)
def non_portable_name(ctx: SubmitterContext) -> Iterator[Problem]:
    """A file or folder name has characters outside ``A-Z a-z 0-9 . _ + -``.

    Such names break scripts, URLs and other operating systems. Characters Windows cannot store
    (``< > : " backslash | ? *``) or control characters make it an error: the repository cannot even be
    checked out there. Spaces are ST014's.

    Fails: ``notes(1).md`` (a warning) or ``a:b.md`` (an error). Passes: ``notes_v1+2-b.md``.
    """
    for entry in ctx.entries:
        if not NON_PORTABLE.search(entry.name):
            continue
        odd = sorted(set(NON_PORTABLE.findall(entry.name)))
        fatal = any(c in UNUSABLE or ord(c) < 32 for c in odd)
        yield Problem(
            entry.rel,
            f"'{entry.name}' contains {', '.join(repr(c) for c in odd)}",
            expected="[A-Za-z0-9._+-]",
            found=entry.name,
            severity=Severity.ERROR if fatal else None,
        )


@rule(
    "RH006",
    "symbolic-link",
    scope="submitter",
    severity=Severity.WARNING,
    fix="Replace the link with the file or folder it points to.",
)
def symbolic_link(ctx: SubmitterContext) -> Iterator[Problem]:
    """A symbolic link that resolves inside the submitter (broken ones are ST016's, outside ones RH009's).

    Git stores the link, not its target: the published repository, an archive of it, or a
    Windows checkout does not hold what the submitter saw.

    Fails: a link ``LINK.md`` to ``README.md`` (a warning). Passes: regular files.
    """
    for entry, path in _links(ctx):
        if outside_root(path, ctx.path) is None:
            yield Problem(entry.rel, "symbolic link", expected="a regular file or folder", found=os.readlink(path))


def _links(ctx: SubmitterContext) -> Iterator[tuple[Entry, str]]:
    """Resolving symbolic links (to files or folders: the walk does not follow either) with their paths."""
    for entry in ctx.entries:
        if entry.is_link and not entry.is_dir and entry.size is not None:
            yield entry, os.path.join(ctx.root, entry.rel)


def _duplicates(where: str, doc: JsonDoc | None, what: str) -> Iterator[Problem]:
    if doc is None or not doc.ok or not doc.duplicates:
        return
    yield Problem(
        where,
        f"{what} repeats key(s) {', '.join(doc.duplicates[:5])}; JSON readers disagree on which value counts",
        key=doc.duplicates[0],
        expected="each key once per object",
        found=doc.duplicates,
    )


@rule(
    "RH007",
    "duplicate-key-in-system-description",
    scope="system",
    fix="Keep one occurrence of each key in the system description, with the value that is true.",
)
def duplicate_key_in_system_description(ctx: SystemContext) -> Iterator[Problem]:
    """A key appears twice in one object of ``systems/<system>.json``.

    Python keeps the last value, other tools the first: the published table and the reviewed file
    may then disagree. Fails: ``{"status": "available", "status": "preview"}``. Passes: unique keys.
    """
    if ctx.json_path.is_file():
        yield from _duplicates(ctx.rel(ctx.json_path), ctx.doc, "system description")


@rule(
    "RH008",
    "duplicate-key-in-measurements",
    fix="Keep one occurrence of each key in the measurements JSON, with the value that is true.",
)
def duplicate_key_in_measurements(ctx: ResultContext) -> Iterator[Problem]:
    """A key appears twice in one object of the result's measurements JSON.

    Fails: ``{"retraining": "no", "retraining": "yes"}``. Passes: unique keys.
    """
    path = ctx.measurements_json_path
    if path is not None:
        yield from _duplicates(ctx.rel(path), ctx.measurements, "measurements JSON")


@rule(
    "RH009",
    "link-outside-submission",
    scope="submitter",
    fix="Copy the file or folder into the submission instead of linking to it; evidence must live in the "
    "submitter's folder.",
)
def link_outside_submission(ctx: SubmitterContext) -> Iterator[Problem]:
    """A symbolic link resolves outside ``<division>/<submitter>`` (another submitter, /tmp, /dev/zero).

    What it points to is not part of the submission: it is not published, may change after the
    check, and can be a device. Fails: ``accuracy.txt -> /home/me/accuracy.txt``. Passes: no links,
    or links that stay inside the submitter (RH006 warns about those).
    """
    for entry, path in _links(ctx):
        target = outside_root(path, ctx.path)
        if target is not None:
            yield Problem(
                entry.rel,
                f"symbolic link resolves outside the submitter folder, to {target}",
                expected=f"a file inside {ctx.unit.rel}",
                found=target,
            )


@rule(
    "RH010",
    "loadgen-conf-unusable",
    fix="Save user.conf (and mlperf.conf) as the UTF-8 text LoadGen read: one 'model.scenario.key = value' per line, "
    "'#' comments.",
)
def loadgen_conf_unusable(ctx: ResultContext) -> Iterator[Problem]:
    """``user.conf`` or ``mlperf.conf`` is present but is not UTF-8 text, or has lines that are not settings.

    The settings a run used are judged from these files; garbage or a half-written line there
    leaves them unknown, so the check fails closed (missing files are ME003's, non-files ST017's).
    Fails: a ``user.conf`` of random bytes, or ending in ``*.Offline.targ``. Passes: settings and comments.
    """
    for conf in (ctx.user_conf, ctx.mlperf_conf):
        if conf.read_kind in (ReadFailure.missing, ReadFailure.not_regular):
            continue
        if conf.read_error is not None:
            yield Problem(
                ctx.rel(conf.path), f"cannot be used: {conf.read_error}", expected="UTF-8 text", found=conf.read_error
            )
        elif conf.malformed:
            line, why = conf.malformed[0]
            yield Problem(
                ctx.rel(conf.path),
                f"line {line} is not a setting ({why}); {len(conf.malformed)} such line(s)",
                line=line,
                expected="model.scenario.key = value",
                found=_conf_line(conf.path, line),
            )


def _conf_line(path: Path, line: int) -> str:
    """The offending line as written (already read once: the file is small and cached by the OS)."""
    text = read_text(path, allow_empty=True)
    lines = text.text.splitlines()
    return lines[line - 1][:200] if text.ok and 0 < line <= len(lines) else "?"
