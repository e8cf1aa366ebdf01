"""ST: the shape of the tree: its layout, top-level folders, stray files, system descriptions, benchmarks,
scenarios per system type and the scenarios each system must have. Required files and entries:
:mod:`checker.checks.structure_files`.
"""

from __future__ import annotations

from collections.abc import Iterator

from checker.config import SETTINGS_FILES
from checker.context import ResultContext, SubmitterContext, SystemContext, TreeContext
from checker.discovery import allowed_layouts
from checker.findings import Problem, Severity
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

    subcheck's own files (``subcheck.yaml``, the ``.subcheck.yaml`` round pin, and the ``prepare_log.txt`` that
    ``subcheck prepare`` writes) may sit there too.

    Fails: ``results.csv`` at the root. Passes: a ``README.md`` or a ``subcheck.yaml`` at the root.
    """
    for name in ctx.tree.stray_root_entries:
        if name in SETTINGS_FILES:
            continue
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


_SIGNS = {
    "split": "measurements/ or compliance/ beside results/",
    "merged": "measurements.json in the result folders",
}


@rule(
    "ST019",
    "layout-not-allowed",
    scope="submitter",
    fix=(
        "Lay the folder out as the round requires: split keeps measurements/<system>/... and compliance/<system>/... "
        "beside results/; merged keeps measurements.json and the TEST0x audits in each result folder."
    ),
)
def layout_not_allowed(ctx: SubmitterContext) -> Iterator[Problem]:
    """The submitter folder is in a layout the round does not accept, or in both layouts at once.

    The layout is a property of the tree as well as of the round: discovery reads each submitter folder in the
    layout it shows, so a merged tree checked against a split round (or the reverse) yields this one finding
    rather than one missing-file finding per measurement and audit. A folder that shows both layouts is
    ambiguous in any round, including one whose rule file accepts both (``layout: [split, merged]``).

    Fails: ``measurements.json`` in the result folders under a split round; ``measurements/`` beside
    ``results/`` and ``measurements.json`` in the result folders. Passes: a folder in the round's layout.
    """
    allowed = list(allowed_layouts(ctx.rules["layout"]))
    shown = ctx.unit.shown_layout
    if shown == "mixed":
        yield Problem(
            ctx.unit.rel,
            f"folder holds both layouts ({_SIGNS['split']}, and {_SIGNS['merged']}); read as {ctx.unit.layout}",
            expected=allowed,
            found="split+merged",
        )
    elif shown is not None and shown not in allowed:
        yield Problem(
            ctx.unit.rel,
            f"folder is in the {shown} layout ({_SIGNS[shown]}); {ctx.rules['round']} requires "
            f"{' or '.join(allowed)}; read as {shown} so that its files are still checked",
            expected=allowed,
            found=shown,
        )
