"""Parser for ``accuracy.txt``: every metric the round's patterns find, in line order, and the hash line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from checker.parsers.text import ReadFailure, read_text

ACCURACY_TXT_LIMIT = 16 << 20  # real ones are a few KiB; the round's ``limits.accuracy_txt`` overrides


@dataclass
class AccuracyFile:
    path: Path
    values: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    hash_value: str | None = None
    hash_line: int | None = None
    read_error: str | None = None
    read_kind: ReadFailure | None = None

    def first(self, metric: str) -> float | None:
        found = self.values.get(metric)
        return found[0][1] if found else None


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


Matcher = tuple[str, Callable[[str], "re.Match[str] | None"], str]


@lru_cache(maxsize=64)
def _matchers(patterns: tuple[tuple[str, str], ...]) -> tuple[Matcher, ...]:
    """Each metric with its pattern's ``match`` and the text every line it matches holds, compiled once."""
    return tuple((metric, _compile(pattern).match, _required_text(pattern)) for metric, pattern in patterns)


_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _'\":=,;/<>!@%&~-")


def _required_text(pattern: str) -> str:
    """Text that every line ``re.match(pattern, line)`` accepts holds, or "" where none is known for sure.

    Only the plain characters right after a leading ``^`` or ``.*`` count (``.`` matches anything but a
    line break, which a line has none of), in a pattern without ``|``; a character a quantifier
    follows is left out. Lines without that text are not matched: most lines of a long accuracy.txt
    are a script's progress, and a leading ``.*`` tries every position of each.
    """
    if "|" in pattern:
        return ""
    rest = pattern[1:] if pattern.startswith("^") else pattern[2:] if pattern.startswith(".*") else pattern
    text, at = [], 0
    while at < len(rest):
        char = rest[at]
        if char == "\\" and rest[at + 1 : at + 2].isascii() and not rest[at + 1 : at + 2].isalnum():
            text.append(rest[at + 1])  # an escaped punctuation character stands for itself
            at += 2
        elif char in _PLAIN:
            text.append(char)
            at += 1
        else:
            break
    if rest[at : at + 1] in ("*", "+", "?", "{"):
        text = text[:-1]
    return "".join(text)


def parse_accuracy_text(path: Path, text: str, patterns: dict[str, str], hash_pattern: str) -> AccuracyFile:
    """Apply each metric's pattern with ``re.match`` to every line, as the official checker does.

    A pattern is only tried on lines that hold its required text (none at all where the text lacks it).
    """
    result = AccuracyFile(path)
    hash_match, lines = _compile(hash_pattern).match, text.splitlines()
    matchers = [m for m in _matchers(tuple(patterns.items())) if m[2] in text] if lines else []
    values, texts = result.values, result.texts
    for number, line in enumerate(lines, start=1):
        for metric, match_line, required in matchers:
            match = match_line(line) if required in line else None
            if match:
                try:
                    values.setdefault(metric, []).append((number, float(match.group(1))))
                    texts.setdefault(metric, match.group(1))
                except (ValueError, IndexError, TypeError):  # TypeError: a group that took no part
                    continue
        if result.hash_value is None:
            hashed = hash_match(line)
            if hashed:
                result.hash_value, result.hash_line = hashed.group(1), number
    return result


def parse_accuracy_file(
    path: Path, patterns: dict[str, str], hash_pattern: str, limit: int = ACCURACY_TXT_LIMIT
) -> AccuracyFile:
    """Read (bounded, strict UTF-8: a metric read from garbage is no metric) and parse ``accuracy.txt``."""
    text_file = read_text(path, limit, strict=True)
    if not text_file.ok:
        return AccuracyFile(path, read_error=text_file.error, read_kind=text_file.kind)
    return parse_accuracy_text(path, text_file.text, patterns, hash_pattern)
