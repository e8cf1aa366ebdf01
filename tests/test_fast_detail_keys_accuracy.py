"""accuracy.txt: a metric's pattern is only tried on lines holding the text it requires, with the same findings.

``parse_accuracy_text`` must give what applying every pattern with ``re.match`` to every line gives (the
official checker's reading), for the patterns of every inference round, for patterns written otherwise
(quantified, alternated, escaped), on real files and on generated lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.parsers.accuracy import AccuracyFile, _required_text, parse_accuracy_text
from checker.rounds import Round
from tests.conftest import require_data

ROUNDS = ["v4.1", "v5.0", "v5.1", "v6.0", "v6.1"]
ODD_PATTERNS = {
    "quantified": r"abc?=([\d.]+)",
    "braced": r"ab{2}=([\d.]+)",
    "alternated": r".*xq=[\d.]+|acc:([\d.]+)",  # the first branch has no group: its value is None
    "escaped": r"^ac\.c\:\s*([\d.]+)",
    "lazy": r".*?acc=([\d.]+)",
    "dotted": r"Acc.x=([\d.]+)",
    "grouped": r"(?:acc)=([\d.]+)",
}
HASH = "^hash=([0-9a-fA-F]{64})$"


def by_every_line(text: str, patterns: dict[str, str], hash_pattern: str) -> AccuracyFile:
    """The official reading, as the parser read it before: every pattern on every line."""
    result = AccuracyFile(Path("accuracy.txt"))
    for number, line in enumerate(text.splitlines(), start=1):
        for metric, pattern in patterns.items():
            match = re.match(pattern, line)
            if match:
                try:
                    result.values.setdefault(metric, []).append((number, float(match.group(1))))
                    result.texts.setdefault(metric, match.group(1))
                except (ValueError, IndexError, TypeError):
                    continue
        hashed = re.match(hash_pattern, line)
        if hashed and result.hash_value is None:
            result.hash_value, result.hash_line = hashed.group(1), number
    return result


def round_patterns() -> dict[str, str]:
    patterns: dict[str, str] = {}
    for version in ROUNDS:
        for metric, pattern in Round.load("inference", version)["accuracy_patterns"].items():
            patterns[f"{version}:{metric}"] = pattern
    return patterns


def test_required_text_of_the_round_patterns_and_odd_ones() -> None:
    assert _required_text(r".*'rouge1':\s+'?([\d.]+)'?.*") == "'rouge1':"
    assert _required_text(r"^BLEU\:\s*([\d\.]+).*") == "BLEU:"
    assert _required_text(r"^hash=([0-9a-fA-F]{64})$") == "hash="
    assert _required_text(ODD_PATTERNS["quantified"]) == "ab"  # the quantified c is not required
    assert _required_text(ODD_PATTERNS["braced"]) == "a"
    assert _required_text(ODD_PATTERNS["alternated"]) == ""  # either branch may match
    assert _required_text(ODD_PATTERNS["escaped"]) == "ac.c:"
    assert _required_text(ODD_PATTERNS["lazy"]) == ""
    assert _required_text(ODD_PATTERNS["dotted"]) == "Acc"
    assert _required_text(ODD_PATTERNS["grouped"]) == ""
    assert _required_text(r"^(?:\{\"accuracy|accuracy)[\": ]*=?\s*([\d\.]+).*") == ""


def test_real_accuracy_files_read_as_every_pattern_on_every_line() -> None:
    patterns = round_patterns() | ODD_PATTERNS
    files = sorted(require_data("inference-v4.1").rglob("accuracy.txt"))
    assert len(files) > 100
    for path in files:
        text = path.read_text(errors="replace")
        assert parse_accuracy_text(Path("accuracy.txt"), text, patterns, HASH) == by_every_line(text, patterns, HASH)


PIECES = [
    "accuracy=", "acc=", "ab=", "abc=", "abb=", "ac.c: ", "Acc.x=", "AccXx=", "x=", "acc:", "'rouge1': ",
    "'rouge1':", "BLEU: ", "hash=", "0" * 64, "97.5", "1e3", "nan", "abc", ".", "%", ",", " ", "\t", "'", '"',
    "\n", "\r\n", "\r", "\x0b", "\u2028", "{", "}", "Word Error Rate: x, accuracy=", "mean = ",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_generated_lines_read_as_every_pattern_on_every_line(pieces: list[str]) -> None:
    text = "".join(pieces)
    patterns = round_patterns() | ODD_PATTERNS
    assert parse_accuracy_text(Path("accuracy.txt"), text, patterns, HASH) == by_every_line(text, patterns, HASH)


@pytest.mark.parametrize("metric", sorted(ODD_PATTERNS))
def test_each_odd_pattern_still_finds_its_line(metric: str) -> None:
    """Each odd pattern's line is still read (a wrongly required text would skip it)."""
    lines = {
        "quantified": "ab=1.5",
        "braced": "abb=1.5",
        "alternated": "acc:1.5",
        "escaped": "ac.c: 1.5",
        "lazy": "xx acc=1.5",
        "dotted": "Acc-x=1.5",
        "grouped": "acc=1.5",
    }
    text = f"progress\n{lines[metric]}\n"
    found = parse_accuracy_text(Path("accuracy.txt"), text, {metric: ODD_PATTERNS[metric]}, HASH)
    assert found.values == {metric: [(2, 1.5)]}
