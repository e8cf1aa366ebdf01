"""What every audit rule receives and yields: the round's tables, the thresholds, and problems with figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from checker.discovery import Tree
from checker.findings import Problem, Severity
from checker.registry import rule
from checker.rounds import Round


@dataclass(frozen=True)
class AuditProblem(Problem):
    """A :class:`Problem` that also carries the figures and the results it compared (``Finding.extra``)."""

    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class HistoryRound:
    """An earlier round's results table, to compare the same systems and accelerators against."""

    root: str
    version: str
    frame: pd.DataFrame


@dataclass
class AuditContext:
    """The audited round: its results table, its system JSONs, its rules and the audit thresholds."""

    root: Path
    tree: Tree
    rules: Round
    config: dict[str, Any]
    frame: pd.DataFrame
    systems: pd.DataFrame
    history: list[HistoryRound] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def usable(self) -> pd.DataFrame:
        """Results the population statistics may use: a finite metric, not inferred from another scenario."""
        frame = self.frame
        return frame[np.isfinite(frame["Result"]) & (frame["Result"] > 0) & ~frame["inferred"]]


def robust_z(values: pd.Series, floor: float = 0.0) -> tuple[pd.Series, float, float]:
    """Modified z-scores of ``values`` (Iglewicz & Hoaglin): 0.6745 * (x - median) / MAD.

    Median and MAD have a 50 % breakdown point: in a group of five results, two wild numbers cannot drag
    the centre or the spread the way they drag a mean and a standard deviation, so the outliers cannot hide
    themselves. ``floor`` keeps the MAD from collapsing to zero when most results are identical copies.
    """
    median = float(values.median())
    mad = max(float((values - median).abs().median()), floor)
    if mad == 0:
        return pd.Series(0.0, index=values.index), median, mad
    return 0.6745 * (values - median) / mad, median, mad


def fmt(value: float) -> str:
    """Numbers in messages: four significant digits are enough to judge a ratio."""
    return f"{value:.4g}"


def audit_rule(code: str, name: str, *, fix: str) -> Any:
    """Register a reviewer audit: a ``round``-scope rule of the ``audit`` suite whose findings are for review."""
    return rule(code, name, scope="round", severity=Severity.REVIEW, suite="audit", fix=fix)
