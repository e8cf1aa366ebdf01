"""What an Endpoints rule sees: the tree, a submission, a system folder and a curve with its points.

Contexts parse lazily and cache, so each file is read once however many rules look at it. The *result* unit is
a curve (``results/<system>/<model>/``); rules that judge single points loop over ``ctx.points``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from checker.endpoints import regions
from checker.endpoints.discovery import Curve, EndpointsTree, Submission, SystemDir
from checker.parsers.endpoints import Accuracy, Doc, Summary, accuracy, read_json, read_yaml, summary
from checker.parsers.jsonfile import JSON_LIMIT
from checker.parsers.text import limit_for
from checker.scope import ContextBase


def _read(path: Path, limit: int) -> Doc:
    return read_yaml(path, limit) if path.suffix in (".yaml", ".yml") else read_json(path, limit)


@dataclass
class Point:
    """One ``r<N>/`` folder and its files, parsed on first use."""

    path: Path
    concurrency: int  # from the folder name
    limit: int = JSON_LIMIT

    def doc(self, name: str) -> Doc:
        cache = self.__dict__.setdefault("_docs", {})
        if name not in cache:
            cache[name] = _read(self.path / name, self.limit)
        return cache[name]

    @property
    def point(self) -> dict[str, Any]:
        return self.doc("point.yaml").data or {}

    @cached_property
    def summary(self) -> Summary | None:
        data = self.doc("result_summary.json").data
        return None if data is None else summary(data)

    @cached_property
    def accuracy(self) -> Accuracy | None:
        data = self.doc("accuracy_results.json").data
        return None if data is None else accuracy(data)

    @property
    def declared(self) -> int | None:
        """The concurrency point.yaml declares (None when absent or not a whole number)."""
        value = self.point.get("concurrency")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def offline(self) -> str:
        value = self.point.get("offline")
        return value if isinstance(value, str) else "none"

    @property
    def agentic(self) -> bool:
        settings = self.point.get("runtime_settings")
        return isinstance(settings, dict) and settings.get("load_pattern") == "agentic_inference"


@dataclass
class TreeContext(ContextBase):
    root: Path
    rules: Mapping[str, Any]
    tree: EndpointsTree


@dataclass
class SubmissionContext(ContextBase):
    root: Path
    rules: Mapping[str, Any]
    submission: Submission


@dataclass
class SystemContext(ContextBase):
    """``results/<system>/``: the per-system power descriptor."""

    root: Path
    rules: Mapping[str, Any]
    submission: Submission
    system: SystemDir

    def doc(self, name: str) -> Doc:
        return _read(self.system.path / name, limit_for(self.rules, "system_json", JSON_LIMIT))


@dataclass
class CurveContext(ContextBase):
    """``results/<system>/<model>/``: one Pareto curve."""

    root: Path
    rules: Mapping[str, Any]
    submission: Submission
    curve: Curve

    @cached_property
    def points(self) -> list[Point]:
        cap = limit_for(self.rules, "endpoints_json", JSON_LIMIT)
        return [Point(path, c, cap) for c, path in self.curve.points]

    @property
    def concurrencies(self) -> list[int]:
        return [p.concurrency for p in self.points]

    @cached_property
    def system_desc(self) -> dict[str, Any] | None:
        """The first point's readable system description (EP401 judges whether the others agree)."""
        for point in self.points:
            data = point.doc("system_desc.json").data
            if data is not None:
                return data
        return None

    @property
    def c_max(self) -> int | None:
        """C_max (§7): the system description's ``max_supported_concurrency``, else point.yaml's."""
        sources = [self.system_desc or {}, *(p.point for p in self.points)]
        for source in sources:
            value = source.get("max_supported_concurrency")
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        return None

    @cached_property
    def regions(self) -> regions.Regions | None:
        if self.c_max is None or not self.points:
            return None
        return regions.compute(self.c_max, min(self.concurrencies), self.rules)

    @property
    def agentic(self) -> bool:
        return any(p.agentic for p in self.points)

    @property
    def offline_points(self) -> list[Point]:
        return [p for p in self.points if p.offline in ("dedicated", "elected")]

    @cached_property
    def model(self) -> tuple[str, Mapping[str, Any]] | None:
        """The rule file's benchmark model this folder is (by its ``match`` fragments), or None."""
        hay = re.sub(r"[^a-z0-9]", "", self.curve.model.lower())
        for name, spec in self.rules["models"].items():
            if all(fragment in hay for fragment in spec["match"]):
                return name, spec
        return None

    @property
    def accuracy_points(self) -> list[Point]:
        return [p for p in self.points if (p.path / self.rules["layout"]["accuracy_file"]).is_file()]
