"""Values and texts as people read them, in every format: no Python reprs, no reStructuredText markup.

Rule code holds lists, dicts and docstrings written for Sphinx; a report shows ``4655.png, 2569.png, …
(10 in all)`` rather than ``['4655.png', '2569.png', …]``, and `accuracy/` rather than ````accuracy/````.
"""

from __future__ import annotations

import re
from typing import Any

from checker.reporters.safe import printable

ELLIPSIS = "..."
LIST_SHOWN = 5  # items of a list shown before "(N in all)"
VALUE_CAP = 300  # characters of one expected/found value in the machine-readable formats' messages
_RST_LITERAL = r"``(.+?)``"  # compiled (once) where used: most texts have no backquote
_RST_ROLE = r":[a-z]+:`~?([^`]+)`"


def plain(text: Any, lines: bool = False, keep: str = "") -> str:
    """``text`` without reStructuredText literals and roles (````x```` and ``:class:`x``` become `x`).

    ``lines`` keeps line breaks (a rule's documentation); a message's are escaped so they cannot fake a line,
    unless the format escapes them its own way (``keep``, as :func:`~checker.reporters.safe.printable` takes it).
    """
    shown = printable("" if text is None else text, keep=keep + ("\n" if lines else ""))
    if "`" not in shown:
        return shown
    return re.sub(_RST_ROLE, r"`\1`", re.sub(_RST_LITERAL, r"`\1`", shown))


def human(value: Any, limit: int | None = None) -> str:
    """A finding's expected/found value for people: lists joined, mappings as ``key: value``, numbers as written."""
    if limit is not None and isinstance(value, (list, tuple)) and len(value) > 1:
        for shown in range(min(len(value), LIST_SHOWN), 0, -1):  # fewer whole items rather than a cut one
            text = _human(list(value[:shown]))
            text = text if shown == len(value) else f"{text}, {ELLIPSIS} ({len(value)} in all)"
            if len(text) <= limit:
                return text
    text = _human(value)
    if limit is not None and len(text) > limit:
        return middle(text, limit)
    return text


def _human(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        if not items:
            return "none"
        return ", ".join(_human(v) for v in items)
    if isinstance(value, dict):
        if not value:
            return "none"
        parts = [_human(v) if str(k) == "" else f"{printable(k)}: {_human(v)}" for k, v in value.items()]
        return "; ".join(parts)
    return plain(value)


def middle(text: str, width: int) -> str:
    """``text`` cut in the middle to ``width`` characters, so both the start and the end of a path stay visible."""
    if len(text) <= width:
        return text
    if width <= len(ELLIPSIS) + 2:
        return text[:width]
    keep = width - len(ELLIPSIS)
    head = keep // 2
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head) :]
