"""TE: training power results: the ``power/`` layout (official power checker) and the energy-to-train score.

Power is optional: nothing here fires unless a benchmark folder has ``power/``. Runs whose power folder is
missing, misnamed or has an odd number of files are non-compliant, as officially, and share the olympic
allowance with runs that fail compliance (one bad run is a warning, more are errors, see TP003).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from checker.findings import Problem, Severity
from checker.parsers.mllog import parse_file
from checker.parsers.text import limit_for
from checker.registry import rule
from checker.training.context import BenchmarkContext
from checker.training.scoring import run_window


def _tolerate(ctx: BenchmarkContext, p: Problem) -> Problem:
    if ctx.tolerated and p.severity in (None, Severity.ERROR):
        n, allowed = len(ctx.bad_runs), ctx.meta["allowed_failures"]
        return replace(
            p, severity=Severity.WARNING, message=f"{p.message} (tolerated: {n} failing run(s), {allowed} allowed)"
        )
    return p


@rule(
    "TE001",
    "power-run-missing",
    suite="training",
    fix="Add power/result_<k>/ with the node (and switch) logs of every result_<k>.txt, or remove power/.",
)
def power_run_missing(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A folder has ``power/`` but a run has no ``power/result_<k>/`` (the official summarizer then crashes).

    Fails: power/result_0/ and power/result_1/ for three runs. Passes: one folder per run, or no power/.
    """
    layout = ctx.power_layout
    if layout is None or not ctx.allowed:
        return
    for rp in layout.runs:
        if not rp.present:
            where = ctx.rel(rp.folder)
            yield _tolerate(ctx, Problem(where, f"no power folder for {rp.run}", expected=where, found="missing"))


@rule(
    "TE002",
    "power-file-names",
    suite="training",
    fix="Name power logs node_<i>.txt and sw_<j>.txt with i, j counting from 0, and keep nothing else there.",
)
def power_file_names(ctx: BenchmarkContext) -> Iterator[Problem]:
    """Power logs are not named ``node_<i>``/``sw_<j>`` with indices 0..n-1 each once, or ``power`` is there but
    is not a folder (a file, a FIFO, a broken link: its power results cannot be read); other files warn.

    Fails: node_1.txt alone (index outside 0..0), or node_a.txt; a file named power. Passes: node_0.txt,
    node_1.txt, sw_0.txt.
    """
    folder = ctx.bdir.path / "power"
    if ctx.allowed and (folder.exists() or folder.is_symlink()) and not folder.is_dir():
        yield Problem(ctx.rel(folder), "power is not a folder; no power result can be read", expected="a folder")
    layout = ctx.power_layout
    if layout is None or not ctx.allowed:
        return
    for rp in layout.runs:
        for why in rp.naming:
            yield _tolerate(ctx, Problem(ctx.rel(rp.folder), why))
        for name in rp.strays:
            yield Problem(
                ctx.rel(rp.folder / name), f"{name!r} is not a node_/sw_ power log", severity=Severity.WARNING
            )


@rule(
    "TE003",
    "power-count-mismatch",
    suite="training",
    fix="Log power for the same nodes and switches in every run.",
)
def power_count_mismatch(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A run has a different number of node or switch logs than most runs (a node's log is missing).

    Fails: 2 node logs in result_0 and result_1, 1 in result_2. Passes: 2 in each.
    """
    layout = ctx.power_layout
    if layout is None or not ctx.allowed:
        return
    for rp in layout.runs:
        if rp.run in layout.count_outliers:
            yield _tolerate(ctx, Problem(ctx.rel(rp.folder), layout.count_outliers[rp.run]))


@rule(
    "TE004",
    "energy-unscorable",
    suite="training",
    fix="Log power_measurement_start/_stop and numeric power_reading (node) or interconnect_power_est (switch).",
)
def energy_unscorable(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A scored run's power logs do not give an energy, so the folder's energy to train is empty.

    Why: the official summarizer crashes here (no start, no node log, empty window, a non-numeric reading),
    and counts a switch without ``interconnect_power_est`` as 0 W. Fails: a node log without
    power_measurement_start. Passes: start, readings, stop (a missing stop is a warning: the last reading ends it).
    """
    energy = ctx.energy
    if energy is None or not ctx.allowed:
        return
    for run in energy.runs:
        yield from run.problems
    if energy.joules is None and energy.why and not any(r.problems for r in energy.runs):
        yield Problem(ctx.rel(ctx.bdir.path / "power"), f"no energy to train: {energy.why}")


@rule(
    "TE005",
    "power-window-short",
    suite="training",
    severity=Severity.WARNING,
    fix="Measure power from before run_start until after run_stop.",
)
def power_window_short(ctx: BenchmarkContext) -> Iterator[Problem]:
    """A node's measurement window does not cover its run, so the energy is extrapolated from part of it.

    Why: the official tools never compare the windows; the summarizer scales any window to the run's length.
    Fails: power_measurement_stop 10 minutes before run_stop. Passes: start <= run_start, stop >= run_stop.
    """
    layout = ctx.power_layout
    if layout is None or not ctx.allowed:
        return
    by_name = {r.run: r for r in layout.runs}
    for run in ctx.runs:
        window = run_window(run.log)
        rp = by_name.get(run.name)
        if window is None or rp is None:
            continue
        for path in rp.nodes:
            log = parse_file(path, limit_for(ctx.rules, "training_log"))
            start, stop = log.first("power_measurement_start"), log.first("power_measurement_stop")
            if start is None or stop is None:
                continue  # TE004 reports it
            if start.time_ms > window[0] or stop.time_ms < window[1]:
                measured = f"{start.time_ms:.0f} .. {stop.time_ms:.0f}"
                yield Problem(
                    ctx.rel(path),
                    f"power measured {measured} ms, the run is {window[0]:.0f} .. {window[1]:.0f}",
                    expected=f"<= {window[0]:.0f} .. >= {window[1]:.0f}",
                    found=measured,
                )
