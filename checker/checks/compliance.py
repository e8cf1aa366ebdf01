"""CO: the compliance audits (TEST01, TEST04, TEST05, TEST06-09): files, settings and recomputed verdicts.

Verdicts are recomputed from the logs wherever they are present; the submitter's ``verify_*.txt``
is only trusted where the logs cannot decide (truncated accuracy logs), and that is said.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.checks.accuracy import ENFORCED_DIVISIONS
from checker.context import ResultContext, as_bool, as_int
from checker.discovery import is_dir, is_file
from checker.findings import Problem, Severity
from checker.parsers.memo import per_run
from checker.parsers.text import DEFAULT_LIMIT, limit_for, read_text
from checker.registry import rule
from checker.rounds import Round

PERFORMANCE_AUDITS = ("TEST01", "TEST04", "TEST05")
# PE015 already compares every audit log's LoadGen build with the performance run's.
NOT_RERUN = frozenset({"PE015"})
NUMBER_LINE = re.compile(r"^\s*([A-Za-z_][\w ]*?)\s*=\s*(.+?)\s*$")
LATENCY_SCENARIOS = ("SingleStream", "MultiStream")


class AuditContext(ResultContext):
    """The result seen through one audit run: ``perf_dir`` is ``TESTxx/performance/run_1``.

    The performance rules (PE) run on it unchanged. TEST05 runs with the round's alternate seeds,
    so its context carries rules whose ``seeds`` are ``test05_seeds``.
    """

    def __init__(self, parent: ResultContext, test: str) -> None:
        rules = parent.rules
        if test == "TEST05" and rules.get("test05_seeds"):
            rules = Round(rules.suite, rules.version, {**rules.data, "seeds": rules["test05_seeds"]})
        super().__init__(rules, parent.unit, parent.options)
        self.test = test

    @property
    def perf_dir(self) -> Path:
        return self.unit.compliance_dir / self.test / "performance" / "run_1"


def audit(ctx: ResultContext, test: str) -> AuditContext:
    """One audit context per result and test, so its detail log is parsed once for all CO rules."""
    cache: dict[str, AuditContext] = ctx.__dict__.setdefault("_audit_contexts", {})
    if test not in cache:
        cache[test] = AuditContext(ctx, test)
    return cache[test]


def tests_for(ctx: ResultContext) -> tuple[str, ...]:
    """Audits the round names for the benchmark; closed and network only (asked by every CO rule: kept per context)."""
    tests: tuple[str, ...] | None = ctx.__dict__.get("_compliance_tests")
    if tests is None:
        if ctx.unit.division not in ENFORCED_DIVISIONS or ctx.benchmark is None:
            tests = ()
        else:
            tests = tuple(ctx.model.get("compliance_tests", []))
        ctx.__dict__["_compliance_tests"] = tests
    return tests


def audit_folder(ctx: ResultContext, test: str) -> str:
    """``compliance_dir/test`` as a string: rules build these paths thousands of times, pathlib is kept for findings."""
    return f"{ctx.unit.compliance_dir}/{test}"


@per_run(maxsize=64)
def _has_folder(folder: str) -> bool:
    """``Path(folder).is_dir()``, asked once per run by CO001 and CO002."""
    return is_dir(folder)


def audit_config(ctx: ResultContext) -> dict[str, Any]:
    return ctx.rules.get("compliance", {})


@dataclass
class VerifyFile:
    """A ``verify_*.txt`` written by the compliance scripts: its pass line and its ``name = value`` lines."""

    path: Path | str  # a string from :func:`verify_of`; findings name it through ``Path``
    exists: bool = False
    readable: bool = False  # read as text: a regular file (what ``is_file`` answers True to)
    passed: bool = False
    lines: list[str] = field(default_factory=list)
    numbers: dict[str, str] = field(default_factory=dict)

    @property
    def claim(self) -> str:
        return "missing" if not self.exists else ("TEST PASS" if self.passed else "not TEST PASS")


@per_run(maxsize=128)
def read_verify(path: Path | str, pass_line: str = "TEST PASS", limit: int = DEFAULT_LIMIT) -> VerifyFile:
    """A verify file, parsed once per run (several CO rules read it)."""
    text = read_text(path, limit)  # type: ignore[arg-type]  # the os calls behind it take a string path
    verify = VerifyFile(path, exists=text.kind != "missing")  # present but unusable: judged, never passed
    if not text.ok:
        return verify
    verify.readable = True
    verify.lines = [line.strip() for line in text.text.splitlines()]
    verify.passed = any(pass_line in line for line in verify.lines)
    for line in verify.lines:
        match = NUMBER_LINE.match(line) if "=" in line else None  # the pattern needs a "="
        if match:
            verify.numbers.setdefault(match.group(1).strip().lower(), match.group(2))
    return verify


@per_run(maxsize=64)
def verify_of(ctx: ResultContext, test: str, name: str) -> VerifyFile:
    """The verify file ``name`` of an audit, kept per context and run (the CO rules ask for it ~4 times a result)."""
    pass_line = audit_config(ctx).get("pass_line", "TEST PASS")
    return read_verify(f"{audit_folder(ctx, test)}/{name}", pass_line, limit_for(ctx.rules, "verify_txt"))


def where(ctx: ResultContext, path: Path | str) -> str:
    """A finding's path for a string path built by these rules, named exactly as ``ctx.rel(Path(...))`` names it."""
    return ctx.rel(Path(path))


def _is_file(ctx: ResultContext, test: str, name: str) -> bool:
    """``is_file`` of an audit's file; a verify file is read instead (the verdict rules read it anyway) and a
    readable one is a regular file: only a file that could not be read is asked of the file system.
    """
    if name.startswith("verify_") and "/" not in name and verify_of(ctx, test, name).readable:
        return True
    return is_file(f"{audit_folder(ctx, test)}/{name}")


# --- files -----------------------------------------------------------------------------------------------
@rule(
    "CO001",
    "compliance-test-missing",
    fix="Run the audit (compliance/nvidia/TESTxx/run_verification.py) and copy its output folder into compliance/.",
)
def compliance_test_missing(ctx: ResultContext) -> Iterator[Problem]:
    """Closed and network: an audit the round requires for this benchmark has no ``TESTxx`` folder.

    Fails: a closed result without its ``TEST04/`` folder. Passes: every required audit; open needs none.
    """
    for test in tests_for(ctx):
        folder = audit_folder(ctx, test)
        if not _has_folder(folder):
            yield Problem(where(ctx, folder), f"{test} audit is missing", expected=f"{test}/", found="missing")


@rule(
    "CO002",
    "compliance-file-missing",
    fix="Copy the complete output of run_verification.py (verify files and the audit's LoadGen logs).",
)
def compliance_file_missing(ctx: ResultContext) -> Iterator[Problem]:
    """An audit folder lacks a file the audit must leave (verify file, LoadGen logs, TEST01 accuracy files).

    TEST01 must also hold ``baseline_accuracy.txt`` and ``compliance_accuracy.txt`` when its
    verify file does not say TEST PASS. With ``--published``, a missing accuracy log
    (``*.json``) is a notice: published repositories drop large logs.

    Fails: ``TEST01/`` without ``verify_performance.txt``. Passes: every file the audit leaves.
    """
    required_files = audit_config(ctx).get("required_files", {})
    for test in tests_for(ctx):
        if not _has_folder(audit_folder(ctx, test)):
            continue
        names = list(required_files.get(test, []))
        if test == "TEST01" and not verify_of(ctx, test, "verify_accuracy.txt").passed:
            names += [f"accuracy/{n}" for n in audit_config(ctx).get("test01_fallback_files", [])]
        for name in names:
            if _is_file(ctx, test, name):
                continue
            path = ctx.unit.compliance_dir / test / name
            if ctx.options.published and name.endswith(".json"):
                yield Problem(
                    ctx.rel(path),
                    f"{test} {name} is absent; published repositories may drop large logs, so it is not judged",
                    expected=name,
                    found="missing (published tree)",
                    severity=Severity.NOTICE,
                )
                continue
            yield Problem(ctx.rel(path), f"{test} file {name} is missing", expected=name, found="missing")


# --- the audit's own performance run ---------------------------------------------------------------------
@rule(
    "CO003",
    "audit-performance-rules",
    scope="audit-run",
    reruns="PE",
    skip=NOT_RERUN,
    fix="Re-run the audit with the same settings as the submitted performance run (seeds, duration, sample count).",
)
def audit_performance_rules(ctx: ResultContext) -> Iterator[tuple[str, AuditContext]]:
    """An audit's own performance log (TEST01, TEST04, TEST05) fails a performance rule (PE).

    This rule names the audit runs of a result; the engine runs the PE rules unchanged on each (a context
    whose performance run is the audit's ``TESTxx/performance/run_1``; TEST05 is held to the round's alternate
    seeds), under the same selection and crash policy as every rule. Each finding names the audit and the PE
    rule it broke.

    Fails: a TEST04 log with another ``effective_qsl_rng_seed`` (PE006). Passes: audit logs that pass the PE rules.
    """
    for test in tests_for(ctx):
        if test not in PERFORMANCE_AUDITS:
            continue
        view = audit(ctx, test)
        if view.perf_log.read_kind == "missing":
            continue
        yield test, view


def _loadgen_name(ctx: ResultContext) -> str:
    benchmark = ctx.benchmark or ""
    return ctx.rules.get("loadgen_model_names", {}).get(benchmark, benchmark)


def _expected_settings(ctx: ResultContext, test: str) -> dict[str, Any]:
    """What the audit.config of ``test`` makes LoadGen log, from the round's ``compliance.audit_config``."""
    config = audit_config(ctx).get("audit_config", {})
    if test == "TEST01":
        expected: dict[str, Any] = {"effective_accuracy_log_rng_seed": config.get("accuracy_log_rng_seed")}
        target = config.get("TEST01_accuracy_log_sampling_target", {}).get(_loadgen_name(ctx))
        if target is not None:
            expected["effective_accuracy_log_sampling_target"] = target
        return {k: v for k, v in expected.items() if v is not None}
    if test == "TEST04":
        same = config.get("TEST04", {})
        return {f"effective_{k}": v for k, v in same.items() if k.startswith("performance_issue_")}
    return {}


def _same(expected: Any, found: Any) -> bool:
    """LoadGen logs the issue flags as booleans and the audit.config writes 0/1."""
    if isinstance(found, bool) or as_bool(found) is not None:
        flag = as_bool(found)
        return flag is not None and int(flag) == as_int(expected)
    return as_int(found) == as_int(expected)


@rule(
    "CO004",
    "audit-config-not-applied",
    fix="Run the audit with the official audit.config in LoadGen's working directory, then copy the new logs.",
)
def audit_config_not_applied(ctx: ResultContext) -> Iterator[Problem]:
    """The audit log does not show its audit.config settings: the audit did not really run as an audit.

    TEST01 must log the accuracy-log sampling of the round's audit.config
    (``effective_accuracy_log_rng_seed``, ``effective_accuracy_log_sampling_target``); TEST04 must
    log that one sample was issued over and over (``effective_performance_issue_same`` and its index).

    Fails: TEST04 with ``effective_performance_issue_same: false``. Passes: the audit.config settings logged.
    """
    for test in tests_for(ctx):
        expected = _expected_settings(ctx, test) if test in PERFORMANCE_AUDITS else {}
        if not expected:
            continue
        log = audit(ctx, test).perf_log
        if not log.usable:
            continue
        for key, value in expected.items():
            found = log.get(key)
            if not _same(value, found):
                yield Problem(
                    ctx.rel(log.path),
                    f"{test} audit log does not show its audit.config setting {key}",
                    line=log.line_of(key),
                    key=key,
                    expected=value,
                    found=found,
                )
