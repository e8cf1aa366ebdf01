"""Per-log compliance: apply a round's key rules to one parsed log, as the official compliance checker does.

One pass yields ``(code, Problem)`` pairs; each TL rule in ``checks/log.py`` reports the pairs of its own
code, so the log is evaluated once however many rules are selected. The ruleset is resolved per log in
the official order: common keys, then the division's keys, then the benchmark's keys (a later definition
of a key replaces an earlier one, which is how a benchmark overrides ``eval_accuracy``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from checker.findings import Problem, Severity
from checker.parsers.mllog import MllogFile, Record
from checker.training.constraints import describe, violation
from checker.training.schedule import schedule_problems

MAX_PER_KEY = 3  # repeat findings per (code, key) in one file before summarising the rest


@dataclass(frozen=True)
class LogRules:
    """The key rules and quality target that apply to one log."""

    division: str | None
    benchmark: str | None
    keys: Mapping[str, Mapping[str, Any]]
    quality: Mapping[str, Any] | None
    benchmark_known: bool
    schedule: Mapping[str, Any] | None = None

    def bench_is_listed(self, rules: Mapping[str, Any]) -> bool:
        """Whether the division's benchmark list names this benchmark (then missing rules are our finding)."""
        allowed = rules["log"]["division"].get(self.division or "", {}).get("submission_benchmark", {})
        return self.benchmark in allowed.get("value", {}).get("one_of", [self.benchmark])


def resolve(rules: Mapping[str, Any], log: MllogFile) -> LogRules:
    """Pick the rules for ``log`` from its own submission_division / submission_benchmark lines."""
    log_rules = rules["log"]
    keys: dict[str, Mapping[str, Any]] = dict(log_rules["common"])
    division = log.value("submission_division")
    division = division if isinstance(division, str) and division in log_rules["division"] else None
    if division:
        keys.update(log_rules["division"][division])
    bench = log.value("submission_benchmark")
    if not isinstance(bench, str):
        bench = None
    known = False
    quality = schedule = None
    if division and bench:
        spec = log_rules["benchmark"].get(bench, {}).get(division)
        if spec is not None:
            known = True
            keys.update(spec.get("keys", {}))
            quality = spec.get("quality")
            schedule = spec.get("eval_schedule")
    return LogRules(division, bench, keys, quality, known, schedule)


def check_log(rules: Mapping[str, Any], log: MllogFile, path: str) -> list[tuple[str, Problem]]:
    """Every compliance problem of one log, tagged with its rule code."""
    out = _Collector(path)
    if log.read_error:
        out.add("TL001", Problem(path, log.read_error))
        return out.items
    for err in log.malformed:
        out.add(
            "TL001", Problem(path, f"broken log line: {err.message}", line=err.line, found=err.text), cap_key="parse"
        )
    if not log.records:
        out.add("TL001", Problem(path, "no :::MLLOG records in the file"))
        return out.items
    lr = resolve(rules, log)
    if lr.division and lr.bench_is_listed(rules) and not lr.benchmark_known:
        out.add(
            "TL009",
            Problem(
                path,
                f"no {lr.division} rules for benchmark {lr.benchmark!r} in this round",
                key="submission_benchmark",
                found=lr.benchmark,
            ),
        )
    _scan(rules, lr, log, out)
    _occurrences(lr, log, out)
    _quality(lr, log, out)
    for problem in schedule_problems(lr.schedule, log, path):
        out.add("TL005", problem)
    out.summarise()
    return out.items


class _Collector:
    """Collect problems, capping repeats of one (code, key) so a bad 5,000-line log stays readable."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[tuple[str, Problem]] = []
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def add(self, code: str, problem: Problem, cap_key: str | None = None) -> None:
        slot = (code, cap_key or problem.key or "")
        self.counts[slot] += 1
        n = self.counts[slot]
        if n <= MAX_PER_KEY:
            self.items.append((code, problem))

    def summarise(self) -> None:
        for (code, key), n in self.counts.items():
            if n > MAX_PER_KEY:
                self.items.append(
                    (code, Problem(self.path, f"... and {n - MAX_PER_KEY} more like this", key=key or None))
                )


def _scan(rules: Mapping[str, Any], lr: LogRules, log: MllogFile, out: _Collector) -> None:
    """Walk records in file order: value, metadata, ordering and init-budget checks."""
    seen: set[str] = set()
    first_init_start: float | None = None
    budget_min = rules["init_budget_minutes"].get(lr.division or "closed", 0)

    def lookup(key: str) -> Any:
        return log.value(key)

    for rec in log.records:
        rule = lr.keys.get(rec.key)
        if rec.key == "init_start":
            first_init_start = rec.time_ms if first_init_start is None else min(first_init_start, rec.time_ms)
        if rule is not None:
            _check_record(rec, rule, seen, lookup, out)
            if rec.key == "init_stop":
                _init_budget(rec, first_init_start, budget_min, out)
        seen.add(rec.key)


def _check_record(rec: Record, rule: Mapping[str, Any], seen: set[str], lookup: Any, out: _Collector) -> None:
    path = out.path
    con = rule.get("value")
    if con:
        why = violation(con, rec.value, lookup)
        if why:
            out.add(
                "TL004",
                Problem(path, f"{rec.key}: {why}", expected=describe(con), found=rec.value, line=rec.line, key=rec.key),
            )
    any_of = rule.get("metadata_any_of")
    if any_of and not any(f in rec.metadata for f in any_of):
        out.add(
            "TL005",
            Problem(
                path,
                f"{rec.key} lacks metadata {' or '.join(any_of)}",
                expected=list(any_of),
                found=sorted(rec.metadata),
                line=rec.line,
                key=rec.key,
            ),
        )
    for field_name, needs in rule.get("metadata_requires", {}).items():
        if field_name in rec.metadata:
            for need in needs:
                if need not in rec.metadata:
                    out.add(
                        "TL005",
                        Problem(
                            path,
                            f"{rec.key} has metadata {field_name} but lacks {need}",
                            expected=need,
                            line=rec.line,
                            key=rec.key,
                        ),
                    )
    for field_name, mcon in rule.get("metadata", {}).items():
        if field_name in rec.metadata:
            why = violation(mcon, rec.metadata[field_name])
            if why:
                out.add(
                    "TL005",
                    Problem(
                        path,
                        f"{rec.key} metadata {field_name}: {why}",
                        expected=describe(mcon),
                        found=rec.metadata[field_name],
                        line=rec.line,
                        key=rec.key,
                    ),
                )
    for before in rule.get("after", []):
        if before not in seen:
            out.add(
                "TL006",
                Problem(
                    path,
                    f"{rec.key} logged before any {before}",
                    line=rec.line,
                    key=rec.key,
                    expected=f"after {before}",
                ),
            )
    for later in rule.get("before", []):
        if later in seen:
            out.add(
                "TL006",
                Problem(
                    path, f"{rec.key} logged after {later}", line=rec.line, key=rec.key, expected=f"before {later}"
                ),
            )


def _init_budget(rec: Record, first_init_start: float | None, budget_min: float, out: _Collector) -> None:
    if first_init_start is None:
        return  # the missing init_start is already an ordering finding
    spent = (rec.time_ms - first_init_start) / 60000.0
    if not spent < budget_min:
        out.add(
            "TL007",
            Problem(
                out.path,
                f"initialisation took {spent:.2f} min; the budget is {budget_min} min",
                expected=f"< {budget_min}",
                found=round(spent, 3),
                line=rec.line,
                key="init_stop",
            ),
        )


def _occurrences(lr: LogRules, log: MllogFile, out: _Collector) -> None:
    path = out.path
    groups_seen: set[frozenset[str]] = set()
    for key, rule in lr.keys.items():
        occurs = rule["occurs"]
        recs = log.by_key(key)
        n = len(recs)
        if occurs == "exactly_one" and n != 1:
            values = [r.value for r in recs]
            if n and all(_same(v, values[0]) for v in values):
                out.add(
                    "TL003",
                    Problem(
                        path,
                        f"{key} logged {n} times (identical values)",
                        expected=1,
                        found=n,
                        line=recs[1].line,
                        key=key,
                    ),
                )
            else:
                distinct = sorted({repr(v) for v in values})
                msg = f"{key} must be logged exactly once, found {n}"
                out.add(
                    "TL002",
                    Problem(
                        path,
                        msg + (f" with different values {distinct}" if n else ""),
                        expected=1,
                        found=n,
                        line=recs[1].line if n > 1 else None,
                        key=key,
                    ),
                )
        elif occurs == "at_least_one" and n < 1:
            out.add("TL002", Problem(path, f"{key} must be logged at least once", expected=">= 1", found=0, key=key))
        elif isinstance(occurs, Mapping) and "at_least" in occurs and n < occurs["at_least"]:
            out.add(
                "TL002",
                Problem(
                    path,
                    f"{key} must be logged at least {occurs['at_least']} times",
                    expected=f">= {occurs['at_least']}",
                    found=n,
                    key=key,
                ),
            )
        elif isinstance(occurs, Mapping) and "any_of" in occurs:
            group = [key, *occurs["any_of"]]
            if frozenset(group) in groups_seen:
                continue
            groups_seen.add(frozenset(group))
            if not any(log.by_key(k) for k in group):
                out.add(
                    "TL002", Problem(path, f"none of {' or '.join(group)} is logged", expected=group, found=0, key=key)
                )


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def _quality(lr: LogRules, log: MllogFile, out: _Collector) -> None:
    q = lr.quality
    if not q:
        return
    if "group_by" in q:
        _grouped_quality(q, log, out)
        return
    recs = log.by_key(q["metric"])
    if not recs:
        return  # the occurrence rule reports a missing metric
    if not any(violation(q["target"], r.value) is None for r in recs):
        best = [r.value for r in recs][-1]
        out.add(
            "TL008",
            Problem(
                out.path,
                f"no {q['metric']} line reaches the quality target",
                expected=describe(q["target"]),
                found=best,
                key=q["metric"],
                line=recs[-1].line,
            ),
        )


def eval_groups(log: MllogFile, metric: str, group_by: str) -> tuple[dict[Any, dict[str, Any]], list[Record]]:
    """Eval lines grouped by ``group_by`` (e.g. samples_count) -> {metric name: last value}; also lines lacking it."""
    groups: dict[Any, dict[str, Any]] = {}
    orphans = []
    for rec in log.by_key(metric):
        name = rec.meta("metric")
        if name is None:
            continue
        step = rec.meta(group_by)
        try:
            hash(step)
        except TypeError:
            step = None
        if step is None:
            orphans.append(rec)
            continue
        groups.setdefault(step, {})[str(name)] = rec.value
    return groups, orphans


def _grouped_quality(q: Mapping[str, Any], log: MllogFile, out: _Collector) -> None:
    groups, orphans = eval_groups(log, q["metric"], q["group_by"])
    for rec in orphans:
        out.add(
            "TL005",
            Problem(
                out.path,
                f"{q['metric']} with a metric lacks metadata {q['group_by']}",
                line=rec.line,
                key=q["metric"],
                expected=q["group_by"],
            ),
        )
    need = q.get("min_groups", 1)
    if len(groups) < need:
        out.add(
            "TL002",
            Problem(
                out.path,
                f"{q['metric']} must be logged for at least {need} distinct {q['group_by']} values",
                expected=f">= {need}",
                found=len(groups),
                key=q["metric"],
            ),
        )
    metrics = q["metrics"]
    for step, vals in groups.items():
        missing = [m for m in metrics if m not in vals]
        if missing:
            out.add(
                "TL005",
                Problem(
                    out.path,
                    f"{q['metric']} at {q['group_by']}={step} lacks {', '.join(missing)}",
                    key=q["metric"],
                    expected=list(metrics),
                    found=sorted(vals),
                ),
            )
    if groups and not any(
        all(m in vals and violation(c, vals[m]) is None for m, c in metrics.items()) for vals in groups.values()
    ):
        want = "; ".join(f"{m} {describe(c)}" for m, c in metrics.items())
        out.add(
            "TL008",
            Problem(
                out.path, f"no {q['group_by']} reaches the quality target ({want})", expected=want, key=q["metric"]
            ),
        )


def error_codes(items: list[tuple[str, Problem]]) -> Iterator[str]:
    """Codes of the problems that make a log non-compliant (errors, not the duplicate-value warning)."""
    for code, problem in items:
        if code != "TL003" and problem.severity in (None, Severity.ERROR):
            yield code
