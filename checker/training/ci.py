"""``subcheck ci`` on a training results repository: check the benchmark folders a git change touched.

A training repository holds ``<submitter>/results/<system>/<benchmark>/`` and ``<submitter>/systems/<system>.json``
(or is one submitter folder). A changed file maps to the benchmark folder it lies in; a changed system
description, or a ``package_checker_params`` above the benchmark, to every benchmark folder it governs; code
under ``benchmarks/<benchmark>/`` to that benchmark's folders. Only those folders (and the changed system
descriptions) are checked, with the same rules as ``subcheck check``, and only findings about the change are
kept, as for inference.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from checker.engine import Report, Selection, emit, run_checks
from checker.findings import Finding, Problem
from checker.gitdiff import Change
from checker.gitrepo import GitChangeError, open_repo, temporary_folder
from checker.options import RunOptions
from checker.rounds import Round
from checker.training.discovery import PARAMS_FILE, SubmitterDir, TrainingTree, discover_submitter

BenchKey = tuple[str, str, str]  # submitter rel, system, benchmark


@dataclass
class Touched:
    """What a change touches in a training tree."""

    single: bool  # the root is one submitter folder (its rel is ".")
    paths: set[str] = field(default_factory=set)
    submitters: set[str] = field(default_factory=set)
    benchmarks: dict[BenchKey, set[str]] = field(default_factory=dict)  # -> change statuses
    systems: set[tuple[str, str]] = field(default_factory=set)  # every benchmark of the system
    system_jsons: set[tuple[str, str]] = field(default_factory=set)
    code: set[tuple[str, str]] = field(default_factory=set)  # (submitter, benchmark)
    whole: set[str] = field(default_factory=set)  # submitter-level params: every benchmark

    @property
    def ancestors(self) -> set[str]:
        return {p.as_posix() for path in self.paths for p in PurePosixPath(path).parents if p.as_posix() != "."}


def touched_by(changes: list[Change], single: bool) -> Touched:
    """Map changed files (relative to the checked root) to submitters, systems and benchmark folders."""
    out = Touched(single)
    for change in changes:
        out.paths.update(change.paths)
        for path in change.paths:
            status = "D" if change.status == "D" or path == change.old_path else change.status
            _map(out, path, status)
    return out


def _map(out: Touched, path: str, status: str) -> None:
    parts = path.split("/")
    sub, rest = (".", parts) if out.single else (parts[0], parts[1:])
    if not rest:
        return
    out.submitters.add(sub)
    if rest[0] == "results" and len(rest) >= 4:
        out.benchmarks.setdefault((sub, rest[1], rest[2]), set()).add(status)
    elif rest[0] == "results" and len(rest) == 3:
        out.systems.add((sub, rest[1]))
    elif rest[0] == "systems" and len(rest) == 2 and rest[1].endswith(".json"):
        out.system_jsons.add((sub, rest[1][: -len(".json")]))
    elif rest[0] == "benchmarks" and len(rest) >= 2:
        out.code.add((sub, rest[1]))
    elif rest == [PARAMS_FILE] or (rest[0] == "results" and len(rest) == 2):
        out.whole.add(sub)


def _prune(sub: SubmitterDir, touched: Touched) -> tuple[SubmitterDir, set[str]]:
    """The submitter reduced to its touched benchmark folders and system descriptions; their rels."""
    key = sub.rel
    systems, chosen = [], set()
    for system in sub.systems:
        whole = key in touched.whole or (key, system.name) in touched.systems | touched.system_jsons
        benches = tuple(
            b
            for b in system.benchmarks
            if whole or (key, system.name, b.name) in touched.benchmarks or (key, b.name) in touched.code
        )
        if benches:
            systems.append(replace(system, benchmarks=benches))
            prefix = "" if key == "." else key + "/"
            chosen.update(f"{prefix}results/{system.name}/{b.name}" for b in benches)
    jsons = tuple(p for p in sub.system_jsons if (key, p.stem) in touched.system_jsons)
    return replace(sub, systems=tuple(systems), system_jsons=jsons), chosen


def run_training_ci(
    root: Path,
    rules: Round,
    touched: Touched,
    *,
    jobs: int = 1,
    selection: Selection | None = None,
    options: RunOptions | None = None,
    rules_path: str | None = None,
) -> Report:
    """Check the touched benchmark folders of ``root`` and keep the findings that concern the change."""
    selection = selection or Selection()
    subs, checked = [], set()
    for name in sorted(touched.submitters):
        path = root if name == "." else root / name
        if (path / "results").is_dir() or (path / "systems").is_dir():
            sub, chosen = _prune(discover_submitter(path, name), touched)
            subs.append(sub)
            checked |= chosen
    report = run_checks(TrainingTree(root, tuple(subs)), rules, jobs=jobs, selection=selection, options=options,
                        rules_path=rules_path)  # fmt: skip
    ancestors = touched.ancestors
    report.findings = [f for f in report.findings if f.code == "EN001" or _concerns(f, checked, touched, ancestors)]
    report.findings += _removed(touched, checked, root, selection)
    report.findings.sort(key=lambda f: (f.path, f.line or 0, f.code))
    return report


def _concerns(finding: Finding, checked: set[str], touched: Touched, ancestors: set[str]) -> bool:
    if finding.unit in checked or finding.path in touched.paths or finding.path in ancestors:
        return True
    return any(finding.path.startswith(rel + "/") for rel in checked)


def _removed(touched: Touched, checked: set[str], root: Path, selection: Selection) -> list[Finding]:
    """CI001 for benchmark folders the change removed."""
    out: list[Finding] = []
    for (sub, system, bench), statuses in sorted(touched.benchmarks.items()):
        rel = ("" if sub == "." else sub + "/") + f"results/{system}/{bench}"
        if "D" in statuses and rel not in checked and not (root / rel).is_dir():
            out += emit("CI001", Problem(rel, "benchmark folder removed by this change"), rel, selection)
    return out


@contextmanager
def training_snapshot(root: Path, head: str, touched: Touched) -> Iterator[Path]:
    """The touched submitters at revision ``head``, written from git objects (``git archive``) outside the repo."""
    repo, prefix = open_repo(root)
    commit = repo.resolve(head)
    holder = temporary_folder(repo, "subcheck-ci-")
    try:
        paths = [prefix or "."] if touched.single else [f"{prefix}/{s}" if prefix else s for s in touched.submitters]
        present = [p for p in paths if repo.run("ls-tree", "--name-only", commit, "--", p).strip()]
        try:
            if present:
                data = repo.run("archive", "--format=tar", commit, "--", *present)
                with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                    tar.extractall(holder, filter="data")
            dest = holder / prefix if prefix else holder
            dest.mkdir(parents=True, exist_ok=True)
        except (tarfile.TarError, OSError) as exc:
            raise GitChangeError(f"cannot write {head} of {root}: {exc}") from exc
        yield dest
    finally:
        shutil.rmtree(holder, ignore_errors=True)
