"""The fast paths of the summary parser and of PO003 give exactly what their line-by-line references give,
on the real logs and on damaged copies of them (Hypothesis); a shared spl.txt read keeps each rule's cap.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.checks.power import _joined_lines, _ptd_errors, _ptd_errors_fast, _ranging_window, _samples_within
from checker.metrics import spl_lines
from checker.parsers.memo import forget_parsed_files
from checker.parsers.summary import _parse_lines, parse_summary_log, parse_summary_text
from checker.parsers.text import DEFAULT_LIMIT, read_text
from tests.conftest import require_data
from tests.test_rules_accuracy import found, set_record

UNTETHER = ("inference-v4.1", "closed", "UntetherAI", "results", "r760_u6_slim", "resnet50")
PREFIXES = ("Can't evaluate uncertainty", "Bad watts reading nan", "Current appears to be too high")
NAMES = ["Result is", "Scenario", "Samples per second", "Completed samples per second", "SUT name", "Mode", "x"]
DAMAGE = st.lists(
    st.tuples(
        st.floats(0, 1),
        st.sampled_from(["\r\n", "\r", "\n", "\x0b", "\x1f", ":", "=", " ", "\t", "é", "  : ERROR: x", "\n\n", ""]),
        st.integers(0, 3),
    ),
    max_size=6,
)
HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _damaged(text: str, damage: list[tuple[float, str, int]]) -> str:
    """``text`` with a few pieces inserted, or a few characters cut, at the given relative places."""
    for where, piece, cut in damage:
        at = int(where * len(text))
        text = text[:at] + piece + text[at + (cut if not piece else 0) :]
    return text


def _summary_text() -> str:
    return (require_data(*UNTETHER) / "offline" / "performance" / "run_1" / "mlperf_log_summary.txt").read_text()


def _assert_summary_exact(text: str) -> None:
    fields, lines = _parse_lines(text)
    log = parse_summary_text(Path("s"), text)
    for name in NAMES + list(fields):
        assert (log.get(name), log.line_of(name)) == (fields.get(name), lines.get(name)), name
    assert log.has_fields() == bool(fields)
    assert (log.fields, log.lines) == (fields, lines)


def test_summary_fields_searched_are_the_parsed_ones_on_the_real_summary() -> None:
    text = _summary_text()
    log = parse_summary_text(Path("s"), text)
    assert log.get("Samples per second") == "334462" and log.line_of("Samples per second") == 7
    assert log.result_is == "VALID" and log.scenario == "Offline"
    _assert_summary_exact(text)


@HYPOTHESIS
@given(damage=DAMAGE)
def test_summary_fields_searched_are_the_parsed_ones_on_damaged_summaries(damage: list[tuple[float, str, int]]) -> None:
    _assert_summary_exact(_damaged(_summary_text(), damage))


@pytest.mark.parametrize(
    ("text", "value", "line"),
    [
        ("Scenario:Offline\nScenario : Server\n", "Offline", 1),  # the first one wins
        ("  Scenario  \t:  Server \t\n", "Server", 1),
        ("x = Scenario : Server\nScenario: Offline", "Offline", 2),  # a name holding "=" is no field
        ("Scenario\r: Server\nScenario: Offline", "Offline", 3),  # not plain text: parsed line by line
        ("Notes: Scenario: Server\n", None, None),
    ],
)
def test_summary_field_rules(text: str, value: str | None, line: int | None) -> None:
    log = parse_summary_text(Path("s"), text)
    assert (log.get("Scenario"), log.line_of("Scenario")) == (value, line)
    _assert_summary_exact(text)


def test_summary_without_fields_is_bad_format(tmp_path: Path) -> None:
    path = tmp_path / "mlperf_log_summary.txt"
    path.write_text("=====\nno fields here\n= a : b\nNo errors encountered during test.\n")
    log = parse_summary_log(path)
    assert log.read_kind == "bad_format" and log.read_error == "file has no 'Name : value' lines"


def _ptd_text() -> str:
    return read_text(require_data(*UNTETHER) / "offline" / "performance" / "power" / "ptd_logs.txt").text


def _exact(text: str, prefixes: tuple[str, ...]) -> list[tuple[int, str, bool]]:
    lines = text.splitlines()
    return _ptd_errors(lines, _ranging_window(lines, "_ranging"), prefixes)


def test_ptd_errors_fast_is_exact_and_taken_on_the_real_log() -> None:
    text = _ptd_text()
    for prefixes in (PREFIXES, ()):
        assert _ptd_errors_fast(_joined_lines(text), "_ranging", prefixes) == _exact(text, prefixes)
    bad_watts = (975, "Bad watts reading 99100000000000005192630646116011999232.000000 from Yokogawa", True)
    assert len(_exact(text, PREFIXES)) == 3 and _exact(text, PREFIXES)[0] == bad_watts  # ranging errors: warnings


def test_ptd_errors_fast_on_crlf_mixed_and_suffix_lines() -> None:
    text = (
        "01-01-2024 00:00:00.000: Go with mark 'a_ranging'\r\n"
        "01-01-2024 00:00:01.000: ERROR: Can't evaluate uncertainty\r\n"
        "01-01-2024 00:00:02.000: ERROR: Lost connection\n"
        "01-01-2024 00:00:03.000: Completed test\r\n"
        "01-01-2024 00:00:04.000: ERROR: Lost connection\r\n"
        "01-01-2024 00:00:05.000: ERROR:  Lost connection  \n"
        "01-01-2024 00:00:06.000: ERROR: USB. reset"
    )
    expected = [(2, "Lost connection", True), (4, "Lost connection", False), (6, "USB. reset", False)]
    assert _ptd_errors_fast(_joined_lines(text), "_ranging", PREFIXES) == _exact(text, PREFIXES) == expected
    # an earlier line that only ends with a message, and a message whose first line has no time stamp: unsure
    tricky = "t: ERROR: a: ERROR: b\n01-01-2024 00:00:00.000: ERROR: a: ERROR: b\nno stamp: ERROR: c\n"
    assert _ptd_errors_fast(_joined_lines(tricky), "_ranging", ()) is None
    assert _exact(tricky, ()) == [(1, "a: ERROR: b", False)]
    suffix = "01-01-2024 00:00:00.000: ERROR: z: ERROR: b\n01-01-2024 00:00:01.000: ERROR: b\n"
    assert _ptd_errors_fast(_joined_lines(suffix), "_ranging", ()) is None
    assert _exact(suffix, ()) == [(0, "z: ERROR: b", False), (1, "b", False)]


@HYPOTHESIS
@given(damage=DAMAGE, cut=st.integers(0, 3000), prefixes=st.sampled_from([PREFIXES, ()]))
def test_ptd_errors_fast_is_exact_on_damaged_logs(damage: list[tuple[float, str, int]], cut: int, prefixes) -> None:
    lines = _ptd_text().splitlines()
    text = "\n".join(lines[cut : cut + 400])  # a part around the ranging window, then damaged
    text = _damaged(text, damage)
    fast = _ptd_errors_fast(_joined_lines(text), "_ranging", prefixes)
    assert fast is None or fast == _exact(text, prefixes)


def test_spl_read_is_shared_and_keeps_the_cap(tmp_path: Path) -> None:
    spl = tmp_path / "spl.txt"
    spl.write_text("Time,01-01-2024 00:00:00.000,Watts,5.0\nTime,01-01-2024 00:00:01.000,Watts,6.0\n")
    forget_parsed_files()
    assert spl_lines(spl, DEFAULT_LIMIT) is spl_lines(spl, DEFAULT_LIMIT)  # one read for every rule
    assert _samples_within(spl, DEFAULT_LIMIT * 4) == ["Time,01-01-2024 00:00:00.000,Watts,5.0",
                                                       "Time,01-01-2024 00:00:01.000,Watts,6.0"]  # fmt: skip
    assert _samples_within(spl, 10) is None  # a smaller cap than the file: too large, as before
    forget_parsed_files()


@pytest.mark.parametrize("division", ["closed", "open"])  # open: no audit is required, the log is found by a stat
def test_pe015_reads_every_audit_log_present(tmp_path: Path, division: str) -> None:
    source = require_data("inference-v4.1", "closed", "UntetherAI")
    others = {p.stem for p in (source / "systems").glob("*.json")} - {"r760_u6_slim"}
    root = tmp_path / "tree"
    shutil.copytree(
        source,
        root / division / "UntetherAI",
        ignore=lambda folder, names: [n for n in names if n in others or n.removesuffix(".json") in others],
    )
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    audit_log = "UntetherAI/compliance/r760_u6_slim/resnet50/offline/TEST04/performance/run_1/mlperf_log_detail.txt"
    set_record(root / division / audit_log, "loadgen_version", "3.0 @ 0000000000")
    (hit,) = [f for f in found(root, "PE015") if "TEST04" in f.path]
    assert (hit.path, hit.key, hit.found, hit.fails) == (
        f"{division}/{audit_log}",
        "loadgen_version",
        "3.0 @ 0000000000",
        True,
    )
