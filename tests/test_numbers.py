"""checker.numbers: one converter that rejects overflow, NaN, infinity and values outside a quantity's domain."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from checker.numbers import DOMAINS, BadNumber, as_float, as_int, check, expected, quantity, shown
from tests import trees
from tests.mutate import set_record
from tests.test_rules_performance import TTFT, with_tokens
from tests.trees import Tree

TOKENS = "result_completed_tokens_per_second"
server_tree = trees.server_tree  # the real AMD llama2-70b Server copy (skips without data) and the demo copy


@pytest.mark.parametrize(
    ("value", "kind", "result"),
    [
        (5, "rate", 5.0),
        ("2520.27", "rate", 2520.27),
        (" 12 ", "count", 12),
        (8.0, "positive_count", 8),
        (0, "count", 0),
        (0, "duration", 0.0),
        (-3.5, "number", -3.5),
        (2**64 - 1, "seed", 2**64 - 1),
    ],
)
def test_quantity_accepts_usable_values(value: object, kind: str, result: float) -> None:
    got = quantity(value, kind)
    assert got == result and type(got) is type(result)


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        (10**400, "latency", "too large (overflows a float)"),
        ("1e400", "rate", "infinite or overflows a float"),
        (math.inf, "number", "infinite or overflows a float"),
        (math.nan, "number", "not a number (NaN)"),
        ("nan", "rate", "not a number (NaN)"),
        (-5, "latency", "negative, must be a finite number > 0"),
        (0, "latency", "zero, must be a finite number > 0"),
        (0, "positive_count", "zero, must be an integer > 0"),
        (-1, "count", "negative, must be an integer >= 0"),
        (3.5, "count", "3.5 is not an integer"),
        (2**64, "count", "too large for a 64-bit integer"),
        (True, "count", "a boolean, not a number"),
        (None, "rate", "missing"),
        ("fast", "rate", "'fast' is not a number"),
        ("1_000", "count", "'1_000' is not a number"),
        ([1], "count", "a list, not a number"),
    ],
)
def test_quantity_rejects_bad_values(value: object, kind: str, reason: str) -> None:
    with pytest.raises(BadNumber) as err:
        quantity(value, kind)
    assert err.value.reason == reason
    assert check(value, kind) == reason


def test_every_domain_describes_itself() -> None:
    assert expected("positive_count") == "an integer > 0"
    assert expected("duration") == "a finite number >= 0"
    assert all(expected(kind) for kind in DOMAINS)


def test_lenient_forms_never_raise() -> None:
    assert as_float(10**400) is None and as_float("inf") is None and as_float(math.nan) is None
    assert as_float("3.5") == 3.5 and as_float(7) == 7.0 and as_float(True) is None
    assert as_int("-5") == -5 and as_int(8.0) == 8 and as_int("8.0") is None and as_int(10**400) is None
    assert as_int(18209322760996052031) == 18209322760996052031  # a real LoadGen seed (uint64)


def test_shown_keeps_findings_readable_and_json_safe() -> None:
    assert shown(10**400) == "100000... (401 digits)"
    assert shown(math.nan) == "nan" and shown(-math.inf) == "-inf"
    assert shown(42) == 42 and shown("abc") == "abc"


# --- the converter in the PE rules, on a copy of a real v4.1 submitter (AMD, llama2-70b Server) ---------------
def test_pe012_overflowing_ttft_is_an_error_not_a_crash(server_tree: Tree, tmp_path: Path) -> None:
    tree = with_tokens(server_tree, tmp_path)
    log = tree.perf_detail("Server")
    number = set_record(tree.path(log), TTFT, 10**400)
    finding = tree.only("PE012")
    assert (finding.path, finding.line, finding.key) == (log, number, TTFT)
    assert finding.found == "100000... (401 digits)" and "too large" in finding.message
    assert finding.severity.name == "ERROR"


def test_pe012_negative_ttft_fails(server_tree: Tree, tmp_path: Path) -> None:
    tree = with_tokens(server_tree, tmp_path)
    set_record(tree.path(tree.perf_detail("Server")), TTFT, -5)
    finding = tree.only("PE012")
    assert (finding.key, finding.found) == (TTFT, -5) and "negative" in finding.message


def test_pe011_negative_target_latency_fails(server_tree: Tree) -> None:
    key = "effective_target_latency_ns"
    log = server_tree.perf_detail("Server")
    # The real log's 0 (no target: TTFT/TPOT bind) passes; so does the demo's 10 ms.
    assert server_tree.findings("PE011") == []
    number = set_record(server_tree.path(log), key, -1)
    finding = server_tree.only("PE011")
    assert (finding.path, finding.line, finding.key, finding.found) == (log, number, key, -1)


@pytest.mark.parametrize(("value", "reason"), [(10**400, "too large"), ("1e400", "infinite"), (-2520.27, "negative")])
def test_pe019_unusable_throughput_rejects_the_result(server_tree: Tree, value: object, reason: str) -> None:
    log = server_tree.perf_detail("Server")
    key = TOKENS if server_tree.real else "result_completed_samples_per_sec"  # llama2 is scored by tokens
    number = set_record(server_tree.path(log), key, value)
    finding = server_tree.only("PE019")
    assert (finding.path, finding.line, finding.key) == (log, number, key)
    assert reason in finding.message and finding.expected == "a positive number"
