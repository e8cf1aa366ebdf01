"""Parser for ``accuracy.txt``: every metric the round's patterns find, in line order, and the hash line."""

from __future__ import annotations

import re
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


def parse_accuracy_text(path: Path, text: str, patterns: dict[str, str], hash_pattern: str) -> AccuracyFile:
    """Apply each metric's pattern with ``re.match`` to every line, as the official checker does."""
    result = AccuracyFile(path)
    hash_re = _compile(hash_pattern)
    for number, line in enumerate(text.splitlines(), start=1):
        for metric, pattern in patterns.items():
            match = _compile(pattern).match(line)
            if match:
                try:
                    result.values.setdefault(metric, []).append((number, float(match.group(1))))
                    result.texts.setdefault(metric, match.group(1))
                except (ValueError, IndexError):
                    continue
        hashed = hash_re.match(line)
        if hashed and result.hash_value is None:
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
