"""Training power: the ``power/`` layout of a benchmark folder and the energy-to-train score.

A benchmark folder may hold ``power/result_<k>/node_<i>.txt`` and ``sw_<j>.txt`` (``:::MLLOG`` logs) for each
``result_<k>.txt``. The official package checker (``power_checker.py``) checks only the layout; the result
summarizer turns the logs into joules per run:

* node file: ``conversion_eff`` x sum(power_reading x dt) over readings between ``power_measurement_start``
  and ``_stop`` (dt from the previous reading, the first from start), scaled by TTT / (stop - start), / 1000;
* switch file: ``conversion_eff`` (if logged before it) x the first ``interconnect_power_est`` x TTT / 1000;

and the folder's energy is the olympic average of the scored runs ranked by *time*, times the scaling factor.
Where the official code crashes (no node file, no start, stop == start, a non-numeric reading or index) this
module returns a problem instead, and the energy is left empty rather than guessed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from checker.findings import Problem, Severity
from checker.parsers.mllog import Mllog, parse_file
from checker.parsers.text import limit_for
from checker.training.constraints import is_number

if TYPE_CHECKING:
    from checker.training.context import BenchmarkContext

_POWER_FILE = re.compile(r"^(node|sw)")


@dataclass(frozen=True)
class RunPower:
    """The power files of one run: node and switch logs by index, and naming problems."""

    run: str  # result_<k>
    folder: Path
    present: bool
    nodes: tuple[Path, ...] = ()
    switches: tuple[Path, ...] = ()
    naming: tuple[str, ...] = ()  # why the file names break the node_<i>/sw_<j> rule
    strays: tuple[str, ...] = ()  # other files (an official warning)


@dataclass(frozen=True)
class PowerLayout:
    """``power/`` of one benchmark folder: per-run files and the runs whose file counts are off."""

    runs: tuple[RunPower, ...]
    count_outliers: dict[str, str] = field(default_factory=dict)  # run -> why

    @property
    def bad_runs(self) -> list[str]:
        """Runs the official checker marks non-compliant (missing folder, bad names, odd counts)."""
        return [r.run for r in self.runs if not r.present or r.naming or r.run in self.count_outliers]


def read_layout(bench: Path, run_names: Sequence[str]) -> PowerLayout | None:
    """The layout under ``bench/power``, or None when the folder has no power results."""
    power = bench / "power"
    if not power.is_dir():
        return None
    runs = [_run_files(power / name, name) for name in run_names]
    outliers: dict[str, str] = {}
    present = [r for r in runs if r.present]
    for kind, label in (("nodes", "node"), ("switches", "sw")):
        counts = Counter(len(getattr(r, kind)) for r in present)
        if not counts:
            continue
        usual = counts.most_common(1)[0][0]
        for r in present:
            n = len(getattr(r, kind))
            if n != usual:
                outliers.setdefault(r.run, f"{n} {label} logs where the other runs have {usual}")
    return PowerLayout(tuple(runs), outliers)


def _run_files(folder: Path, name: str) -> RunPower:
    if not folder.is_dir():
        return RunPower(name, folder, False)
    nodes: list[Path] = []
    switches: list[Path] = []
    strays: list[str] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        return RunPower(name, folder, True, naming=(f"cannot list the folder: {exc.strerror or exc}",))
    for entry in entries:
        m = _POWER_FILE.match(entry.name)
        if not m or not entry.is_file():
            strays.append(entry.name)
            continue
        (nodes if m.group(1) == "node" else switches).append(entry)
    naming = [*_index_problems(nodes, "node"), *_index_problems(switches, "sw")]
    return RunPower(name, folder, True, tuple(nodes), tuple(switches), tuple(naming), tuple(strays))


def _index_problems(files: Sequence[Path], kind: str) -> list[str]:
    """Indices must be the integers 0..n-1, each once (the official duplicate test never fires)."""
    out: list[str] = []
    seen: set[int] = set()
    for path in files:
        tail = path.stem.rsplit("_", 1)[-1]
        if not tail.isdigit():
            out.append(f"{path.name}: index {tail!r} is not an integer (the official checker crashes)")
            continue
        idx = int(tail)
        if idx >= len(files):
            out.append(f"{path.name}: index {idx} outside 0..{len(files) - 1}")
        elif idx in seen:
            out.append(f"{path.name}: index {idx} used twice")
        seen.add(idx)
    return out


@dataclass(frozen=True)
class RunEnergy:
    """Joules of one run, or the problems that leave it unknown."""

    run: str
    joules: float | None
    problems: tuple[Problem, ...] = ()


def run_energy(rp: RunPower, ttt_ms: float, root: Path, limit: int) -> RunEnergy:
    """Energy of one scored run from its node and switch logs, as the summarizer computes it."""
    problems: list[Problem] = []
    if not rp.present or not rp.nodes:
        where = _rel(rp.folder, root)
        return RunEnergy(rp.run, None, (Problem(where, "no node_<i>.txt power log for a scored run"),))
    total = 0.0
    for path in rp.nodes:
        joules, probs = _node_energy(parse_file(path, limit), ttt_ms, _rel(path, root))
        problems += probs
        total += joules if joules is not None else math.nan
    for path in rp.switches:
        joules, probs = _switch_energy(parse_file(path, limit), ttt_ms, _rel(path, root))
        problems += probs
        total += joules
    failed = any(p.severity in (None, Severity.ERROR) for p in problems)
    if not failed and not math.isfinite(total):
        problems.append(Problem(_rel(rp.folder, root), f"the energy of {rp.run} is not a finite number", found=total))
        failed = True
    return RunEnergy(rp.run, None if failed else total, tuple(problems))


def _readable(log: Mllog, where: str) -> list[Problem]:
    if log.read_error:
        return [Problem(where, log.read_error)]
    return [Problem(where, f"broken log line: {e.message}", line=e.line, found=e.text) for e in log.malformed]


def _number(value: object, what: str, where: str, line: int | None) -> tuple[float | None, list[Problem]]:
    """A finite, non-negative number (no meter reads negative watts; an efficiency is above 0), else a problem."""
    if is_number(value) and math.isfinite(float(value)):  # type: ignore[arg-type]
        number = float(value)  # type: ignore[arg-type]
        if number > 0 or (number == 0 and what != "conversion_eff"):
            return number, []
        return None, [Problem(where, f"{what} {value!r} is not positive", line=line, key=what, found=number)]
    return None, [Problem(where, f"{what} {value!r} is not a number", line=line, key=what, found=repr(value))]


def _node_energy(log: Mllog, ttt_ms: float, where: str) -> tuple[float | None, list[Problem]]:
    problems = _readable(log, where)
    start = stop = None
    prev = last = 0.0
    agg, eff, readings = 0.0, 1.0, 0
    for rec in sorted(log.records, key=lambda r: r.time_ms):
        if rec.key == "power_measurement_start":
            start = prev = rec.time_ms
        elif rec.key == "power_reading" and stop is None and start is not None:
            watts, bad = _number(rec.value, "power_reading", where, rec.line)
            problems += bad
            agg += (watts or 0.0) * (rec.time_ms - prev)
            prev, last, readings = rec.time_ms, max(last, rec.time_ms), readings + 1
        elif rec.key == "power_measurement_stop":
            stop = rec.time_ms
        elif rec.key == "conversion_eff":
            value, bad = _number(rec.value, "conversion_eff", where, rec.line)
            problems += bad
            eff = value if value is not None else eff
    if start is None:
        return None, [*problems, Problem(where, "no power_measurement_start", key="power_measurement_start")]
    if not readings:  # a window without a reading measured nothing; it is not 0 J
        return None, [*problems, Problem(where, "no power_reading in the measurement window", key="power_reading")]
    if stop is None:
        stop = last
        problems.append(
            Problem(
                where,
                "no power_measurement_stop: the last reading ends the window, as officially",
                key="power_measurement_stop",
                severity=Severity.WARNING,
            )
        )
    if stop <= start:
        return None, [
            *problems,
            Problem(where, "the measurement window is empty", expected="> 0 ms", found=stop - start),
        ]
    return eff * agg * ttt_ms / (stop - start) / 1000, problems


def _switch_energy(log: Mllog, ttt_ms: float, where: str) -> tuple[float, list[Problem]]:
    problems = _readable(log, where)
    eff, watts = 1.0, None
    for rec in log.records:  # file order: a conversion_eff after the estimate is not used (as officially)
        if rec.key == "conversion_eff":
            value, bad = _number(rec.value, "conversion_eff", where, rec.line)
            problems += bad
            eff = value if value is not None else eff
        if rec.key == "interconnect_power_est":
            watts, bad = _number(rec.value, "interconnect_power_est", where, rec.line)
            problems += bad
            break
    if watts is None and not problems:
        problems.append(
            Problem(where, "no interconnect_power_est: the switch adds nothing", key="interconnect_power_est")
        )
    return eff * (watts or 0.0) * ttt_ms / 1000, problems


def energy_average(energies: Sequence[float], times: Sequence[float], dropped: int, k: int) -> float | None:
    """Olympic average of energies ranked by their runs' times (the summarizer's ``_index_olympic_average``)."""
    order = sorted(range(len(times)), key=lambda i: times[i])
    ranked = [energies[i] for i in order]
    kept = ranked[k : len(ranked) - (k - dropped)]
    return sum(kept) / len(kept) if kept else None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass(frozen=True)
class EnergyScore:
    """The folder's energy to train in joules (scaled like the time score), or why there is none."""

    runs: tuple[RunEnergy, ...]
    joules: float | None
    why: str | None = None


def energy_score(ctx: BenchmarkContext) -> EnergyScore | None:
    """Energy of a folder with power results: every scored run needs its energy, then the olympic average."""
    from checker.training.scoring import run_window

    layout = ctx.power_layout
    if layout is None:
        return None
    sc = ctx.score
    by_name = {r.run: r for r in layout.runs}
    cap = limit_for(ctx.rules, "training_log")
    runs: list[RunEnergy] = []
    times: list[float] = []
    for run, t in zip(ctx.runs, sc.runs, strict=True):
        window = run_window(run.log) if t.minutes is not None else None
        if window is None:
            continue
        times.append(window[1] - window[0])
        runs.append(run_energy(by_name[run.name], window[1] - window[0], ctx.root, cap))
    missing = [r.run for r in runs if r.joules is None]
    if sc.too_many_dropped:
        return EnergyScore(tuple(runs), None, "the time score is empty (too many runs dropped)")
    if missing:
        return EnergyScore(tuple(runs), None, f"no energy for scored run(s) {', '.join(missing)}")
    k = ctx.rules["scoring"]["drop_fastest"]
    avg = energy_average([r.joules or 0.0 for r in runs], times, sc.dropped, k)
    if avg is None:
        return EnergyScore(tuple(runs), None, "no run remains after olympic trimming")
    return EnergyScore(tuple(runs), avg * sc.scaling_factor)
