"""An inference result measured with the MLPerf Endpoints client instead of LoadGen (v6.1 on).

Such a scenario folder holds ``performance/result_summary.json``, ``accuracy/accuracy_results.json``, the
client's ``config.yaml`` and ``report.txt``; it has no LoadGen logs, so the LoadGen result rules do not apply to
it and the ``endpoints-result`` rules (:mod:`checker.checks.endpoints_client`) do. The files are read with the
Endpoints parsers the ``endpoints`` suite uses.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.context import ResultContext
from checker.parsers.jsonfile import JSON_LIMIT
from checker.parsers.text import limit_for, read_text

if TYPE_CHECKING:  # the Endpoints parsers are imported where a result of the client is read, not by every run
    from checker.parsers.endpoints import Accuracy, Doc, Summary

SUMMARY = Path("performance") / "result_summary.json"


def is_endpoints_result(result_dir: Path) -> bool:
    """A scenario folder with the client's summary and no LoadGen performance run."""
    return (result_dir / SUMMARY).is_file() and not (result_dir / "performance" / "run_1").exists()


class EndpointsResultContext(ResultContext):
    """A :class:`ResultContext` whose evidence is the Endpoints client's files."""

    @property
    def measurements_required(self) -> list[str]:
        """No user.conf: the client has none (official: user.conf is not required of Endpoints results)."""
        return list(self.rules["endpoints"]["measurements_required"])

    @property
    def files(self) -> dict[str, str]:
        return dict(self.rules["endpoints"]["files"])

    def doc(self, kind: str) -> Doc:
        cache = self.__dict__.setdefault("_ep_docs", {})
        if kind not in cache:
            from checker.parsers.endpoints import read_json, read_yaml

            path = self.unit.result_dir / self.files[kind]
            cap = limit_for(self.rules, "endpoints_json", JSON_LIMIT)
            cache[kind] = read_yaml(path, cap) if path.suffix in (".yaml", ".yml") else read_json(path, cap)
        return cache[kind]

    @cached_property
    def summary(self) -> Summary | None:
        from checker.parsers.endpoints import summary

        data = self.doc("performance").data
        return None if data is None else summary(data)

    @cached_property
    def accuracy_result(self) -> Accuracy | None:
        from checker.parsers.endpoints import accuracy

        data = self.doc("accuracy").data
        return None if data is None else accuracy(data)

    @cached_property
    def config(self) -> dict[str, Any]:
        return self.doc("config").data or {}

    @cached_property
    def report_totals(self) -> dict[str, float] | None:
        from checker.parsers.endpoints_files import report_totals

        path = self.unit.result_dir / "report.txt"
        if not path.is_file():
            return None
        text = read_text(path, limit_for(self.rules, "endpoints_json", JSON_LIMIT))
        return report_totals(text.text) if text.ok else None

    def config_value(self, keys: list[str]) -> Any:
        node: Any = self.config
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node

    @property
    def units(self) -> str:
        return self.rules.units(self.benchmark or "", self.scenario or "")

    @property
    def result(self) -> float | None:
        """The table's Result: the client's ``tps`` or ``qps``, by the benchmark's units (official table)."""
        s = self.summary
        if s is None:
            return None
        field = self.rules["endpoints"]["result_fields"].get(self.units, "qps")
        if field == "tps":
            return s.stored_system_tps if s.stored_system_tps is not None else s.derived_system_tps
        if s.qps is not None:
            return s.qps
        return s.completed / (s.duration_ns / 1e9) if s.completed is not None and s.duration_ns else None
