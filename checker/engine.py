"""The one run loop: discovery -> units -> contexts -> rules -> findings -> table rows, for every suite.

A suite (inference, training) supplies discovery and contexts (:mod:`checker.suites`); everything else is
here, once: the selection of codes, turning a rule's problem into a finding (:func:`stamp`), the crash policy
(a rule that raises rejects the unit it was judging, EN001), the process pool, and the verdict of each result
(:func:`settle`). ``subcheck ci`` is :func:`run_checks` with a focus on the units a change touched; reviewer
audits run their round-scope rules through :func:`run_rule` too.

Work is split by submitter: each worker parses one submitter's files once and runs every scope on them, so
nothing is parsed twice and workers share no state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from itertools import zip_longest
from pathlib import Path
from typing import Any

from checker import schema_memo
from checker.findings import Finding, Problem, Severity
from checker.options import RunOptions
from checker.parsers.memo import forget_parsed_files
from checker.registry import REGISTRY, RESULT_SCOPES, Rule, load_all, load_suite
from checker.report import Report  # noqa: F401 (re-exported: where every command finds it)
from checker.rounds import Round
from checker.workers import Focus, Job, WorkerOutput, default_jobs, plan_jobs, run_jobs  # noqa: F401 (re-exported)


class SelectionError(ValueError):
    """A ``--select``/``--ignore`` item names no known code (exit code 2)."""


@dataclass(frozen=True)
class Selection:
    """Which rule codes run: ``--select`` prefixes (all when empty) minus ``--ignore`` prefixes."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def __call__(self, code: str) -> bool:
        if self.select and not any(code.startswith(s) for s in self.select):
            return False
        return not any(code.startswith(i) for i in self.ignore)

    def keeps(self, finding: Finding) -> bool:
        """A finding survives the selection when its code is selected; a crash (EN001) of a selected rule is kept
        unless EN001 itself is ignored, so ``--select PE`` cannot hide a crashing PE rule.
        """
        if finding.code == "EN001":
            return not any("EN001".startswith(i) for i in self.ignore)
        return self(finding.code)

    def validate(self, known: Iterable[str] | None = None) -> Selection:
        """Every item must be a code or the prefix of one; a typo must not silently select nothing."""
        if not self.select and not self.ignore:
            return self  # nothing to check: do not load the audit rules (and pandas) for it
        codes = sorted(known if known is not None else load_all(audit=True))
        for item in (*self.select, *self.ignore):
            if not any(code.startswith(item) for code in codes):
                families = sorted({c[:2] for c in codes})
                import difflib  # here: only a misspelled code needs it

                close = difflib.get_close_matches(item, codes + families, n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(close)}?" if close else "; `subcheck rules` lists them"
                raise SelectionError(f"unknown rule code or prefix {item!r}{hint}")
        return self


def stamp(rule: Rule, problem: Problem, unit: str) -> Finding:
    """Turn a rule's Problem into a Finding with the rule's code, severity and default fix."""
    return Finding(
        code=rule.code,
        severity=problem.severity or rule.severity,
        path=problem.path,
        message=problem.message,
        fix=problem.fix or rule.fix,
        unit=problem.unit or unit,
        expected=problem.expected,
        found=problem.found,
        line=problem.line,
        key=problem.key,
        extra=dict(getattr(problem, "extra", None) or {}),
    )


def emit(code: str, problem: Problem, unit: str, selection: Callable[[str], bool]) -> list[Finding]:
    """A finding of an engine code (EN, CI, WV), through the same selection as every rule."""
    return [stamp(REGISTRY[code], problem, unit)] if selection(code) else []


def crash_finding(rule: Rule, exc: BaseException, path: str, unit: str, debug: bool = False) -> Finding:
    """EN001: the rule raised; the unit it judged is rejected, and the finding says where it broke."""
    import traceback  # here: only a crashing rule needs it (a run without one imports less)

    frames = traceback.extract_tb(exc.__traceback__)
    last = f"{Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name}" if frames else "?"
    text = str(exc)
    message = f"rule {rule.code} crashed on this unit: {type(exc).__name__}: {text[:200]}"
    extra: dict[str, Any] = {"rule": rule.code}
    if debug:
        extra["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Finding(
        code="EN001",
        severity=Severity.ERROR,
        path=path,
        message=message,
        fix=REGISTRY["EN001"].fix,
        unit=unit,
        expected=f"{rule.code} judges the unit",
        found=last,
        extra=extra,
    )


def run_rule(rule: Rule, ctx: Any, unit: str, path: str | None = None, debug: bool = False) -> list[Finding]:
    """Run one rule on one context; an exception becomes EN001 on the unit (never a traceback, never a pass)."""
    try:
        return [stamp(rule, problem, unit) for problem in rule.run(ctx)]
    except Exception as exc:  # noqa: BLE001 - a crashing rule rejects what it judged, the run goes on
        return [crash_finding(rule, exc, path or unit, unit, debug)]


def rules_for(suite: str, scope: str, selection: Callable[[str], bool]) -> list[Rule]:
    """The selected rules of one suite and scope, in code order (memoised: asked once per unit and scope)."""
    registered = tuple(load_suite(suite).values())
    key = (suite, scope, selection)
    cached = _RULES_FOR.get(key)
    if cached is not None and cached[0] == registered:  # identity-fast; a replaced rule invalidates the entry
        return cached[1]
    chosen = sorted(
        (r for r in registered if r.suite == suite and r.scope == scope and selection(r.code)), key=lambda r: r.code
    )
    _RULES_FOR[key] = (registered, chosen)
    return chosen


_RULES_FOR: dict[tuple[str, str, Callable[[str], bool]], tuple[tuple[Rule, ...], list[Rule]]] = {}


def run_scope(suite: str, scope: str, ctx: Any, unit: str, selection: Selection, options: RunOptions) -> list[Finding]:
    """Every selected rule of a scope on one unit (EN001 obeys the selection like any code)."""
    out: list[Finding] = []
    for rule in rules_for(suite, scope, selection):
        out += [f for f in run_rule(rule, ctx, unit, debug=options.debug) if selection.keeps(f)]
    return out


def run_audit_runs(suite: str, ctx: Any, unit: str, selection: Selection, options: RunOptions) -> list[Finding]:
    """Audit-run rules yield (label, context) per audit run; their ``reruns`` family runs on each, and what it
    finds is reported under the audit-run rule's code, naming the audit and the rule that was broken.
    """
    out: list[Finding] = []
    for audit_rule in rules_for(suite, "audit-run", selection):
        try:
            views = list(audit_rule.run(ctx))
        except Exception as exc:  # noqa: BLE001
            out.append(crash_finding(audit_rule, exc, unit, unit, options.debug))
            continue
        # The family runs whole when the audit-run rule is selected; codes the user ignored stay ignored.
        family = [
            r
            for r in rules_for(suite, "result", Selection(ignore=selection.ignore))
            if audit_rule.reruns and r.code.startswith(audit_rule.reruns) and r.code not in audit_rule.skip
        ]
        for label, view in views:
            for rule in family:
                for found in run_rule(rule, view, unit, debug=options.debug):
                    if found.code == "EN001":
                        out.append(found)
                        continue
                    out.append(
                        Finding(
                            code=audit_rule.code,
                            severity=found.severity,
                            path=found.path,
                            message=f"{label} audit log: {rule.code} {found.message}",
                            fix=found.fix,
                            unit=unit,
                            expected=found.expected,
                            found=found.found,
                            line=found.line,
                            key=found.key,
                        )
                    )
    return [f for f in out if selection.keeps(f)]


def check_submitter(job: Job) -> WorkerOutput:
    """Check one submitter completely; runs in a worker process. Returns findings and result records."""
    if job.cache:
        from checker.cache import through_cache

        rules = Round.load(job.suite, job.version, job.rules_path)
        return through_cache(job, rules.data, lambda: _check_submitter(job))  # type: ignore[no-any-return]
    return _check_submitter(job)


def _check_submitter(job: Job) -> WorkerOutput:
    from checker.suites import suite_named

    suite = suite_named(job.suite)
    rules = Round.load(job.suite, job.version, job.rules_path)
    schema_memo.remember_passes(job.options.remember)
    forget_parsed_files()  # a worker may have checked an earlier version of the tree
    findings: list[Finding] = []
    results: list[dict[str, Any]] = []
    for unit in suite.units(rules, job.unit, job.options, job.focus):
        found = run_scope(job.suite, unit.scope, unit.ctx, unit.id, job.selection, job.options)
        for code in unit.also:  # rules of another scope that judge this unit too (data: the suite names them)
            if job.selection(code):
                found += [
                    f
                    for f in run_rule(REGISTRY[code], unit.ctx, unit.id, debug=job.options.debug)
                    if job.selection.keeps(f)
                ]
        if unit.scope == "result":
            found += run_audit_runs(job.suite, unit.ctx, unit.id, job.selection, job.options)
        findings += found
        if unit.scope not in RESULT_SCOPES:
            continue
        rows, problem = _rows(suite, unit)
        if problem is not None:
            findings += emit("EN003", problem, unit.id, job.selection)
        record = {"Location": unit.id, "depends": list(unit.depends), "rows": rows, "stub": unit.stub}
        results.append({**record, "rowless": problem is None and not rows})
    return findings, results


def read_ahead_folders(suite: Any, job: Job) -> list[str]:
    """The folders whose files a job reads, in the order it reads them (the suite's, else the submitter's)."""
    if hasattr(suite, "read_ahead"):
        return [str(folder) for folder in suite.read_ahead(job.unit, job.focus)]
    where = getattr(job.unit, "path", None)
    return [str(where)] if where is not None and job.focus.results is None else []


def read_ahead_order(suite: Any, work: list[Job], jobs: int) -> list[str]:
    """The folders of all jobs in the order the workers reach them: ``jobs`` jobs run at once, so the folders
    of each group of that many are taken in turn, one from each.
    """
    order: list[str] = []
    for start in range(0, len(work), max(1, jobs)):
        group = [read_ahead_folders(suite, job) for job in work[start : start + max(1, jobs)]]
        order += [folder for row in zip_longest(*group) for folder in row if folder is not None]
    return order


def _unexplained_rowless(report: Report, selection: Selection) -> None:
    """EN003 for a result without a row when neither it, its system nor its submitter has an error that says why
    (decided once every worker is done: a big submitter's results and its system may be judged apart).
    """
    failing = {f.unit or f.path for f in report.findings if f.fails and (f.unit or f.path) != "."}
    for result in report.results:
        if not result.pop("rowless", False):
            continue
        location = result["Location"]
        if location in failing or any(dep in failing for kind, dep in result["depends"] if kind != "tree"):
            continue
        problem = Problem(
            location, "no table row could be made, and no rule said why", expected="a primary metric", found="none"
        )
        report.findings += emit("EN003", problem, location, selection)


def _rows(suite: Any, unit: Any) -> tuple[list[dict[str, Any]], Problem | None]:
    """The result's table rows; when they cannot be made, a stub row and the reason (EN003 if nothing else fails)."""
    try:
        rows = suite.rows(unit)
    except Exception as exc:  # noqa: BLE001 - a value no rule anticipated: the result is rejected, not dropped
        return [], Problem(unit.id, f"no table row could be made: {type(exc).__name__}: {str(exc)[:200]}")
    return rows, None


# Folder-wide errors that reject every result under the folder (a submitter in a layout the round refuses).
REJECTS_DEPENDENTS = frozenset({"ST019"})


def settle(report: Report, stub: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
    """Each result's verdict from the findings on it and on the units it depends on; rebuild rows and rejected.

    A result fails on its own error findings, on any error of its system description (``system:CODE``), on
    engine errors (EN) of its submitter or of the tree (whatever could not be judged is not accepted), and on the
    few folder-wide errors that make every result in the folder unacceptable (``REJECTS_DEPENDENTS``). A result
    without a row is in the table all the same, as a stub row with its identity and verdict.
    """
    failing: dict[str, set[str]] = {}
    for finding in report.findings:
        if finding.fails:
            failing.setdefault(finding.unit or finding.path, set()).add(finding.code)
    rows: list[dict[str, Any]] = []
    rejected: list[str] = []
    for result in report.results:
        location = result["Location"]
        codes = sorted(failing.get(location, ()))
        for kind, dep in result["depends"]:
            for code in sorted(failing.get(dep, ())):
                if kind == "system" or code.startswith("EN") or code in REJECTS_DEPENDENTS:
                    codes.append(f"{kind}:{code}")
        result["Valid"] = not codes
        result["Findings"] = " ".join(codes)
        if codes:
            rejected.append(location)
        made = result["rows"] or ([stub(result)] if stub else [])
        rows += [{**row, "Valid": not codes, "Findings": result["Findings"]} for row in made]
    report.rows = rows
    report.rejected = rejected


def run_checks(
    tree: Any,
    rules: Round,
    *,
    jobs: int = 1,
    selection: Selection | None = None,
    rules_path: str | None = None,
    options: RunOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    focus: dict[str, Focus] | None = None,
    require_results: bool = True,
    cache: bool = False,
    fingerprint: Callable[[str], str | None] | None = None,
) -> Report:
    """Check ``tree`` (from the suite's discovery); ``jobs`` > 1 spreads submitters over processes.

    ``focus`` maps a submitter's ``rel`` to the part of it to check (``subcheck ci``); submitters it does not
    name are checked whole. ``require_results`` (off for ``ci``, whose change may touch no result) makes a
    submitter or tree without results an error (EN002). ``cache`` reuses what an unchanged submitter gave before
    (:mod:`checker.cache`); ``fingerprint`` gives a submitter folder's fingerprint from a walk the run already
    made (:func:`checker.recheck.fingerprint`), so the cache need not walk it again.
    """
    from checker.suites import suite_named

    suite = suite_named(rules.suite)
    selection = selection or Selection()
    options = options or RunOptions()
    forget_parsed_files()
    report = Report(str(tree.root), rules.version, columns=suite.columns(rules), suite=rules.suite)
    from checker.plugins.discovery import requested
    from checker.plugins.findings import plugin_findings, stamp

    options = replace(options, plugins=options.plugins or requested())  # --plugin modules reach the workers
    report.findings += plugin_findings(rules, selection, options.plugins, remember=options.remember)  # EN004/EN005
    options = replace(options, plugin_stamp=stamp())
    tree_ctx = suite.tree_context(rules, tree, options)
    report.findings += run_scope(rules.suite, "tree", tree_ctx, ".", selection, options)
    template = Job(rules.suite, rules.version, rules_path, None, selection, options, cache=cache)
    work = plan_jobs(suite, tree, jobs, focus or {}, template)
    if cache and fingerprint is not None:
        folders = [getattr(job.unit, "path", None) for job in work]
        work = [replace(job, tree=fingerprint(str(at)) if at else None) for job, at in zip(work, folders, strict=True)]
    for unit in tree.submitters if require_results else ():
        if not suite.size(unit):
            report.findings += emit(
                "EN002",
                Problem(unit.rel, "no result to check in this submitter folder", expected="results", found="none"),
                unit.rel,
                selection,
            )
    if not work and require_results:
        report.findings += emit(
            "EN002", Problem(".", "no submitter folder to check", expected="submitters", found="none"), ".", selection
        )
    ahead = partial(read_ahead_order, suite, work, jobs)  # worked out off this thread, once the workers run
    whole = getattr(suite, "read_whole", None)
    for findings, results in run_jobs(check_submitter, work, jobs, progress, ahead, whole):
        report.findings += findings
        report.results += results
    _unexplained_rowless(report, selection)
    report.results_checked = len(report.results)
    report.findings.sort(key=lambda f: (f.path, f.line or 0, f.code))
    report.results.sort(key=lambda r: r["Location"])
    suite.finish(report, rules)
    return report
