"""The finding record every rule produces, and the severities that decide the exit code."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """How much a finding matters; only ``error`` makes a run fail."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"
    REVIEW = "review"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "review": 1, "notice": 0}[self.value]


@dataclass(frozen=True)
class Problem:
    """What a rule function yields: where, what was expected, what was found.

    The engine turns it into a :class:`Finding` by stamping the rule's code,
    severity and default fix, so a rule can never mislabel its own output.
    """

    path: str
    message: str
    expected: Any = None
    found: Any = None
    line: int | None = None
    key: str | None = None
    fix: str | None = None
    unit: str | None = None
    severity: Severity | None = None


@dataclass(frozen=True)
class Finding:
    """An immutable, serialisable record of one rule violation."""

    code: str
    severity: Severity
    path: str
    message: str
    fix: str
    unit: str = ""
    expected: Any = None
    found: Any = None
    line: int | None = None
    key: str | None = None
    waived: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        """``path:line`` or ``path[key]``, as editors and CI annotations expect."""
        if self.line is not None:
            return f"{self.path}:{self.line}"
        if self.key:
            return f"{self.path}[{self.key}]"
        return self.path

    @property
    def fails(self) -> bool:
        return self.severity is Severity.ERROR and self.waived is None

    def with_waiver(self, reason: str) -> Finding:
        return replace(self, waived=reason)

    def to_record(self) -> dict[str, Any]:
        """Plain-dict form that every machine-readable reporter is built from."""
        record = asdict(self)
        record["severity"] = self.severity.value
        record["expected"] = _plain(self.expected)
        record["found"] = _plain(self.found)
        if not record["extra"]:
            record.pop("extra")
        return record


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
