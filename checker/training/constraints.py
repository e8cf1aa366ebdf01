"""Evaluate the small constraint vocabulary of the rule files (eq, one_of, gt, formula, ...) without eval().

A constraint is a mapping; every entry must hold. ``describe`` renders it for the *expected* field of a
finding, and ``violation`` returns a short reason or ``None``. A value of the wrong type (a string where a
number is needed) is a violation, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from checker.numbers import check, shown

Lookup = Callable[[str], Any]

_COMPARE: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "gt": (">", lambda a, b: a > b),
    "ge": (">=", lambda a, b: a >= b),
    "lt": ("<", lambda a, b: a < b),
    "le": ("<=", lambda a, b: a <= b),
}


class FormulaError(ValueError):
    """A formula refers to a key that was not logged, or to a value that is not a number."""


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def describe(con: Mapping[str, Any]) -> str:
    """Human form of a constraint, e.g. ``>= 0.72 and < 1.0``."""
    parts = []
    for name, arg in con.items():
        if name == "eq":
            parts.append(f"== {arg!r}")
        elif name == "ne":
            parts.append(f"!= {arg!r}")
        elif name == "one_of":
            parts.append(f"one of {list(arg)!r}")
        elif name in _COMPARE:
            parts.append(f"{_COMPARE[name][0]} {arg}")
        elif name == "integral":
            parts.append("an integer")
        elif name == "formula":
            parts.append(describe_formula(arg))
    return " and ".join(parts)


def describe_formula(formula: Mapping[str, Any]) -> str:
    lhs = render(formula.get("lhs", "$value"))
    text = f"{lhs} == {render(formula['rhs'])}"
    tol = formula.get("abs_tol", 0)
    return f"{text} (within {tol})" if tol else text


def render(expr: Any) -> str:
    """Expression tree to infix text, for messages and docs."""
    if isinstance(expr, Mapping):
        ((op, args),) = expr.items()
        if op in ("ceil", "floor", "sqrt"):
            return f"{op}({render(args)})"
        sym = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}[op]
        return "(" + sym.join(render(a) for a in args) + ")"
    return str(expr)


def evaluate(expr: Any, this: Any, lookup: Lookup) -> float:
    """Value of an expression tree; ``lookup(key)`` gives another logged key's value."""
    if is_number(expr):
        return float(expr)
    if isinstance(expr, str):
        value = this if expr == "$value" else lookup(expr)
        if not is_number(value):
            raise FormulaError(f"{expr} is {value!r}, not a number")
        return float(value)
    ((op, args),) = expr.items()
    if op in ("ceil", "floor", "sqrt"):
        inner = evaluate(args, this, lookup)
        if op == "sqrt":
            if inner < 0:
                raise FormulaError(f"square root of negative {inner}")
            return math.sqrt(inner)
        return float(math.ceil(inner) if op == "ceil" else math.floor(inner))
    vals = [evaluate(a, this, lookup) for a in args]
    if op == "add":
        return math.fsum(vals)
    if op == "sub":
        return vals[0] - vals[1]
    if op == "mul":
        out = 1.0
        for v in vals:
            out *= v
        return out
    if vals[1] == 0:
        raise FormulaError("division by zero")
    return vals[0] / vals[1]


def violation(con: Mapping[str, Any], value: Any, lookup: Lookup | None = None) -> str | None:
    """Why ``value`` breaks ``con``, or None when it satisfies every entry."""
    for name, arg in con.items():
        reason = _check_one(name, arg, value, lookup)
        if reason:
            return reason
    return None


def _check_one(name: str, arg: Any, value: Any, lookup: Lookup | None) -> str | None:
    if name == "eq":
        return None if _equal(value, arg) else f"{value!r} is not {arg!r}"
    if name == "ne":
        return f"{value!r} is not allowed" if _equal(value, arg) else None
    if name == "one_of":
        return None if any(_equal(value, a) for a in arg) else f"{value!r} is not one of {list(arg)!r}"
    if name in _COMPARE:
        if not is_number(value):
            return f"{value!r} is not a number"
        if bad := check(value, "number"):  # inf passes ">= 0" and NaN fails only by accident: neither is a value
            return f"{shown(value)!r} is {bad}"
        sym, test = _COMPARE[name]
        return None if test(value, arg) else f"{value!r} is not {sym} {arg}"
    if name == "integral":
        if not is_number(value) or not math.isfinite(value) or abs(round(value) - value) >= 1e-5:
            return f"{value!r} is not an integer"
        return None
    if name == "formula":
        return _check_formula(arg, value, lookup or (lambda key: None))
    return f"unknown constraint {name!r}"


def _check_formula(formula: Mapping[str, Any], value: Any, lookup: Lookup) -> str | None:
    try:
        lhs = evaluate(formula.get("lhs", "$value"), value, lookup)
        rhs = evaluate(formula["rhs"], value, lookup)
    except (FormulaError, OverflowError) as exc:
        return f"cannot evaluate {describe_formula(formula)}: {exc}"
    tol = formula.get("abs_tol", 0)
    ok = abs(lhs - rhs) < tol if tol else lhs == rhs
    return None if ok else f"{describe_formula(formula)} fails: {lhs!r} vs {rhs!r}"


def _equal(a: Any, b: Any) -> bool:
    # True == 1 in Python; a logged boolean must not satisfy a numeric rule (or the reverse).
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001  (exotic values compare unequal rather than crash)
        return False
