"""PE: where the performance run came from and what it claims: the LoadGen build, the scenario, the summary log,
the network SUT name and the primary metric.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checker.checks.accuracy import accuracy_keys
from checker.checks.compliance import PERFORMANCE_AUDITS, audit, tests_for
from checker.checks.performance import at_key, log_path, usable_perf_log
from checker.context import ResultContext
from checker.discovery import is_file
from checker.findings import Problem, Severity
from checker.metrics import primary_metric
from checker.numbers import as_float, check, shown
from checker.registry import rule


@rule(
    "PE015",
    "loadgen-build-mismatch",
    fix=("Re-run the mismatched run with the same LoadGen build as the performance run."),
)
def loadgen_build_mismatch(ctx: ResultContext) -> Iterator[Problem]:
    """The performance, accuracy and audit logs of one result come from different LoadGen builds.

    LoadGen logs its version as ``<release> @ <commit>``. Logs from different releases (4.0 and 4.1)
    are an error: the runs were not made under the same rules. Logs from different commits of the
    same release are a warning: usually a rebuild, but the audit no longer proves the very build
    that made the result.

    Fails: an accuracy log from LoadGen 5.1 beside a 6.0 performance log (a warning for another commit of the same
    release). Passes: one build for every log.
    """
    log = usable_perf_log(ctx)
    build = log.get("loadgen_version") if log else None
    if not isinstance(build, str):
        return
    for name, path, other, line in _other_builds(ctx):
        if other is None or other == build:
            continue
        same_release = isinstance(other, str) and _release(other) == _release(build)
        yield Problem(
            ctx.rel(path),
            f"{name} log was made by another LoadGen " + ("commit of the same release" if same_release else "release"),
            line=line,
            key="loadgen_version",
            expected=build,
            found=other,
            severity=Severity.WARNING if same_release else None,
        )


def _other_builds(ctx: ResultContext) -> Iterator[tuple[str, Path, Any, int | None]]:
    """The ``loadgen_version`` of the accuracy log and of each audit's performance log, from the reads the
    accuracy and audit rules make anyway (no log is opened twice).

    CO003 parses the logs of the benchmark's audits whether they exist or not (a missing one costs what a ``stat``
    does): those are asked for directly; another audit's log only where it is a file.
    """
    keys = accuracy_keys(ctx)
    yield "accuracy", keys.path, keys.values.get("loadgen_version"), keys.lines.get("loadgen_version")
    audited = set(tests_for(ctx))
    for name in PERFORMANCE_AUDITS:
        # As ctx.audit_detail_logs(), without a stat of the logs CO003 parses anyway (a missing one has no version).
        if name in audited or is_file(f"{ctx.unit.compliance_dir}/{name}/performance/run_1/mlperf_log_detail.txt"):
            log = audit(ctx, name).perf_log
            yield name, log.path, log.get("loadgen_version"), log.line_of("loadgen_version")


def _release(version: str) -> str:
    """``4.1`` of ``4.1 @ 2ed9555be0``."""
    return version.split("@", 1)[0].strip()


@rule(
    "PE016",
    "scenario-mismatch",
    fix=("Move the result into the folder of the scenario LoadGen ran, or re-run with the folder's scenario."),
)
def scenario_mismatch(ctx: ResultContext) -> Iterator[Problem]:
    """The scenario LoadGen ran differs from the scenario folder, beyond what inferred results allow.

    Interactive results are LoadGen Server runs. Edge systems may infer MultiStream from
    SingleStream and Offline from SingleStream or MultiStream; nothing else may differ.

    Fails: an Offline folder holding a Server run. Passes: an edge Offline result inferred from SingleStream.
    """
    log = usable_perf_log(ctx)
    if log is None or ctx.scenario is None:
        return
    ran = ctx.log_scenario
    if ran == ctx.scenario:
        return
    inferred = ctx.rules["inferred_results"]
    sources = inferred["pairs"].get(ctx.scenario, [])
    system_type = str(ctx.system.get("system_type", ""))
    edge_only = ctx.scenario != "Interactive"
    allowed = ran in sources and (not edge_only or any(t in system_type for t in inferred["system_types"]))
    if not allowed:
        yield at_key(
            ctx,
            log,
            "effective_scenario",
            f"folder says {ctx.scenario} but LoadGen ran {ran}",
            expected=[ctx.scenario, *sources],
            found=ran,
        )


_SUMMARY_METRIC = {"Offline": "Samples per second", "Server": "Completed samples per second"}


@rule(
    "PE017",
    "summary-disagrees",
    fix=("Copy mlperf_log_summary.txt and mlperf_log_detail.txt from the same LoadGen run."),
)
def summary_disagrees(ctx: ResultContext) -> Iterator[Problem]:
    """The summary log is unreadable or disagrees with the detail log (validity, scenario or headline metric).

    Fails: a summary that says INVALID, or another samples per second, beside a VALID detail log. Passes: both logs of
    one run.
    """
    log, summary = usable_perf_log(ctx), ctx.perf_summary
    where = ctx.rel(summary.path)
    if summary.read_kind not in (None, "missing") or summary.bad_bytes_at is not None:
        problem = summary.read_error or f"not valid UTF-8 (first bad byte at offset {summary.bad_bytes_at})"
        yield Problem(where, f"summary log is unreadable: {problem}", expected="LoadGen's summary text", found=problem)
        return
    if log is None or summary.read_error:
        return
    differs: list[tuple[str, Any, Any]] = []
    for name, detail in (("Result is", log.get("result_validity")), ("Scenario", log.get("effective_scenario"))):
        value = summary.get(name)
        if value is not None and detail is not None and value != detail:
            differs.append((name, detail, value))
    name = _SUMMARY_METRIC.get(str(log.get("effective_scenario")))
    detail_value = as_float(log.get(ctx.rules["result_keys"].get(str(log.get("effective_scenario")), "")))
    summary_value = summary.number(name) if name else None
    if summary_value is not None and detail_value is not None:
        if name and not _close(summary.get(name), summary_value, detail_value):
            differs.append((name, detail_value, summary_value))
    for name, detail, value in differs:
        yield Problem(where, f"summary '{name}' differs from the detail log", line=summary.line_of(name), key=name,
                      expected=detail, found=value)  # fmt: skip


def _close(summary_text: str | None, printed: float, exact: float) -> bool:
    """Summary logs round the metric; agree when the difference is within the printed precision."""
    decimals = len(summary_text.split(".", 1)[1]) if summary_text and "." in summary_text else 0
    tolerance = 0.5 * 10 ** (-decimals) if "e" not in (summary_text or "").lower() else 0.0
    # The detail log itself keeps about six significant digits for some metrics.
    return abs(printed - exact) <= tolerance + 5e-6 * max(abs(printed), abs(exact))


@rule(
    "PE018",
    "network-sut-name",
    fix="Name the SUT so that it contains 'Network SUT' for network-division runs.",
)
def network_sut_name(ctx: ResultContext) -> Iterator[Problem]:
    """Network division: the LoadGen SUT name marks the run as a network SUT.

    Fails: a network-division run whose ``sut_name`` lacks ``Network SUT``. Passes: ``demo Network SUT``.
    """
    log = usable_perf_log(ctx)
    if log is None or ctx.unit.division != "network":
        return
    needle = ctx.rules["network"]["sut_name_must_contain"]
    name = log.get("sut_name")
    if not isinstance(name, str) or needle not in name:
        yield at_key(ctx, log, "sut_name", f"SUT name lacks '{needle}'", expected=f"contains '{needle}'", found=name)


@rule(
    "PE019",
    "primary-metric-missing",
    fix="Copy the complete detail log of the performance run; the record holding the result must be present.",
)
def primary_metric_missing(ctx: ResultContext) -> Iterator[Problem]:
    """The result's primary metric cannot be computed from the performance log (missing or not a positive number).

    Without it the result has no number in the results table, so it cannot count.

    Fails: an Offline log without ``result_samples_per_second``. Passes: a positive metric.
    """
    log = usable_perf_log(ctx)
    if log is None or ctx.benchmark is None or ctx.scenario is None or ctx.log_scenario is None:
        return
    metric = primary_metric(ctx)
    reason = "no usable value" if metric is None else check(metric.value, "metric")
    if metric is not None and reason is None:
        return
    key = ctx.rules.result_key(ctx.benchmark, ctx.log_scenario)
    raw = log.get(key) if key else None
    if raw is not None and check(raw, "metric") is not None:
        reason = check(raw, "metric")  # the logged value itself is unusable: say why (overflow, NaN, negative)
    elif metric is None and raw is not None:
        reason = "cannot be derived"
    yield Problem(
        log_path(ctx, log),
        f"the {ctx.scenario} metric cannot be computed from this log ({reason})",
        line=log.line_of(key or ""),
        key=key,
        expected="a positive number",
        found=shown(raw if raw is not None else (None if metric is None else metric.value)),
    )
