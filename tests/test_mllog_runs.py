"""The fast path cuts a LoadGen detail log into runs of lines between its bulky records and each run into record
bodies with one split, and checks each run once for numbers orjson may misread: every way a line can sit
in a run (first, last, after a blank or edited line, next to a bulky record) must read exactly as the
line-by-line text path reads it, on hand-made and damaged real logs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.parsers.mllog import parse_detail_log, parse_detail_text

from .conftest import REPO
from .test_mllog_bytes import BULKY, RECORD, _same_both_ways

SHA = ':::MLLOG {"key": "loadgen_file_sha1", "value": {"/a.cc": "' + "0" * 40 + '"}}'


def _rec(key: str, value: str = "1", err: str = "false") -> str:
    return RECORD.format(key=key, value=value, err=err)


@pytest.mark.parametrize(
    "lines",
    [
        [BULKY, _rec("a"), BULKY, _rec("b")],  # a bulky record first, and a repeated one
        [_rec("a"), BULKY, BULKY, _rec("b"), SHA],  # two bulky records in a row, one last
        [_rec("a"), "", "", BULKY, "", _rec("b")],  # blank lines before and after a bulky record
        ["garbage", _rec("a"), "  " + _rec("b"), "x", BULKY, "y", _rec("c")],  # a run that starts off the marker
        [_rec("a"), BULKY + " ", _rec("b"), BULKY[:-1], _rec("c")],  # bulky records not as LoadGen ends them
        [_rec("a") + "\r", BULKY + "\r", _rec("b", err="true") + "\r"],  # CRLF line ends
        [_rec("a", err="true"), _rec("a", err="true"), _rec("a")],  # flagged repeats are all kept
        [':::MLLOG {"key": "lo', BULKY[:40], _rec("lo")],  # lines that start as a bulky record would
        [":::MLLOG " + BULKY, ":::MLLOG", ":::MLLOG ", _rec("a")[:-1], _rec("b")],
        [':::MLLOG {"key": "a", "value": 1}', ':::MLLOG {"key": "b", "metadata": {"is_error": false}}', _rec("c")],
        [':::MLLOG {"key": "w", "metadata": {"is_error": false, "is_warning": true}}', _rec("w"), _rec("d")],
    ],
)
@pytest.mark.parametrize("end", ["\n", "", "\n\n"])
def test_lines_read_alike_wherever_they_sit(tmp_path: Path, lines: list[str], end: str) -> None:
    _same_both_ways(tmp_path, ("\n".join(lines) + end).encode())


@pytest.mark.parametrize(
    "value",
    [
        "18446744073709551615",  # the largest 64-bit unsigned integer: orjson keeps it exact
        "18446744073709551616",  # one more: orjson makes it a float, json keeps it exact
        "-9223372036854775808",
        "-9223372036854775809",
        "1234567890123456789.5",
        "0.12345678901234567891",
        "1e1234567890123456789",
        "01234567890123456789",
        "123456789012345678901234",
        "[10688027786191513374, 99999999999999999999]",
        '"12345678901234567890123"',
        '"thread ID : 140234567890123456789"',  # LoadGen's thread ids: in a string, read alike
        '"x 123456789012345678901234 y"',
        "12345678901234567890123x",
        '"a" 12345678901234567890123',
        '{"12345678901234567890123": 18446744073709551616}',
        '{"a": 18446744073709551616}',
    ],
)
def test_long_numbers_read_alike_in_any_line_of_a_run(tmp_path: Path, value: str) -> None:
    seed = _rec("seed", "10688027786191513374")  # LoadGen's seeds: long, but read alike by both
    data = "\n".join([seed, _rec("a"), BULKY, _rec("b"), _rec("x", value), _rec("c"), BULKY, _rec("x2", value)])
    log = _same_both_ways(tmp_path, data.encode())
    assert log.values["seed"] == 10688027786191513374 and type(log.values["seed"]) is int
    if value == "18446744073709551616":
        assert log.values["x"] == 18446744073709551616 and type(log.values["x"]) is int


@pytest.mark.parametrize("depth", [400, 600, 1010, 1030, 5000])
def test_deep_nesting_reads_alike(tmp_path: Path, depth: int) -> None:
    """orjson reads 1024 levels; json stops at Python's recursion limit: a long body goes json's way."""
    deep = _rec("deep", "[" * depth + "]" * depth)
    log = _same_both_ways(tmp_path, "\n".join([_rec("a"), deep, _rec("b")]).encode())
    assert ("deep" in log.values) is (depth <= 600)


def test_seeds_keep_the_fast_path_and_their_exact_values() -> None:
    path = sorted((REPO / "fixtures" / "valid").rglob("mlperf_log_detail.txt"))[0]
    log = parse_detail_log(path)
    seeds = {k: v for k, v in log.values.items() if k.endswith("_rng_seed")}
    assert seeds and all(type(v) is int for v in seeds.values())
    assert seeds == {k: parse_detail_text(path, path.read_text()).values[k] for k in seeds}


_DAMAGE = b'{}[]":,\\\r\n 0123456789eE.-+aZ'


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damage_near_bulky_records_reads_alike(tmp_path: Path, data: st.DataObject) -> None:
    """Bytes changed, cut or doubled where a run meets a bulky record (its first and last bytes)."""
    source = sorted((REPO / "fixtures" / "valid").rglob("mlperf_log_detail.txt"))[0].read_bytes()
    edges = [at for key in (b"loadgen_file_sha1", b"loaded_qsl_set") for at in _edges(source, key)]
    raw = bytearray(source)
    for _ in range(data.draw(st.integers(1, 6))):
        at = min(max(data.draw(st.sampled_from(edges)) + data.draw(st.integers(-12, 12)), 0), len(raw) - 1)
        how = data.draw(st.sampled_from(["set", "cut", "double"]))
        if how == "set":
            raw[at] = data.draw(st.sampled_from(_DAMAGE))
        elif how == "cut":
            del raw[at]
        else:
            raw[at:at] = raw[at : at + 1]
    _same_both_ways(tmp_path, bytes(raw))


def _edges(source: bytes, key: bytes) -> list[int]:
    """Where the line of a bulky record starts and ends (the byte before its line break)."""
    start = source.index(b':::MLLOG {"key": "' + key)
    return [start, start + 9, start + 20, source.index(b"\n", start) - 1, source.index(b"\n", start)]


def test_real_logs_never_take_the_line_by_line_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line of a LoadGen log, seeds and thread ids included, is read by the fast path (the cost it saves)."""
    import checker.parsers.mllog_lines as lines

    def refuse(*args: object) -> None:
        raise AssertionError(f"line {args[1]} went the reference way")

    paths = sorted((REPO / "fixtures" / "valid").rglob("mlperf_log_detail.txt"))
    monkeypatch.setattr(lines, "_parse_line", refuse)
    logs = [parse_detail_log(path) for path in paths]
    assert all(log.values and not log.malformed for log in logs)
