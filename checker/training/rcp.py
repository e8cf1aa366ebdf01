"""Reference convergence points (RCPs): the official statistics, pruning, interpolation and the t-test.

Reproduces ``mlperf_logging.rcp_checker`` (read, not copied): per reference record, the olympic mean,
the population standard deviation of all runs, and the smallest submission mean that a one-sided pooled
t-test (alpha 0.05) still accepts, found by bisection on [0, mean] down to an absolute width of 1e-4.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from checker.numbers import as_float
from checker.parsers.mllog import MllogFile
from checker.ruleset import data_dir
from checker.training.constraints import violation


@dataclass(frozen=True)
class RcpRecord:
    """One reference batch size with its statistics."""

    name: str
    bs: float
    runs: tuple[float, ...]
    mean: float
    stdev: float
    min_epochs: float

    @property
    def max_speedup(self) -> float:
        return self.mean / self.min_epochs if self.min_epochs else math.inf


@dataclass(frozen=True)
class RcpTable:
    """All records of one benchmark and the pruned subset the package checker uses."""

    benchmark: str
    records: tuple[RcpRecord, ...]
    pruned: tuple[RcpRecord, ...]
    required_runs: int


@dataclass(frozen=True)
class Convergence:
    """What one run contributes to the RCP test."""

    bs: Any
    benchmark: Any
    value: float
    converged: bool
    problem: str | None = None


@dataclass(frozen=True)
class RcpOutcome:
    """Result of the RCP test for one benchmark folder, with the summarizer's status label."""

    status: str  # Pass, Fail, Interp. Fail, Missing, No RCP, Unknown state
    passed: bool
    message: str
    bs: Any = None
    reference: RcpRecord | None = None
    submission_mean: float | None = None
    threshold: float | None = None
    norm_factor: float = 1.0
    samples_to_converge: float | None = None


def olympic_mean(values: Sequence[float], drop: int) -> float:
    """Mean after dropping ``drop`` values from each end of the sorted list (numpy-free, same sum order)."""
    kept = sorted(values)[drop : len(values) - drop]
    return sum(kept) / len(kept)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz), accurate to ~1e-15."""
    tiny, eps = 1e-300, 1e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbeta) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbeta) * _betacf(b, a, 1.0 - x) / b


def t_sf(t: float, df: float) -> float:
    """Survival function of Student's t (what scipy's t.sf gives), without needing scipy."""
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


def _pvalue_one_sided(m1: float, m2: float, sd: float, n1: int, n2: int) -> float:
    """One-sided p-value of a pooled two-sample t-test with equal stdevs, as scipy + the official conversion."""
    df = n1 + n2 - 2
    pooled = ((n1 - 1) * sd * sd + (n2 - 1) * sd * sd) / df
    t = (m1 - m2) / math.sqrt(pooled * (1.0 / n1 + 1.0 / n2))
    two_sided = 2.0 * t_sf(abs(t), df)
    return two_sided / 2 if t < 0 else 1 - two_sided / 2


def min_acceptable_mean(mean: float, stdev: float, n_ref: int, n_sub: int, alpha: float, tol: float) -> float:
    """Bisection for the smallest mean the t-test accepts; equal to ``mean`` when the reference has no spread."""
    if stdev == 0:
        return mean
    lo, hi = 0.0, mean
    mid = (lo + hi) / 2
    while hi - lo > tol:
        if _pvalue_one_sided(mid, mean, stdev, n_ref, n_sub) > alpha:
            hi = mid
        else:
            lo = mid
        mid = (lo + hi) / 2
    return mid


def _std(values: Sequence[float]) -> float:
    mu = sum(values) / len(values)
    return math.sqrt(sum((v - mu) ** 2 for v in values) / len(values))


def _interp(x: float, x0: float, x1: float, y0: float, y1: float) -> float:
    """Linear interpolation as numpy.interp does between two points."""
    if x1 == x0:
        return y0
    return y0 + (x - x0) * (y1 - y0) / (x1 - x0)


def interpolate(bs: float, low: RcpRecord, high: RcpRecord, n_sub_runs: int, cfg: Mapping[str, Any]) -> RcpRecord:
    """An interpolated record; its minimum is computed with n_ref = 2 x required runs, as the official code."""
    mean = _interp(bs, low.bs, high.bs, low.mean, high.mean)
    stdev = _interp(bs, low.bs, high.bs, low.stdev, high.stdev)
    min_ep = min_acceptable_mean(mean, stdev, n_sub_runs * 2, n_sub_runs - 2, cfg["alpha"], cfg["tolerance"])
    return RcpRecord(f"interp_{bs}", bs, (), mean, stdev, min_ep)


def _prune(records: list[RcpRecord], runs: int, cfg: Mapping[str, Any]) -> tuple[RcpRecord, ...]:
    fastest = min(records, key=lambda r: r.mean)
    kept = [r for r in records if r.bs >= fastest.bs]
    i = 1
    while i < len(kept) - 1:
        mid = kept[i]
        # Only the mean matters here; skip the bisection an interpolated record would also do.
        mean = _interp(mid.bs, kept[i - 1].bs, kept[i + 1].bs, kept[i - 1].mean, kept[i + 1].mean)
        if mid.mean > mean:
            del kept[i]
            i -= 1
        i += 1
    keep_bs = {r.bs for r in kept}
    return tuple(r for r in records if r.bs in keep_bs)


@lru_cache(maxsize=64)
def load_table(data: str, benchmark: str, runs: int, cfg_items: tuple[tuple[str, Any], ...]) -> RcpTable | None:
    """The RCP table of ``benchmark`` from ``rules/training/rcps/<data>/rcps_<benchmark>.json``; None if absent."""
    cfg = dict(cfg_items)
    path = data_dir("rules") / "training" / "rcps" / data / f"rcps_{benchmark}.json"
    if not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    drop = cfg["drop_each_side"]
    records = []
    for name, rec in raw.items():
        unit = "samples to converge" if "samples to converge" in rec else "Epochs to converge"
        runs_list = tuple(sorted(float(x) for x in rec[unit]))
        mean = olympic_mean(runs_list, drop)
        stdev = _std(runs_list)
        min_ep = min_acceptable_mean(mean, stdev, len(runs_list) - 2 * drop, runs - 2, cfg["alpha"], cfg["tolerance"])
        records.append(RcpRecord(name, float(rec["BS"]), runs_list, mean, stdev, min_ep))
    records.sort(key=lambda r: r.bs)
    if not records:
        return RcpTable(benchmark, (), (), runs)
    return RcpTable(benchmark, tuple(records), _prune(records, runs, cfg), runs)


def convergence(log: MllogFile, method: Mapping[str, Any], cfg: Mapping[str, Any]) -> Convergence:
    """A run's convergence point read as the official RCP checker reads it (the last run_stop decides)."""
    bs: Any = -1
    bench: Any = None
    conv: Any = None
    value, converged, problem = cfg["not_converged_value"], False, None
    groups: dict[Any, dict[str, Any]] = {}
    kind = method["method"]
    for rec in log.records:
        if rec.key == "global_batch_size":
            bs = rec.value
        elif rec.key == "submission_benchmark":
            bench = rec.value
        elif kind == "train_samples_value" and rec.key == "train_samples":
            conv = rec.value if isinstance(rec.value, (int, float)) and not isinstance(rec.value, bool) else None
        elif kind != "train_samples_value" and rec.key in ("eval_accuracy", "eval_error"):
            if kind == "first_passing_group":
                step, metric = rec.meta("samples_count"), rec.meta("metric")
                if step is None or metric is None:
                    problem = f"line {rec.line}: eval lacks samples_count or metric"
                else:
                    groups.setdefault(_hashable(step), {})[str(metric)] = rec.value
            else:
                field = "samples_count" if kind == "samples_count_last_eval" else "epoch_num"
                raw = rec.meta(field)
                if not isinstance(raw, (int, float)) or isinstance(raw, bool) or as_float(raw) is None:
                    problem = f"line {rec.line}: eval lacks a numeric {field}"
                else:
                    conv = round(raw, 3) if field == "epoch_num" else raw
        elif rec.key == "run_stop":
            if rec.meta("status") == "success":
                if kind == "first_passing_group":
                    passing = [s for s, vals in groups.items() if _meets(vals, method.get("targets", {}))]
                    conv = min(passing, default=None, key=_sort_key)
                if conv is None or not isinstance(conv, (int, float)):
                    problem = problem or f"line {rec.line}: run_stop success but no usable eval before it"
                    value, converged = cfg["not_converged_value"], False
                else:
                    value, converged = float(conv), True
            else:
                value, converged = cfg["not_converged_value"], False
    return Convergence(bs, bench, value, converged, problem)


def _hashable(x: Any) -> Any:
    try:
        hash(x)
        return x
    except TypeError:
        return repr(x)


def _sort_key(x: Any) -> tuple[int, Any]:
    return (0, x) if isinstance(x, (int, float)) else (1, str(x))


def _meets(vals: Mapping[str, Any], targets: Mapping[str, Any]) -> bool:
    return all(m in vals and violation(c, vals[m]) is None for m, c in targets.items())


def check(
    table: RcpTable | None,
    convs: Sequence[Convergence],
    benchmark: str,
    ruleset: str,
    cfg: Mapping[str, Any],
    bypass: bool,
) -> RcpOutcome:
    """The RCP decision for one folder, following the official case table."""
    bss = {_hashable(c.bs) for c in convs}
    benches = {_hashable(c.benchmark) for c in convs}
    if not convs or len(bss) != 1 or len(benches) != 1 or convs[0].bs == -1:
        return RcpOutcome(
            "Unknown state", False, "batch size missing or different between runs", bs=sorted(map(str, bss))
        )
    bs = convs[0].bs
    values = [c.value for c in convs]
    drop = cfg["drop_each_side"]
    if len(values) <= 2 * drop:
        return RcpOutcome("Unknown state", False, f"{len(values)} runs leave nothing after olympic trimming", bs=bs)
    samples = olympic_mean(values, 1) if len(values) >= 3 else None
    not_conv = sum(1 for c in convs if not c.converged)
    if not_conv > cfg["max_not_converged"]:
        return RcpOutcome("Unknown state", False, f"insufficient convergence: {not_conv} runs did not converge", bs=bs)
    if table is None or not table.pruned:
        return RcpOutcome("No RCP", False, f"no RCP data for {benchmark}", bs=bs, samples_to_converge=samples)
    if not isinstance(bs, (int, float)) or isinstance(bs, bool):
        return RcpOutcome("Unknown state", False, f"batch size {bs!r} is not a number", bs=bs)
    exact = next((r for r in table.pruned if r.bs == bs), None)
    lower = max((r for r in table.pruned if r.bs < bs), key=lambda r: r.bs, default=None)
    higher = min((r for r in table.pruned if r.bs > bs), key=lambda r: r.bs, default=None)
    if exact is not None:
        ref, label, fail_label = exact, "RCP found", "Fail"
    elif lower is not None and higher is not None:
        ref = interpolate(float(bs), lower, higher, table.required_runs, cfg)
        label, fail_label = "RCP Interpolation", "Interp. Fail"
    elif lower is not None:
        msg = f"Missing RCP, please submit RCP with BS = {bs}"
        return _bypassed(RcpOutcome("Missing", False, msg, bs=bs, samples_to_converge=samples), bypass)
    else:
        ref, label, fail_label = (
            table.pruned[0],
            "RCP not found but slower convergence on smaller batch size",
            "Missing",
        )
    slack = cfg.get("extra_slack", {}).get(benchmark, 0)
    if slack:
        ref = replace(ref, min_epochs=ref.min_epochs - slack)
    mean_sub = olympic_mean(values, drop)
    threshold = ref.mean / (ref.mean / ref.min_epochs) if ref.min_epochs else 0.0
    passed = mean_sub >= threshold
    norm = max(1.0, ref.mean / mean_sub) if mean_sub else 1.0
    if passed:
        return RcpOutcome(
            "Pass", True, label, bs, ref, mean_sub, threshold, norm if mean_sub < ref.mean else 1.0, samples
        )
    if fail_label == "Missing":
        label = f"Missing RCP, please submit RCP with BS = {bs}"
    return _bypassed(RcpOutcome(fail_label, False, label, bs, ref, mean_sub, threshold, norm, samples), bypass)


def _bypassed(out: RcpOutcome, bypass: bool) -> RcpOutcome:
    if bypass:
        return replace(out, passed=True, message=out.message + " passed using rcp_bypass")
    return out
