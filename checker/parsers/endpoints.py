"""Parsers for the files the MLPerf Endpoints client writes, shared by the ``endpoints`` suite and by inference
v6.1 results measured with that client (one parser per file kind).

``result_summary.json`` and ``accuracy_results.json`` come in two shapes: the standalone submission's (scores as a
mapping of datasets, percentile keys ``"90"``, a stored ``system_tps``) and the client's raw output that inference
v6.1 publishes (``accuracy_scores`` as a list, percentile keys ``"90.0"``, ``tps`` and ``run_config``). Each parser
reads both into one typed value and never raises: what cannot be read is an ``error`` the rules report.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.parsers.jsonfile import JSON_LIMIT, parse_json_file
from checker.parsers.text import ReadFailure, read_text

if TYPE_CHECKING:  # imported where a YAML file is read: an inference run of LoadGen results reads none
    import yaml


@dataclass(frozen=True)
class Doc:
    """A parsed JSON or YAML mapping, or why it could not be parsed (``kind`` tells missing from broken)."""

    path: Path
    data: dict[str, Any] | None = None
    error: str | None = None
    line: int | None = None
    kind: ReadFailure | None = None
    duplicates: tuple[str, ...] = ()  # keys a JSON object repeats: readers disagree on which value counts

    @property
    def ok(self) -> bool:
        return self.data is not None

    @property
    def missing(self) -> bool:
        return self.kind == ReadFailure.missing


def read_json(path: Path, limit: int = JSON_LIMIT) -> Doc:
    """One JSON object with the project's strict JSON reader (no NaN, bounded, UTF-8)."""
    doc = parse_json_file(path, limit)
    return Doc(path, doc.data, doc.error, doc.line, doc.kind, tuple(doc.duplicates))


def read_yaml(path: Path, limit: int = JSON_LIMIT) -> Doc:
    """One YAML mapping (``point.yaml``, ``config.yaml``), read with the safe loader."""
    import yaml

    text = read_text(path, limit, strict=True)
    if not text.ok:
        return Doc(path, error=text.error, kind=text.kind)
    try:
        node = yaml.compose(text.text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text.text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return Doc(path, error=f"not valid YAML: {str(exc).splitlines()[0]}", line=line, kind=ReadFailure.bad_format)
    except (ValueError, RecursionError) as exc:  # an integer of 5,000 digits; nesting deeper than the stack
        return Doc(
            path, error=f"not readable YAML: {type(exc).__name__}: {str(exc)[:120]}", kind=ReadFailure.bad_format
        )
    if not isinstance(data, dict):
        return Doc(path, error=f"expected a YAML mapping, found {type(data).__name__}", kind=ReadFailure.bad_format)
    bad = _bad_number(data)
    if bad is not None:
        return Doc(path, error=f"{bad} is not a finite number a double can hold", kind=ReadFailure.bad_format)
    return Doc(path, data, duplicates=_yaml_duplicates(node))


def _bad_number(data: Any) -> str | None:
    """The first .nan, .inf or integer beyond a double in a parsed YAML document (JSON rejects them too)."""
    seen: set[int] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (dict, list)):
            if id(item) not in seen:
                seen.add(id(item))
                stack += list(item.values()) if isinstance(item, dict) else item
        elif isinstance(item, float) and not math.isfinite(item):
            return repr(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**1023:
            return f"an integer of {len(str(item))} digits"
    return None


def _yaml_duplicates(root: yaml.Node | None) -> tuple[str, ...]:
    """Keys a YAML mapping repeats (the safe loader keeps the last silently); each node once, so aliases are cheap."""
    import yaml

    found: list[str] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys = Counter(k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.value != "<<")
            found += sorted(k for k, n in keys.items() if n > 1)
            stack += [v for _, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return tuple(found)


def number(value: Any) -> float | None:
    """A finite JSON number (not a bool, not a string), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def percentiles(block: Any) -> dict[float, float]:
    """``{"90": x}`` or ``{"90.0": x}`` as ``{90.0: x}``; keys or values that are not numbers are left out."""
    raw = block.get("percentiles") if isinstance(block, dict) else None
    out: dict[float, float] = {}
    for key, value in (raw or {}).items() if isinstance(raw, dict) else ():
        try:
            where = float(key)
        except (TypeError, ValueError):
            continue
        if number(value) is not None:
            out[where] = float(value)
    return out


@dataclass(frozen=True)
class Summary:
    """``result_summary.json``: counts, duration, output tokens, latency percentiles (ns) and stored rates."""

    issued: int | None
    completed: int | None
    failed: int | None
    duration_ns: float | None
    output_tokens: float | None
    ttft_ns: dict[float, float]
    tpot_ns: dict[float, float]
    stored_system_tps: float | None
    stored_tps_per_user: float | None
    qps: float | None = None
    load_pattern: str | None = None
    problems: tuple[str, ...] = ()  # required fields that are missing, not numbers or negative

    @property
    def derived_system_tps(self) -> float | None:
        """Output tokens per second of the whole run: the official definition of system TPS."""
        if self.output_tokens is None or not self.duration_ns:
            return None
        return self.output_tokens / (self.duration_ns / 1e9)

    def tpot_ms(self, pct: float) -> float | None:
        value = self.tpot_ns.get(pct)
        return None if value is None else value / 1e6

    def ttft_ms(self, pct: float) -> float | None:
        value = self.ttft_ns.get(pct)
        return None if value is None else value / 1e6


_COUNTS = ("n_samples_issued", "n_samples_completed", "n_samples_failed")


def summary(data: dict[str, Any]) -> Summary:
    """The typed view of a parsed ``result_summary.json`` (either shape)."""
    problems: list[str] = []

    def count(key: str) -> int | None:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(key)
            return None
        return value

    issued, completed, failed = (count(k) for k in _COUNTS)
    duration = number(data.get("duration_ns"))
    if duration is None:
        problems.append("duration_ns")
    osl = data.get("output_sequence_lengths")
    tokens = number(osl.get("total")) if isinstance(osl, dict) else None
    if tokens is None or tokens < 0:
        problems.append("output_sequence_lengths.total")
        tokens = None
    run_config = data.get("run_config") if isinstance(data.get("run_config"), dict) else {}
    pattern = run_config.get("load_pattern") if isinstance(run_config.get("load_pattern"), dict) else {}
    return Summary(
        issued,
        completed,
        failed,
        duration,
        tokens,
        percentiles(data.get("ttft")),
        percentiles(data.get("tpot")),
        number(data.get("system_tps", data.get("tps"))),
        number(data.get("tps_per_user")),
        number(data.get("qps")),
        pattern.get("type") if isinstance(pattern.get("type"), str) else None,
        tuple(problems),
    )


@dataclass(frozen=True)
class AccuracyEntry:
    """One dataset's accuracy: its scores by metric (lower-case), the samples scored, and an unnamed score."""

    dataset: str
    scores: dict[str, float]
    samples: int | None


@dataclass(frozen=True)
class Accuracy:
    entries: tuple[AccuracyEntry, ...]
    problems: tuple[str, ...] = field(default=())

    def score(self, metric: str) -> float | None:
        """The first score named ``metric`` (case-insensitive; ``score`` names an unnamed scalar)."""
        for entry in self.entries:
            if metric.lower() in entry.scores:
                return entry.scores[metric.lower()]
        return None

    @property
    def samples(self) -> int | None:
        counts = [e.samples for e in self.entries if e.samples is not None]
        return sum(counts) if counts else None


def _scores(raw: Any) -> dict[str, float]:
    """``{"rouge1": "38.9"}`` (strings are allowed, as the client writes them) or a bare number (``score``)."""
    if isinstance(raw, dict):
        out = {}
        for key, value in raw.items():
            parsed = number(value)
            if parsed is None and isinstance(value, str):
                try:
                    parsed = float(value)
                except ValueError:
                    parsed = None
            if parsed is not None and math.isfinite(parsed):
                out[str(key).lower()] = parsed
        return out
    value = number(raw)
    return {} if value is None else {"score": value}


_SAMPLE_KEYS = ("num_samples", "total_samples")


def _entry(name: str, body: dict[str, Any]) -> AccuracyEntry:
    samples = body.get("num_samples", body.get("total_samples"))
    repeats = body.get("n_repeats", body.get("num_repeats", 1))
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
        samples = None  # a negative count is a problem of the file (accuracy())
    elif "num_samples" in body and isinstance(repeats, int) and not isinstance(repeats, bool) and repeats > 1:
        samples *= repeats  # issued samples: the standalone file counts one pass; total_samples already has them all
    return AccuracyEntry(str(body.get("dataset_name") or name), _scores(body.get("score")), samples)


def accuracy(data: dict[str, Any]) -> Accuracy:
    """The typed view of a parsed ``accuracy_results.json`` (a mapping of datasets, or ``accuracy_scores``)."""
    raw = data.get("accuracy_scores", data)
    if isinstance(raw, list):
        items = [(str(i), body) for i, body in enumerate(raw)]
    elif isinstance(raw, dict):
        items = [(str(k), v) for k, v in raw.items() if isinstance(v, dict)]
    else:
        return Accuracy((), ("accuracy_scores is neither a list nor a mapping of datasets",))
    problems = [f"entry {name} is not an object" for name, body in items if not isinstance(body, dict)]
    for name, body in items:
        counts = [body.get(k) for k in _SAMPLE_KEYS] if isinstance(body, dict) else []
        if any(isinstance(v, int) and not isinstance(v, bool) and v < 0 for v in counts):
            problems.append(f"entry {name} counts a negative number of samples")
    entries = tuple(_entry(name, body) for name, body in items if isinstance(body, dict))
    if not entries:
        problems.append("no accuracy entry")
    return Accuracy(entries, tuple(problems))
