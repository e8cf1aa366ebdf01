"""ST: the shape of the tree: divisions, required files and folders, names, scenarios per system type."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from checker.context import ResultContext, SubmitterContext, SystemContext, TreeContext
from checker.findings import Problem, Severity
from checker.parsers.text import RawFile, ReadFailure, stat_regular
from checker.registry import rule


@rule(
    "ST001",
    "unknown-top-level-folder",
    scope="tree",
    severity=Severity.WARNING,
    fix="Move the folder under closed/, open/ or network/, or remove it from the submission.",
)
def unknown_top_level_folder(ctx: TreeContext) -> Iterator[Problem]:
    """A folder at the root is not a division (closed, open, network).

    The results repository holds only division folders (``.git``, ``.github`` and ``assets``
    are tolerated). Anything else is never checked, so a result placed there silently vanishes.

    Fails: a folder ``extras/`` at the root. Passes: ``closed/`` and a tolerated ``.github/``.
    """
    for name in ctx.tree.unknown_divisions:
        yield Problem(
            name,
            f"top-level folder '{name}' is not a division and is not checked",
            expected=ctx.rules["divisions"],
            found=name,
        )


@rule(
    "ST002",
    "stray-root-file",
    scope="tree",
    fix="Remove the file or move it into a submitter folder; only *.md and *.pdf may sit at the root.",
)
def stray_root_file(ctx: TreeContext) -> Iterator[Problem]:
    """The submission root holds a file other than Markdown or PDF documents.

    Fails: ``results.csv`` at the root. Passes: a ``README.md`` at the root.
    """
    for name in ctx.tree.stray_root_entries:
        yield Problem(
            name,
            f"file '{name}' is not allowed at the submission root",
            expected="only *.md or *.pdf files",
            found=name,
        )


@rule(
    "ST003",
    "stray-division-file",
    scope="tree",
    fix="Move the file into a submitter folder (<division>/<submitter>/...) or delete it.",
)
def stray_division_file(ctx: TreeContext) -> Iterator[Problem]:
    """A file sits directly inside a division folder, where only submitter folders belong.

    Fails: ``closed/notes.txt``. Passes: only submitter folders in ``closed/``.
    """
    for rel in ctx.tree.stray_division_files:
        yield Problem(
            rel,
            "files are not allowed directly inside a division folder",
            expected="only submitter folders",
            found=rel,
        )


@rule(
    "ST004",
    "system-description-missing",
    scope="system",
    fix="Add systems/<system>.json describing the system, named exactly like its results/ folder.",
)
def system_description_missing(ctx: SystemContext) -> Iterator[Problem]:
    """A ``results/<system>`` folder has no ``systems/<system>.json`` description.

    Without it no result of the system can be attributed to hardware, so none is counted.

    Fails: ``results/demo_cpu_numpy/`` with no ``systems/demo_cpu_numpy.json``. Passes: every results folder described.
    """
    if ctx.has_results and not ctx.json_path.is_file():
        yield Problem(
            ctx.rel(ctx.json_path),
            f"no system description for results/{ctx.system}",
            expected=f"systems/{ctx.system}.json",
            found="missing",
        )


@rule(
    "ST005",
    "system-without-results",
    scope="system",
    fix="Remove the unused system description, or add the results that belong to it.",
)
def system_without_results(ctx: SystemContext) -> Iterator[Problem]:
    """A system description has no ``results/<system>`` folder (rounds from v5.1 on).

    Fails: an unused ``systems/spare.json`` (v5.1 on). Passes: the same file in a round without the requirement.
    """
    if ctx.rules.get("systems_must_have_results") and ctx.json_path.is_file() and not ctx.has_results:
        yield Problem(
            ctx.rel(ctx.json_path),
            f"systems/{ctx.system}.json describes a system with no results",
            expected=f"results/{ctx.system}/",
            found="missing",
        )


@rule(
    "ST006",
    "unknown-benchmark",
    fix=(
        "Rename the folder to an official benchmark name of the round (see `subcheck rules`), or, in the open "
        "division, map it in model_mapping.json."
    ),
)
def unknown_benchmark(ctx: ResultContext) -> Iterator[Problem]:
    """The benchmark folder does not resolve to a benchmark of this round.

    Names resolve exactly, through the round's alias table, through ``model_mapping.json`` (open
    division only), and through the official checker's substring guesses (``resnet50`` -> resnet).

    Fails: a benchmark folder ``cats``. Passes: ``digits`` in the demo round, or ``resnet50`` (an alias).
    """
    if ctx.benchmark is None:
        folder = ctx.unit.result_dir.parent
        yield Problem(
            ctx.rel(folder),
            f"'{ctx.unit.benchmark}' is not a benchmark of {ctx.rules.version}",
            expected=sorted(ctx.rules.models),
            found=ctx.unit.benchmark,
        )


@rule("ST007", "unknown-scenario", fix="Rename the folder to one of the scenario names the benchmark allows.")
def unknown_scenario(ctx: ResultContext) -> Iterator[Problem]:
    """A scenario folder is not a scenario, or (closed and network) not one the benchmark allows.

    The allowed scenarios are the required plus optional ones of the benchmark for the system's
    ``system_type``. Lower-case folder names (``offline``) are accepted.

    Fails: a scenario folder ``Batch``, or ``Interactive`` for a benchmark that only allows Server. Passes:
    ``Offline``, or ``offline`` in lower case.
    """
    if ctx.scenario is None:
        yield Problem(
            ctx.rel(ctx.unit.result_dir),
            f"'{ctx.unit.scenario_dir}' is not a scenario",
            expected=ctx.rules["scenarios"],
            found=ctx.unit.scenario_dir,
        )
        return
    if ctx.unit.division == "open" or ctx.benchmark is None:
        return
    table = ctx.rules.scenario_table(ctx.benchmark, ctx.system.get("system_type"))
    if table is None:
        return
    allowed = table["required"] + table["optional"]
    if ctx.scenario not in allowed:
        yield Problem(
            ctx.rel(ctx.unit.result_dir),
            f"{ctx.benchmark} does not allow the {ctx.scenario} scenario on a '{ctx.system.get('system_type')}' system",
            expected=allowed,
            found=ctx.scenario,
        )


@rule(
    "ST008",
    "benchmark-not-for-system-type",
    fix=(
        "Check system_type in the system description, or move the result to a system whose type allows this benchmark."
    ),
)
def benchmark_not_for_system_type(ctx: ResultContext) -> Iterator[Problem]:
    """The benchmark has no scenario table for the system's ``system_type`` in this round.

    Fails: a benchmark without an ``edge`` scenario table on an edge system. Passes: a benchmark the system's type
    lists.
    """
    system_type = ctx.system.get("system_type")
    if ctx.benchmark is None or ctx.rules.system_type_key(system_type) is None:
        return
    if ctx.rules.scenario_table(ctx.benchmark, system_type) is None:
        yield Problem(
            ctx.rel(ctx.unit.result_dir.parent),
            f"{ctx.benchmark} is not a benchmark for '{system_type}' systems in {ctx.rules.version}",
            expected="datacenter/edge combination listing this benchmark",
            found=system_type,
        )


def _benchmarks(ctx: SystemContext) -> dict[str, dict[str, str]]:
    """Benchmark folder -> {canonical scenario: folder as spelled} for one system."""
    found: dict[str, dict[str, str]] = {}
    for result in ctx.submitter.results:
        if result.system == ctx.system:
            scenario = ctx.rules.canonical_scenario(result.scenario_dir)
            if scenario:
                found.setdefault(result.benchmark, {})[scenario] = result.scenario_dir
    return found


@rule(
    "ST009",
    "required-scenario-missing",
    scope="system",
    fix=("Add the missing scenario's results, or withdraw the benchmark for this system."),
)
def required_scenario_missing(ctx: SystemContext) -> Iterator[Problem]:
    """Closed and network: a benchmark lacks a scenario its system type requires.

    When Server and Interactive are both optional, at least one of them must be present.

    Fails: an edge digits system without its required Offline result. Passes: Offline present and the optional Server
    left out.
    """
    if ctx.submitter.division == "open":
        return
    system_type = ctx.data.get("system_type")
    for folder, scenarios in _benchmarks(ctx).items():
        benchmark = ctx.rules.resolve_benchmark(folder)
        table = ctx.rules.scenario_table(benchmark, system_type) if benchmark else None
        if table is None:
            continue
        where = f"{ctx.submitter.rel}/results/{ctx.system}/{folder}"
        missing = [s for s in table["required"] if s not in scenarios]
        if missing:
            yield Problem(
                where,
                f"{benchmark} on a '{system_type}' system requires {', '.join(missing)}",
                expected=table["required"],
                found=sorted(scenarios),
            )
        either = [s for s in ("Server", "Interactive") if s in table["optional"]]
        if len(either) == 2 and not any(s in scenarios for s in either):
            yield Problem(
                where,
                f"{benchmark} needs a Server or an Interactive result",
                expected=either,
                found=sorted(scenarios),
            )


def _missing(folder: Path, names: list[str]) -> list[tuple[str, RawFile]]:
    """Required files that are absent or not regular files (a folder, FIFO, device), with why."""
    found = []
    for name in names:
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
    for base in dirs:
        for name in names:
            if (ctx.unit.submitter_dir / base / name).exists():
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
    for entry in ctx.entries:
        if entry.size is None and not entry.is_dir:
            continue  # a broken link: ST016's
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
