"""Two trees for one rule test: a real v4.1 submitter copy and a copy of the bundled demo submission.

A rule test whose mutation is generic (a JSON key, a detail-log record, a deleted file) takes the ``tree``
fixture instead of ``ctt_tree`` and runs twice: on the ConnectTechInc copy under v4.1 (skipped without
``../shared/data``, as before) and on a copy of ``fixtures/valid`` under the demo round (always runs).
``Tree`` gives, per tree, the paths a test names and runs the engine in-process with the right round.

A test module opts in with ``tree = trees.tree`` (a plain assignment, so the fixture parameter does not
shadow an import).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from checker.context import RunOptions, clear_caches
from checker.discovery import discover
from checker.engine import Report, Selection, run_checks
from checker.findings import Finding
from checker.registry import load_all
from checker.rounds import Round
from tests.conftest import copy_submitter
from tests.mutate import copy_system, move_division

REPO = Path(__file__).resolve().parent.parent
VALID = REPO / "fixtures" / "valid"
DEMO_RULES = str(REPO / "rules" / "demo" / "demo.yaml")


@dataclass(frozen=True)
class Tree:
    """A writable submission tree and what a test needs to know about it."""

    kind: str  # "real" (ConnectTechInc, v4.1, split layout) or "demo" (fixtures/valid, demo round, merged)
    root: Path
    division: str
    submitter: str
    system_name: str
    benchmark: str
    version: str
    rules_path: str | None

    @property
    def real(self) -> bool:
        return self.kind == "real"

    @property
    def demo(self) -> bool:
        return self.kind == "demo"

    @property
    def sub(self) -> str:
        return f"{self.division}/{self.submitter}"

    def under(self, version: str) -> Tree:
        """The real tree checked against another official round (e.g. ``v5.1``); the demo tree stays in its round.

        The demo round extends v6.1, so it already has every rule a ``v5.1`` (or later) check would add.
        """
        return replace(self, version=version) if self.real else self

    @property
    def code(self) -> str:
        """The submitter's code folder: ``code`` in the real split tree, ``src`` in the demo (merged) tree."""
        return f"{self.sub}/code" if self.real else f"{self.sub}/src"

    @property
    def documentation(self) -> str:
        """The submitter's ``documentation`` folder (both trees hold ``calibration.md`` there)."""
        return f"{self.sub}/documentation"

    @property
    def system(self) -> str:
        """The system description, relative to the root."""
        return f"{self.sub}/systems/{self.system_name}.json"

    @property
    def results(self) -> str:
        """``<division>/<submitter>/results/<system>/<benchmark>``."""
        return f"{self.sub}/results/{self.system_name}/{self.benchmark}"

    def measurements(self, scenario: str = "Offline") -> str:
        """The folder holding the measurements JSON, user.conf, mlperf.conf and README.md of one result."""
        if self.real:
            return f"{self.sub}/measurements/{self.system_name}/{self.benchmark}/{scenario}"
        return f"{self.results}/{scenario}"

    def measurements_json(self, scenario: str = "Offline") -> str:
        name = f"{self.system_name}_{scenario}.json" if self.real else "measurements.json"
        return f"{self.measurements(scenario)}/{name}"

    def audit(self, test: str, scenario: str = "Offline") -> str:
        """One compliance test's folder (split layout: under ``compliance/``; merged: inside the result)."""
        if self.real:
            return f"{self.sub}/compliance/{self.system_name}/{self.benchmark}/{scenario}/{test}"
        return f"{self.results}/{scenario}/{test}"

    def perf_detail(self, scenario: str = "Offline") -> str:
        return f"{self.results}/{scenario}/performance/run_1/mlperf_log_detail.txt"

    def perf_summary(self, scenario: str = "Offline") -> str:
        return f"{self.results}/{scenario}/performance/run_1/mlperf_log_summary.txt"

    def accuracy_detail(self, scenario: str = "Offline") -> str:
        return f"{self.results}/{scenario}/accuracy/mlperf_log_detail.txt"

    @property
    def layout(self) -> str:
        return "split" if self.real else "merged"

    @property
    def round_args(self) -> tuple[str, ...]:
        """The command-line options that name the tree's round (``check``, ``ci``, ``audit``)."""
        return ("--version", self.version) if self.rules_path is None else ("--rules", self.rules_path)

    @property
    def qsl_seed(self) -> str:
        """The round's ``qsl_rng_seed`` as the tree's performance logs print it (requested and effective)."""
        return "3066443479025735752" if self.real else "2085463073848966840"

    @property
    def results_count(self) -> int:
        """How many results the valid tree holds (gptj-99 SingleStream + Offline; digits in four scenarios)."""
        return 2 if self.real else 4

    def break_seed(self, scenario: str = "Offline") -> str:
        """Change the qsl seed in one performance detail log (a PE006 error); returns the log's path."""
        rel = self.perf_detail(scenario)
        log = self.path(rel)
        text = log.read_text()
        assert self.qsl_seed in text
        log.write_text(text.replace(self.qsl_seed, self.qsl_seed[:-1] + str((int(self.qsl_seed[-1]) + 1) % 10)))
        return rel

    def path(self, rel: str) -> Path:
        return self.root / rel

    def rules(self) -> Round:
        return Round.load("inference", self.version, self.rules_path)

    def report(self, codes: tuple[str, ...] = (), *, published: bool = False) -> Report:
        """Check the tree in-process with only ``codes`` enabled (all when empty), against its round."""
        load_all()
        clear_caches()  # the engine caches parsed files per run; tests rewrite files in place
        rules = self.rules()
        return run_checks(
            discover(self.root, rules["layout"]),
            rules,
            jobs=1,
            selection=Selection(codes, ()),
            options=RunOptions(published=published),
            rules_path=self.rules_path,
        )

    def findings(self, code: str, *, published: bool = False) -> list[Finding]:
        """The findings of exactly ``code`` (the engine's selection is a prefix match)."""
        return [f for f in self.report((code,), published=published).findings if f.code == code]

    def only(self, code: str, *, published: bool = False) -> Finding:
        found = self.findings(code, published=published)
        assert len(found) == 1, [f.to_record() for f in found]
        return found[0]


def real_tree(tmp_path: Path) -> Tree:
    """The ConnectTechInc copy (gptj-99 SingleStream and Offline on Orin_TRT); skips without the data."""
    root = copy_submitter(tmp_path, "closed", "ConnectTechInc")
    return Tree("real", root, "closed", "ConnectTechInc", "Orin_TRT", "gptj-99", "v4.1", None)


def real_server_tree(tmp_path: Path) -> Tree:
    """A real datacenter llama2-70b Server + Offline result (AMD, 1x MI300X); skips without the data."""
    root = copy_system(tmp_path, "closed", "AMD", "1xMI300X_2xEPYC-9374F")
    return Tree("real", root, "closed", "AMD", "1xMI300X_2xEPYC-9374F", "llama2-70b-99", "v4.1", None)


def demo_tree(tmp_path: Path) -> Tree:
    """A copy of fixtures/valid (digits, Offline/Server/SingleStream/MultiStream) checked against the demo round."""
    root = tmp_path / "demo"
    shutil.copytree(VALID, root, symlinks=True, copy_function=shutil.copyfile)
    return Tree("demo", root, "closed", "SubcheckDemo", "demo_cpu_numpy", "digits", "demo", DEMO_RULES)


def real_open_tree(tmp_path: Path) -> Tree:
    """CTuning's open submission (bert-99 and more on two systems); skips without the data."""
    root = copy_submitter(tmp_path, "open", "CTuning")
    system = "cm-demo-gfursin-aws-g4dn.4xlarge-nvidia_original-gpu-tensorrt-vdefault-default_config"
    return Tree("real", root, "open", "CTuning", system, "bert-99", "v4.1", None)


def demo_open_tree(tmp_path: Path) -> Tree:
    """The demo copy moved to the open division (its system description says ``open`` too)."""
    demo = demo_tree(tmp_path)
    move_division(demo.root, demo.submitter, "closed", "open")
    return replace(demo, division="open")


@pytest.fixture(params=["real", "demo"])
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    """The real submitter copy (skips without data) and the bundled demo copy (always runs)."""
    return real_tree(tmp_path) if request.param == "real" else demo_tree(tmp_path)


@pytest.fixture(params=["real", "demo"])
def server_tree(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    """A tree with a Server result: the AMD copy (skips without data) and the bundled demo copy (always runs)."""
    return real_server_tree(tmp_path) if request.param == "real" else demo_tree(tmp_path)


@pytest.fixture(params=["real", "demo"])
def open_tree(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    """An open submission: CTuning's (skips without data) and the demo copy moved to open (always runs)."""
    return real_open_tree(tmp_path) if request.param == "real" else demo_open_tree(tmp_path)
