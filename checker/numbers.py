"""One converter for every number read from a submission: finite, in range, and of the quantity's domain.

Logs and JSON files hold numbers as JSON ints, floats or strings. A careless ``float()`` turns 10^400 into
``inf`` (or raises ``OverflowError`` for a JSON int), accepts ``"nan"``, and lets a negative latency pass a
``<`` limit. ``quantity(value, kind)`` is the one place that decides whether a value is a usable number of
a given kind; it raises :class:`BadNumber` with a short reason otherwise, so a rule can report the value
(fail closed) instead of crashing or skipping it. ``as_int``/``as_float`` are the lenient forms (None for
anything unusable) for callers that only need "a number or not".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# LoadGen writes 64-bit integers; anything larger is a corrupted or forged value, not a count.
INT_LIMIT = 2**64


class BadNumber(ValueError):
    """A value that is not a usable number of its kind; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Domain:
    """What values a kind of quantity may take."""

    minimum: float | None = None  # None: any sign
    exclusive: bool = False  # the minimum itself is impossible (zero nodes, zero throughput)
    integral: bool = False

    def describe(self) -> str:
        what = "an integer" if self.integral else "a finite number"
        if self.minimum is None:
            return what
        return f"{what} {'>' if self.exclusive else '>='} {self.minimum:g}"


DOMAINS: dict[str, Domain] = {
    "number": Domain(),  # any finite number (e.g. a loss, a learning rate)
    "latency": Domain(0, exclusive=True),  # ns or ms a query/token took: a run cannot take no time
    "duration": Domain(0),  # configured or measured span; zero is a legal setting (e.g. no minimum)
    "amount": Domain(0),  # any other non-negative quantity (warmup steps, decay steps)
    "timestamp": Domain(0),  # ms since the epoch
    "rate": Domain(0, exclusive=True),  # throughput: the headline metric of Offline/Server
    "metric": Domain(0, exclusive=True),  # a primary metric of any scenario
    "power": Domain(0, exclusive=True),  # watts, joules
    "fraction": Domain(0),  # accuracy and other non-negative scores
    "count": Domain(0, integral=True),  # queries, samples, steps; zero allowed
    "positive_count": Domain(0, exclusive=True, integral=True),  # nodes, batch size, sample counts that cannot be zero
    "index": Domain(0, integral=True),  # epoch number, seeds, first epoch
    "seed": Domain(0, integral=True),
    "epoch": Domain(0),  # epoch_num: some benchmarks log fractional epochs
}


def _parse(value: Any) -> int | float:
    """The raw number in ``value``: int and float as they are, numeric strings parsed; BadNumber otherwise."""
    if value is None:
        raise BadNumber("missing")
    if isinstance(value, bool):
        raise BadNumber("a boolean, not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if "_" in text:  # Python reads 1_000; LoadGen never writes it
            raise BadNumber(f"{value!r} is not a number")
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            raise BadNumber(f"{value!r} is not a number") from None
    raise BadNumber(f"a {type(value).__name__}, not a number")


def _finite(number: int | float) -> None:
    if isinstance(number, int):
        try:
            float(number)
        except OverflowError:
            raise BadNumber("too large (overflows a float)") from None
        return
    if math.isnan(number):
        raise BadNumber("not a number (NaN)")
    if math.isinf(number):
        raise BadNumber("infinite or overflows a float")


def quantity(value: Any, kind: str) -> int | float:
    """``value`` as a number of ``kind`` (see ``DOMAINS``); raises BadNumber when it cannot be one.

    Integral kinds return an int (a float such as 8.0 is accepted), the others a float.
    """
    domain = DOMAINS[kind]
    number = _parse(value)
    _finite(number)
    if domain.integral:
        if isinstance(number, float) and not number.is_integer():
            raise BadNumber(f"{value!r} is not an integer")
        number = int(number)
        if abs(number) >= INT_LIMIT:
            raise BadNumber("too large for a 64-bit integer")
    else:
        number = float(number)
    if domain.minimum is not None:
        if number < domain.minimum or (domain.exclusive and number == domain.minimum):
            raise BadNumber(f"{_sign(number)}, must be {domain.describe()}")
    return number


def _sign(number: float) -> str:
    return "negative" if number < 0 else "zero" if number == 0 else f"{number:g} is out of range"


def check(value: Any, kind: str) -> str | None:
    """Why ``value`` is not a usable ``kind``, or None when it is."""
    try:
        quantity(value, kind)
    except BadNumber as bad:
        return bad.reason
    return None


def expected(kind: str) -> str:
    """The domain in words, for a finding's *expected* field."""
    return DOMAINS[kind].describe()


def as_float(value: Any) -> float | None:
    """A finite float from an int, float or numeric string; None otherwise (NaN, infinity, overflow, text)."""
    try:
        return float(quantity(value, "number"))
    except BadNumber:
        return None


def as_int(value: Any) -> int | None:
    """An integer (any sign) from an int, an integral float or a string of digits; None otherwise."""
    try:
        number = _parse(value)
        _finite(number)
    except BadNumber:
        return None
    if isinstance(number, float):
        if not number.is_integer() or isinstance(value, str):
            return None  # "8.0" in a log is not the integer LoadGen writes
        number = int(number)
    return number if abs(number) < INT_LIMIT else None


def shown(value: Any) -> Any:
    """``value`` fit for a finding's *found* field: NaN, infinity and 400-digit integers become short text.

    JSON has no NaN or infinity, and a huge integer is unreadable in a report.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= INT_LIMIT:
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}{digits[:6]}... ({len(digits)} digits)"
    if isinstance(value, str) and len(value) > 80:
        return value[:77] + "..."
    return value
