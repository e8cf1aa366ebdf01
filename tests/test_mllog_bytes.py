"""LoadGen detail logs read from a file take a fast path (bytes, orjson); it must read exactly what the text path
reads: the same values, lines, flagged records, malformed lines and line count, on real and damaged logs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.parsers.mllog import Mllog, parse_detail_log, parse_detail_text

from .conftest import REPO, data_root

RECORD = (
    ':::MLLOG {{"key": "{key}", "value": {value}, "time_ms": 1.5, "namespace": "mlperf::logging", '
    '"metadata": {{"is_error": {err}, "is_warning": false, "file": "a.cc", "line_no": 1, "pid": 2, "tid": 3}}}}'
)
BULKY = ':::MLLOG {"key": "loaded_qsl_set", "value": [' + ",".join(map(str, range(3000))) + "]}"


def _view(log: Mllog) -> tuple:
    """Everything a rule can see of a parsed detail log (``bad_bytes_at`` needs the file: asserted apart)."""
    return (
        log.values,
        log.lines,
        [(r.line, r.key, r.value, dict(r.metadata), r.time_ms) for r in log.errors],
        [(r.line, r.key, r.value) for r in log.warnings],
        [(m.line, m.message, m.text) for m in log.malformed],
        [(r.line, r.key, r.value, r.time_ms) for r in log.records],
        log.line_count,
        log.read_error,
    )


def _same_both_ways(tmp_path: Path, data: bytes) -> Mllog:
    path = tmp_path / "mlperf_log_detail.txt"
    path.write_bytes(data)
    from_file = parse_detail_log(path)
    if not data.strip():
        assert from_file.read_error == "file is empty"
        return from_file
    from_text = parse_detail_text(path, data.decode("utf-8", errors="replace"))
    if b"\0" not in data and not from_file.read_error:
        assert _view(from_file) == _view(from_text)
    return from_file


@pytest.mark.parametrize(
    "line",
    [
        RECORD.format(key="seed", value="18446744073709551616", err="false"),  # beyond 64 bits: json keeps it exact
        RECORD.format(key="seed", value="-9223372036854775809", err="false"),
        RECORD.format(key="seed", value="12345678901234567890123", err="false"),
        RECORD.format(key="x", value="NaN", err="false"),
        RECORD.format(key="x", value="1e400", err="false"),
        RECORD.format(key="x", value='"\\ud800"', err="false"),
        RECORD.format(key="x", value="1", err="true") + "   ",
        "   " + RECORD.format(key="x", value="1", err="true"),
        ":::MLLOG  " + RECORD.format(key="x", value="2", err="false")[len(":::MLLOG ") :],
        RECORD.format(key="x", value="1", err="false") + " " + RECORD.format(key="y", value="2", err="false"),
        RECORD.format(key="x", value="1", err="false") + "\r",
        ':::MLLOG {"key": 5, "value": 1}',
        ":::MLLOG [1, 2]",
        ':::MLLOG {"key": "loaded_qsl_set", "value": [1, 2]  ',
        ':::MLLOG {"key": "loaded_qsl_set", "value": [1, 2',
        ":::ENDPTS " + RECORD.format(key="e", value="1", err="false")[len(":::MLLOG ") :],
        "garbage",
        "",
    ],
)
def test_edge_lines_read_alike(tmp_path: Path, line: str) -> None:
    first = RECORD.format(key="x", value="0", err="false")
    data = "\n".join([first, BULKY, line, RECORD.format(key="last", value="[1, 2.5]", err="false")]) + "\n"
    _same_both_ways(tmp_path, data.encode())


def test_non_ascii_takes_the_text_path_and_keeps_bad_byte_offsets(tmp_path: Path) -> None:
    data = (RECORD.format(key="x", value='"caf\u00e9"', err="false") + "\n").encode() + b"\xff\n"
    log = _same_both_ways(tmp_path, data)
    assert log.values["x"] == "caf\u00e9"
    assert log.bad_bytes_at == len(data) - 2


def test_repeats_and_flags_follow_loadgen_readers(tmp_path: Path) -> None:
    data = "\n".join(
        [
            RECORD.format(key="a", value="1", err="false"),
            RECORD.format(key="a", value="2", err="false"),
            RECORD.format(key="a", value="3", err="true"),
        ]
    ).encode()
    log = _same_both_ways(tmp_path, data)
    assert log.values == {"a": 1} and [r.line for r in log.errors] == [3] and log.line_count == 3


def _real_logs() -> list[Path]:
    demo = sorted((REPO / "fixtures").rglob("mlperf_log_detail.txt"))
    real = data_root() / "inference-v4.1"
    return demo + (sorted(real.rglob("mlperf_log_detail.txt"))[::7] if real.is_dir() else [])


def test_real_logs_read_alike(tmp_path: Path) -> None:
    logs = _real_logs()
    assert logs
    for path in logs:
        assert _view(parse_detail_log(path)) == _view(parse_detail_text(path, path.read_text())), path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_logs_read_alike(tmp_path: Path, data: st.DataObject) -> None:
    source = sorted((REPO / "fixtures" / "valid").rglob("mlperf_log_detail.txt"))[0].read_bytes()
    raw = bytearray(source[:6000])
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.sampled_from(b'{}[]":,\\\r\n 0123456789eE.-+aZ'))
    _same_both_ways(tmp_path, bytes(raw))
