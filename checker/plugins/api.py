"""What a plugin writes against: the metric and validator registries and the values they exchange.

A metric is ``func(responses, params) -> MetricResult``: ``responses`` maps each ``qsl_idx`` to the bytes LoadGen
logged for it (hex-decoded), ``params`` is the metric's ``params`` mapping from the rule file. It raises
:class:`MetricError` when it cannot judge (no ground truth, a response of the wrong size): that is a finding,
never a pass. A validator is ``func(outcome, params) -> Iterable[Violation]``; its ``params`` JSON Schema is
checked when the rule file is used, so a typo in a parameter is reported rather than ignored.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class MetricError(ValueError):
    """A metric could not be computed from these responses (why, in words)."""


@dataclass(frozen=True)
class MetricResult:
    """A computed metric in the units ``accuracy.txt`` states, with its per-class values where it has classes."""

    value: float
    per_class: Mapping[str, float] = field(default_factory=dict)
    samples: int = 0


@dataclass(frozen=True)
class Outcome:
    """What a validator judges: one metric of one result, computed and claimed.

    ``value`` is the computed value when the accuracy log was complete, else the claimed one (``computed`` is then
    None). ``audit`` is the metric on TEST01's audited responses and ``accuracy_on_audit`` the accuracy run's metric
    on the same samples, when the result has a TEST01 audit log that could be read.
    """

    metric: str
    value: float | None
    claimed: float | None = None
    computed: MetricResult | None = None
    audit: MetricResult | None = None
    accuracy_on_audit: MetricResult | None = None
    why_not_computed: str = ""


@dataclass(frozen=True)
class Violation:
    """A validator's verdict against a result: what is wrong, what was expected and what was found."""

    message: str
    expected: Any
    found: Any


Metric = Callable[[Mapping[int, bytes], Mapping[str, Any]], MetricResult]
Validator = Callable[[Outcome, Mapping[str, Any]], Iterable[Violation]]


@dataclass(frozen=True)
class Registered:
    """A registered metric or validator, and where it came from (``built-in``, an entry point, a module)."""

    name: str
    func: Callable[..., Any]
    origin: str
    params: Mapping[str, Any] = field(default_factory=dict)  # validators: JSON Schema of their parameters
    doc: str = ""


METRICS: dict[str, Registered] = {}
VALIDATORS: dict[str, Registered] = {}


def _origin(func: Callable[..., Any]) -> str:
    module = getattr(func, "__module__", "") or ""
    return "built-in" if module.startswith("checker.") else module


def metric(name: str) -> Callable[[Metric], Metric]:
    """Register ``func`` as the metric ``name`` (the rule file's ``compute:``); the last registration wins."""

    def register(func: Metric) -> Metric:
        METRICS[name] = Registered(name, func, _origin(func), doc=_summary(func))
        return func

    return register


def validator(name: str, params: Mapping[str, Any] | None = None) -> Callable[[Validator], Validator]:
    """Register ``func`` as the validator ``name``; ``params`` is the JSON Schema of its rule-file parameters."""

    def register(func: Validator) -> Validator:
        schema = dict(params or {"type": "object"})
        VALIDATORS[name] = Registered(name, func, _origin(func), schema, _summary(func))
        return func

    return register


def _summary(func: Callable[..., Any]) -> str:
    return ((func.__doc__ or "").strip().splitlines() or [""])[0]


def load_object(reference: str) -> Any:
    """``package.module:attribute`` -> the object; any failure is a :class:`MetricError` that names it."""
    module_name, _, attribute = str(reference).partition(":")
    if not module_name or not attribute:
        raise MetricError(f"{reference!r} is not package.module:attribute")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute)
    except Exception as exc:  # noqa: BLE001 - any import failure means there is no ground truth
        raise MetricError(f"ground truth {reference} cannot be loaded: {type(exc).__name__}: {exc}") from exc


def ground_truth(params: Mapping[str, Any], key: str = "labels") -> Any:
    """Call the function the rule file names under ``params[key]`` and return what it gives."""
    if key not in params:
        raise MetricError(f"the rule file gives no params.{key} for this metric")
    loader: Callable[[], Any] = load_object(params[key])
    try:
        return loader()
    except Exception as exc:  # noqa: BLE001
        raise MetricError(f"ground truth {params[key]} failed: {type(exc).__name__}: {exc}") from exc
