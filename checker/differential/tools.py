"""The tools of the differential run, as one table: which suite and rounds each applies to, and how it is run.

Adding a tool is one entry in ``TOOLS`` with a
runner that returns a :class:`ToolRun`: per result location, accepted or not and its metrics by unit.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from checker.differential.mirror import extract, git_dir

EXT = Path(os.environ.get("SUBCHECK_EXT", "/work/ext"))  # where official tools live, outside the repository
TIMEOUT_S = int(os.environ.get("SUBCHECK_DIFFERENTIAL_TIMEOUT", "1800"))


@dataclass
class Verdict:
    """One tool's word on one result: accepted or not, and its metric value per unit."""

    accepted: bool
    metrics: dict[str, float] = field(default_factory=dict)
    codes: tuple[str, ...] = ()  # subcheck only: the rule codes that rejected it


@dataclass
class ToolRun:
    """What one tool said about one tree: ``ran`` with verdicts, ``crashed`` (with why), or ``absent``/``n/a``."""

    status: str
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Tool:
    """One row of the tool table; ``run(tree, version, workdir)`` returns a :class:`ToolRun`."""

    name: str
    suite: str
    versions: tuple[str, ...]
    run: Callable[[Path, str, Path], ToolRun]
    kept: str | None = None  # a kept output beside the tree ("{tree}.official-summary.csv") read in --fast mode
    parse_kept: Callable[[Path], ToolRun] | None = None


# --- subcheck itself, in process ----------------------------------------------------------------------------
def run_subcheck(tree: Path, version: str, suite: str, jobs: int = 2) -> ToolRun:
    """Run subcheck on ``tree``: every result's verdict, the codes that rejected it and its metrics by unit."""
    from checker.discovery import DiscoveryError
    from checker.engine import run_checks
    from checker.registry import load_all
    from checker.rounds import Round
    from checker.suites import suite_named

    load_all()
    try:
        rules = Round.load(suite, version)
        report = run_checks(suite_named(suite).discover(tree.resolve(), rules, None), rules, jobs=jobs)
    except DiscoveryError as error:
        return ToolRun("crashed", note=str(error))
    run = ToolRun("ran")
    for result in report.results:
        metrics = {}
        for row in result["rows"]:
            if suite == "training" and isinstance(row.get("score"), float):
                metrics[row.get("unit", "minutes")] = row["score"]
                if isinstance(row.get("Energy"), float):  # power results: energy to train, as the summarizer's
                    metrics[row.get("energy_unit", "J")] = row["Energy"]
            elif isinstance(row.get("Result"), (int, float)):
                metrics[str(row.get("Units"))] = float(row["Result"])
        codes = tuple(result["Findings"].split())
        run.verdicts[result["Location"]] = Verdict(bool(result["Valid"]), metrics, codes)
    if suite != "endpoints":
        return run
    failing = [(f.unit or f.path, f.code) for f in report.findings if f.fails]
    return fold_submissions(run, failing)


# --- the official inference checkers, extracted from the mirror --------------------------------------------
def official_folder(tag: str, workdir: Path) -> Path | None:
    """``tools/submission`` of the official checker at ``tag``: under SUBCHECK_EXT, else extracted from the mirror."""
    for base in (EXT / f"inference-{tag}", workdir / f"inference-{tag}"):
        if (base / "tools" / "submission").is_dir():
            return base / "tools" / "submission"
    if not git_dir().is_dir():
        return None
    extract(git_dir(), tag, workdir / f"inference-{tag}", "tools/submission")
    return workdir / f"inference-{tag}" / "tools" / "submission"


def read_inference_csv(path: Path) -> ToolRun:
    """The official checker's results table: each row is an accepted result; a power result adds a second row."""
    run = ToolRun("ran")
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            verdict = run.verdicts.setdefault(row["Location"], Verdict(True))
            try:
                verdict.metrics[row["Units"]] = float(row["Result"])
            except (KeyError, ValueError):
                continue
    return run


def result_location(location: str, tree: Path) -> str:
    """An official Location as subcheck writes it: relative to the tree, the scenario folder (HEAD writes the
    absolute path of an Endpoints-client result's ``performance/run_1``).
    """
    path = location.replace("\\", "/")
    for root in (str(tree.resolve()), str(tree)):
        if path.startswith(root.rstrip("/") + "/"):
            path = path[len(root.rstrip("/")) + 1 :]
            break
    return re.sub(r"/performance/run_\d+/?$", "", path)


def crash_line(output: str) -> str:
    """The exception line that ended a Python traceback, or the last line of the output."""
    lines = [line for line in output.splitlines() if line.strip()]
    if "Traceback (most recent call last)" in output:
        errors = [line for line in lines if not line.startswith((" ", "\t", "Traceback"))]
        return errors[-1] if errors else lines[-1]
    return lines[-1] if lines else "no output"


def official_inference(tag: str, module: bool, extra: tuple[str, ...] = ()) -> Callable[[Path, str, Path], ToolRun]:
    """A runner for the official checker at ``tag`` (``module``: the modular HEAD checker, run with ``-m``)."""

    def run(tree: Path, version: str, workdir: Path) -> ToolRun:
        folder = official_folder(tag, workdir)
        if folder is None:
            return ToolRun("absent", note=f"no {tag} checker: set INFERENCE_GITDIR to the mlcommons/inference mirror")
        table = workdir / f"official-{tag}-{version}.csv"
        table.unlink(missing_ok=True)
        entry = ["-m", "submission_checker.main"] if module else ["submission_checker.py"]
        argv = [sys.executable, *entry, "--input", str(tree.resolve()), "--version", version, "--csv", str(table)]
        try:
            done = subprocess.run([*argv, *extra], cwd=folder, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return ToolRun("crashed", note=f"no answer within {TIMEOUT_S} s")
        output = done.stdout + done.stderr
        if not table.exists() or "Traceback (most recent call last)" in output:
            return ToolRun("crashed", note=crash_line(output))
        run = read_inference_csv(table)
        run.verdicts = {result_location(loc, tree): v for loc, v in run.verdicts.items()}
        return run

    return run


# --- mlperf-logging (PyPI), in its own interpreter -----------------------------------------------------------
def logging_python() -> str | None:
    """An interpreter that imports mlperf_logging: MLPERF_LOGGING_PYTHON, the one under SUBCHECK_EXT, or ours."""
    for candidate in (os.environ.get("MLPERF_LOGGING_PYTHON"), str(EXT / "venv-mlperf-logging" / "bin" / "python")):
        if candidate and Path(candidate).exists():
            return candidate
    try:
        import mlperf_logging  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return None
    return sys.executable


def _ruleset(version: str) -> str:
    return f"{version.lstrip('v')}.0"  # v4.1 -> 4.1.0, the name mlperf-logging gives a training round


def submitters(tree: Path) -> list[Path]:
    return sorted(p for p in tree.iterdir() if p.is_dir() and (p / "results").is_dir())


def package_checker(tree: Path, version: str, workdir: Path) -> ToolRun:
    """``mlperf_logging.package_checker`` on each submitter folder: its verdict holds for every result in it."""
    python = logging_python()
    if python is None:
        return ToolRun("absent", note="pip install mlperf-logging (or set MLPERF_LOGGING_PYTHON)")
    run = ToolRun("ran")
    failed = []
    for folder in submitters(tree):
        argv = [python, "-m", "mlperf_logging.package_checker", str(folder), "training", _ruleset(version)]
        argv += ["--log_output", str(workdir / f"package_checker-{folder.name}.log")]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=workdir)
        log = workdir / f"package_checker-{folder.name}.log"
        said = done.stdout + done.stderr + (log.read_text(errors="replace") if log.is_file() else "")
        accepted = done.returncode == 0 and "SUCCESS" in said
        if not accepted:
            failed.append(folder.name)
        for result in sorted((folder / "results").glob("*/*")):
            if result.is_dir():
                run.verdicts[f"{folder.name}/results/{result.parent.name}/{result.name}"] = Verdict(accepted)
    run.note = f"FAIL: {', '.join(failed)}" if failed else "SUCCESS for every submitter"
    return run


def read_summary_csv(path: Path) -> ToolRun:
    """The result summarizer's table: one row per system, minutes per benchmark column; a score is an acceptance.

    Its detailed table (``<name>_detailed.csv``) adds ``<benchmark>:Energy`` (joules) for power results.
    """
    fixed = {"division", "availability", "submitter", "system", "number_of_nodes", "host_processor_model_name"}
    fixed |= {"host_processors_count", "accelerator_model_name", "accelerators_count", "framework", "notes"}
    fixed |= {"private_id", "details_url", "code_url"}
    run = ToolRun("ran")
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            system = Path(row["details_url"]).stem  # .../<submitter>/systems/<system>.json
            for column, value in row.items():
                if column in fixed or not value:
                    continue
                benchmark, _, detail = column.partition(":")  # the detailed table: "<benchmark>:Energy" (joules)
                if detail not in ("", "Energy"):
                    continue
                location = f"{row['submitter']}/results/{system}/{benchmark}"
                verdict = run.verdicts.setdefault(location, Verdict(True))
                verdict.metrics["J" if detail else "minutes"] = float(value)
    return run


def result_summarizer(tree: Path, version: str, workdir: Path) -> ToolRun:
    """``mlperf_logging.result_summarizer`` on each submitter folder (it takes one at a time), CSVs read back."""
    python = logging_python()
    if python is None:
        return ToolRun("absent", note="pip install mlperf-logging (or set MLPERF_LOGGING_PYTHON)")
    run = ToolRun("ran")
    for folder in submitters(tree):
        table = workdir / f"summarizer-{folder.name}.csv"
        table.unlink(missing_ok=True)
        argv = [python, "-m", "mlperf_logging.result_summarizer", str(folder), "training", _ruleset(version)]
        argv += ["--csv", str(table)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=workdir)
        if not table.exists():
            return ToolRun("crashed", note=f"{folder.name}: {crash_line(done.stdout + done.stderr)}")
        run.verdicts.update(read_summary_csv(table).verdicts)
        detailed = table.with_name(f"{table.stem}_detailed.csv")
        if detailed.is_file():
            for location, verdict in read_summary_csv(detailed).verdicts.items():
                if "J" in verdict.metrics and location in run.verdicts:
                    run.verdicts[location].metrics["J"] = verdict.metrics["J"]
    return run


def endpoints_python() -> str | None:
    """An interpreter that imports the Endpoints ``submission_checker``: ENDPOINTS_CHECKER_PYTHON, or ours."""
    given = os.environ.get("ENDPOINTS_CHECKER_PYTHON")
    if given and Path(given).exists():
        return given
    import importlib.util

    return sys.executable if importlib.util.find_spec("submission_checker") else None


def endpoints_checker(tree: Path, version: str, workdir: Path) -> ToolRun:
    """The Endpoints ``submission-checker`` (PyPI endpoints-submission-cli) on each submission of the tree.

    It judges a submission as a whole (pass or fail), so the two tools are compared per submission: subcheck's
    verdicts on the submission's curves are folded into one (:func:`fold_submissions`).
    """
    from checker.endpoints.discovery import find_submissions

    python = endpoints_python()
    if python is None:
        return ToolRun("absent", note="pip install endpoints-submission-cli (or set ENDPOINTS_CHECKER_PYTHON)")
    run = ToolRun("ran")
    entry = "from submission_checker.cli import main; main()"  # the wheel ships no console script
    for index, submission in enumerate(find_submissions(tree.resolve())):
        out = workdir / f"endpoints-{index}.json"
        out.unlink(missing_ok=True)
        argv = [python, "-c", entry, "check", str(submission), "-o", str(out)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=workdir)
        except subprocess.TimeoutExpired:
            return ToolRun("crashed", note=f"no answer within {TIMEOUT_S} s")
        try:
            passed = bool(json.loads(out.read_text(encoding="utf-8"))["passed"])
        except (OSError, ValueError, KeyError, TypeError):
            return ToolRun("crashed", note=crash_line(done.stdout + done.stderr))
        run.verdicts[submission.relative_to(tree.resolve()).as_posix()] = Verdict(passed)
    return run


def fold_submissions(run: ToolRun, failing: list[tuple[str, str]] | None = None) -> ToolRun:
    """One verdict per submission (``<org>/<submission_id>``), as the official checker gives: accepted when every
    result in it is and no error-level finding lies in it (``failing``: (path, code) of each such finding).
    """
    folded = ToolRun(run.status, note=run.note)
    found = [(loc, v.accepted, v.codes) for loc, v in run.verdicts.items()]
    found += [(path, False, (code,)) for path, code in failing or []]
    for location, accepted, codes in found:
        parts = location.split("/")
        if len(parts) < 2:
            continue  # a finding on the tree or an organisation folder lies in no submission
        key = "/".join(parts[:2])
        before = folded.verdicts.get(key, Verdict(True))
        folded.verdicts[key] = Verdict(before.accepted and accepted, {}, tuple(sorted({*before.codes, *codes})))
    return folded


INFERENCE_ROUNDS = ("v4.1", "v5.0", "v5.1", "v6.0", "v6.1")
SKIP_ROOT = ("--skip-extra-files-in-root-check",)  # a published round's repository keeps files beside closed/
TOOLS: tuple[Tool, ...] = (
    Tool(
        "official-v4.1",
        "inference",
        ("v4.1",),
        official_inference("v4.1", module=False),
        kept="{tree}.official-summary.csv",
        parse_kept=read_inference_csv,
    ),
    Tool("official-v5.1.1", "inference", ("v5.0", "v5.1"), official_inference("v5.1.1", False, SKIP_ROOT)),
    Tool("official-HEAD", "inference", ("v5.0", "v5.1", "v6.0", "v6.1"), official_inference("HEAD", True, SKIP_ROOT)),
    Tool("mlperf-logging package_checker", "training", ("v4.1", "v5.0", "v5.1", "v6.0", "v6.1"), package_checker),
    Tool(
        "mlperf-logging result_summarizer",
        "training",
        ("v4.1", "v5.0", "v5.1", "v6.0", "v6.1"),
        result_summarizer,
        kept="{tree}.official-summary.csv",
        parse_kept=read_summary_csv,
    ),
    Tool("endpoints submission-checker", "endpoints", ("v1.0",), endpoints_checker),
)


def applicable(suite: str, version: str) -> list[Tool]:
    """The tools of the table that check ``suite`` trees of round ``version``."""
    return [tool for tool in TOOLS if tool.suite == suite and version in tool.versions]


def run_tool(tool: Tool, tree: Path, version: str, workdir: Path, fast: bool) -> ToolRun:
    """Run ``tool`` on ``tree``, or in ``fast`` mode read its kept output beside the tree when there is one."""
    if fast and tool.kept and tool.parse_kept:
        kept = Path(tool.kept.format(tree=str(tree).rstrip("/")))
        if kept.is_file():
            run = tool.parse_kept(kept)
            run.note = f"kept output {kept.name}"
            return run
    return tool.run(tree, version, workdir)
