"""The one :::MLLOG reader: both official readers' behaviour, and no input that makes it raise."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from checker.parsers.mllog import (
    DETAIL,
    TRAINING,
    Mllog,
    ParseError,
    Record,
    parse_detail_log,
    parse_detail_text,
    parse_file,
    parse_mllog,
    parse_text,
    read_header_value,
)
from checker.parsers.text import read_text

from .conftest import REPO, require_data


def _train(time_ms: str, value: str = "1") -> str:
    return f':::MLLOG {{"time_ms": {time_ms}, "key": "k", "value": {value}, "metadata": {{}}}}\n'


# --- values that used to raise, or to pass --------------------------------------------------------------------


def test_400_digit_time_is_a_parse_error_not_a_traceback() -> None:
    log = parse_text(_train("9" * 400) + _train("5"))
    assert [r.time_ms for r in log.records] == [5.0]
    assert [e.line for e in log.malformed] == [1]
    assert "too large" in log.malformed[0].message and len(log.malformed[0].message) < 100


@pytest.mark.parametrize("time_ms", ["NaN", "Infinity", "-Infinity", '"1e999"', '"nan"', "1e999"])
def test_non_finite_time_is_a_parse_error(time_ms: str) -> None:
    log = parse_text(_train(time_ms))
    assert not log.records and "finite" in log.malformed[0].message


@pytest.mark.parametrize("time_ms", ["true", "null", '"soon"', "[1]", "{}"])
def test_time_that_is_not_a_number_is_a_parse_error(time_ms: str) -> None:
    log = parse_text(_train(time_ms))
    assert not log.records and "not a number" in log.malformed[0].message


@pytest.mark.parametrize("opts", [DETAIL, TRAINING], ids=["detail", "training"])
@pytest.mark.parametrize("value", ["1" * 5000, "[" * 100_000 + "]" * 100_000, '"\\ud800"', "-0", "1e400"])
def test_extreme_values_never_raise(opts: dict, value: str) -> None:
    text = f':::MLLOG {{"key": "k", "value": {value}, "time_ms": 1, "metadata": {{}}}}\n'
    log = parse_mllog(text, **opts)
    assert len(log.records) + len(log.malformed) == 1


def test_lines_that_only_decode_when_joined_are_malformed() -> None:
    """A joined decode of all lines accepted these three edited lines as three valid records."""
    text = (
        ':::MLLOG {"key": "a", "value": [1\n:::MLLOG 2]}\n:::MLLOG {"key": "b", "value": 1}, {"key": "c", "value": 2}\n'
    )
    log = parse_detail_text(Path("x"), text)
    assert not log.values and [m.line for m in log.malformed] == [1, 2, 3]


# --- the two official readers ---------------------------------------------------------------------------------


def test_detail_and_training_options_read_the_same_text_their_own_way() -> None:
    text = (
        "console noise\r"
        'rank 0: :::MLLOG {"time_ms": 1, "key": "a", "value": 1, "metadata": {}}\r\n'
        ':::MLLOG {"time_ms": 2, "key": "b", "value": 2, "metadata": {"is_warning": true}}\n'
        ':::MLLOG {"key": "c", "value": 3}\n'
    )
    detail = parse_detail_text(Path("x"), text)
    assert detail.values == {"b": 2, "c": 3} and detail.line_count == 3
    assert [m.line for m in detail.malformed] == [1]  # the first line holds "noise\r rank 0: ..." with \n only
    training = parse_text(text)
    assert [(r.key, r.line) for r in training.records] == [("a", 2), ("b", 3)]
    assert [m.line for m in training.malformed] == [4] and "metadata" in training.malformed[0].message
    assert [r.key for r in training.warnings] == ["b"]


def test_keep_first_keeps_first_values_and_every_flagged_record() -> None:
    text = (
        ':::MLLOG {"key": "a", "value": 1, "time_ms": 1.5, "metadata": {}}\n'
        ':::MLLOG {"key": "a", "value": 2, "metadata": {"is_error": true}}\n'
        ':::MLLOG {"key": "b", "value": 3, "metadata": {"is_warning": true}}\n'
        ':::MLLOG {"key": "a", "value": 4}\n'
    )
    first = parse_detail_text(Path("x"), text)
    assert first.values == {"a": 1, "b": 3} and first.lines == {"a": 1, "b": 3}
    assert [(r.line, r.value) for r in first.errors] == [(2, 2)] and first.warnings[0].is_warning
    assert [(r.line, r.key, r.time_ms) for r in first.records] == [(1, "a", 1.5), (3, "b", None)]
    assert first.last("a") == first.first("a") and first.value("b") == 3
    every = parse_mllog(text, keep="all")
    assert [r.value for r in every.by_key("a")] == [1, 2, 4] and every.last("a").value == 4
    assert every.values == first.values


def test_whitespace_around_the_json_is_read_as_json_loads_reads_it() -> None:
    text = ':::MLLOG   {"key": "a", "value": 1}  \n  :::MLLOG {"key": "b", "value": 2}\t\n:::MLLOG \xa0{"key": "c"}\n'
    log = parse_detail_text(Path("x"), text)
    assert log.values == {"a": 1, "b": 2} and [m.line for m in log.malformed] == [3]


def test_bulky_provenance_records_are_located_not_decoded() -> None:
    text = (
        ':::MLLOG {"key": "loadgen_file_sha1", "value": {' + '"f": "0",' * 1000 + '"g": "1"}}\n'
        ':::MLLOG {"key": "loadgen_git_log_message", "value": "broken\n'
    )
    log = parse_detail_text(Path("x"), text)
    assert log.lines == {"loadgen_file_sha1": 1} and not log.values and [m.line for m in log.malformed] == [2]


def test_log_built_from_records_offers_both_views() -> None:
    log = Mllog(Path("x"), [Record(3, "a", 1), Record(5, "a", 2, {"is_error": True})])
    assert log.values == {"a": 1} and log.lines == {"a": 3} and [r.line for r in log.errors] == [5]
    assert [r.line for r in log.by_key("a")] == [3, 5] and log.usable


# --- files ------------------------------------------------------------------------------------------------------


def test_missing_file_has_read_error_and_the_readers_kind(tmp_path: Path) -> None:
    missing = tmp_path / "mlperf_log_detail.txt"
    for log in (parse_detail_log(missing), parse_file(missing)):
        assert log.read_error == read_text(missing).error and not log.usable and not log.records
        assert log.read_kind == getattr(read_text(missing), "kind", None)


def test_empty_detail_log_says_so(tmp_path: Path) -> None:
    path = tmp_path / "mlperf_log_detail.txt"
    path.write_text("\n\n")
    assert parse_detail_log(path).read_error == "file is empty"


def test_training_reads_bytes_as_latin1_like_the_official_tool(tmp_path: Path) -> None:
    path = tmp_path / "result_0.txt"
    path.write_bytes(_train("1").replace('"k"', '"\u00e9"').encode("utf-8"))  # valid UTF-8, read byte by byte
    assert parse_file(path).records[0].key == "\u00c3\u00a9"
    path.write_bytes(b"\xff" + _train("1").replace('"k"', '"\u00e9"').encode("latin-1"))  # not UTF-8
    assert parse_file(path).records[0].key == "\u00e9"
    log = parse_detail_log(path)
    assert log.bad_bytes_at == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_read_header_value_never_blocks_or_raises(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_header_value(fifo, "loadgen_version") == (None, None)
    path = tmp_path / "log.txt"
    path.write_text(':::MLLOG {"key": "loadgen_version", "value": "4.1"}\n')
    assert read_header_value(path, "loadgen_version") == ("4.1", 1)
    path.write_text(':::MLLOG {"key": "loadgen_version"]\n')
    assert read_header_value(path, "loadgen_version") == (None, 1)


def test_random_damage_never_raises() -> None:
    base = (
        _train("1")
        + ':::MLLOG {"key": "result_validity", "value": "VALID", "metadata": {"is_error": false}}\n'
        + "\r"
        + _train("2", '{"a": [1, 2.5, null]}')
    )
    rng = random.Random(7)
    alphabet = '{}[]":,\\\r\n 0123456789eE.-+aZ\u00e9\ud800'
    for _ in range(400):
        chars = list(base)
        for _ in range(rng.randint(1, 6)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        text = "".join(chars)
        for opts in (DETAIL, TRAINING):
            log = parse_mllog(text, **opts)
            assert all(isinstance(m, ParseError) for m in log.malformed)
            assert all(r.time_ms is None or isinstance(r.time_ms, float) for r in log.records)


# --- real logs --------------------------------------------------------------------------------------------------


def _naive_detail(path: Path) -> tuple[dict, list]:
    values, errors = {}, []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if line.startswith(":::MLLOG "):
            record = json.loads(line[len(":::MLLOG ") :])
            if record["key"] not in (
                "loadgen_file_sha1",
                "loadgen_git_log_message",
                "loadgen_git_status_message",
                "loaded_qsl_set",
            ):
                values.setdefault(record["key"], record.get("value"))
            if record.get("metadata", {}).get("is_error") is True:
                errors.append((number, record["key"], record.get("value")))
    return values, errors


@pytest.mark.parametrize("kind", ["real", "demo"])
def test_real_detail_logs_read_as_a_naive_reader_reads_them(kind: str) -> None:
    """Every 20th detail log of the v4.1 sample (skips without the data); every detail log of fixtures/ (LoadGen 6)."""
    if kind == "real":
        paths = sorted(require_data("inference-v4.1").rglob("mlperf_log_detail.txt"))[::20]
    else:
        paths = sorted((REPO / "fixtures").rglob("mlperf_log_detail.txt"))
    assert paths
    for path in paths:
        log = parse_detail_log(path)
        values, errors = _naive_detail(path)
        assert log.values == values and [(r.line, r.key, r.value) for r in log.errors] == errors, path
        assert not log.malformed and log.read_error is None


def test_real_training_logs_read_as_the_official_tool_reads_them() -> None:
    paths = sorted(require_data("training-v4.1").rglob("result_*.txt"))[::25]
    assert paths
    for path in paths:
        expected = []
        with path.open(encoding="latin-1") as stream:  # the official tool: text mode, latin-1, last token
            for number, line in enumerate(stream, start=1):
                if ":::MLLOG " in line:
                    rec = json.loads(line[line.rfind(":::MLLOG ") + len(":::MLLOG ") :])
                    expected.append((number, rec["key"], rec["value"], float(rec["time_ms"])))
        log = parse_file(path)
        assert [(r.line, r.key, r.value, r.time_ms) for r in log.records] == expected, path
