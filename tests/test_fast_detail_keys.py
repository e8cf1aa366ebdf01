"""The detail-log fast path (lines cut with memchr and compared in C, huge lines judged by their ends) gives what
the exact paths give: the header walk, the search for the first damaged line and a plain search for error flags.

Each test copies a real published accuracy detail log, damages it and compares every field: the values and
lines of the wanted keys, the error records with their line numbers, the first damaged line and the read error.
The size above which a line counts as huge and the size of the groups of lines are lowered in some tests, so
that the real logs' ``loaded_qsl_set`` lines (a few KB) and their line groups go through every branch.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.parsers import detail_keys
from checker.parsers.detail_keys import DetailKeys, read_detail_keys
from tests.conftest import damaged, require_data

KEYS = frozenset(
    {"effective_test_mode", "effective_accuracy_sample_count", "qsl_reported_total_count", "loadgen_version"}
)
RESULTS = "inference-v4.1/{}/accuracy"
KRAI = RESULTS.format("open/Krai/results/7920t-kilt-onnxruntime_cpu/resnet50/offline")  # 644 lines, 49 of ~6 KB
UNTETHER = RESULTS.format("closed/UntetherAI/results/h13_u2_preview/resnet50/offline")  # 405 lines
DLRM = RESULTS.format(  # 68 lines, one loaded_qsl_set line of megabytes
    "open/NeuralMagic/results/GO_Intel_SPR-intel-cpu-pytorch-vdefault-default_config/dlrm-v2-99/offline"
)
LOGS = [KRAI, UNTETHER, DLRM]
RECORD = (
    ':::MLLOG {{"key": "{key}", "value": {value}, "time_ms": 1.5, "namespace": "mlperf::logging", "event_type": '
    '"POINT_IN_TIME", "metadata": {{"is_error": {error}, "is_warning": false, "file": "loadgen.cc", "line_no": 1, '
    '"pid": 1, "tid": 1}}}}'
)
ERROR = RECORD.format(key="error_runtime", value='"query took too long"', error="true").encode()
MODE = RECORD.format(key="effective_test_mode", value='"PerformanceOnly"', error="false").encode()
QSL = RECORD.format(key="loaded_qsl_set", value="[" + ",".join(["4095"] * 3000) + "]", error="false").encode()
FLAG = b'"is_error": true'
PIECES = [
    b"\n", b"\r\n", b"\r", b"}", b"x", b"\n\n", b"\xff", FLAG, b":::MLLOG {", b":::MLLOG [", b":::MLLOG |",
    b":::MLLOG", b"", b"\n" + ERROR + b"\n", b"\n" + MODE + b"\n", b"\n" + MODE[:-9] + b"\n", b"\n" + QSL + b"\n",
    b"\n" + QSL.replace(b"false", b"true") + b"\n", b"\r\n\r\n",
]  # fmt: skip
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@cache
def real_log(folder: str) -> bytes:
    return (require_data(*folder.split("/")) / "mlperf_log_detail.txt").read_bytes()


def fast(tmp_path: Path, data: bytes) -> DetailKeys:
    path = tmp_path / "mlperf_log_detail.txt"
    path.write_bytes(data)
    return read_detail_keys.__wrapped__(path, KEYS)  # type: ignore[attr-defined]


def exact(data: bytes) -> tuple[object, ...]:
    """The exact paths only: the header walk, the exact search for a damaged line, one plain search for flags."""
    found = DetailKeys(Path("x"))
    detail_keys._walk_header(data, KEYS, found)
    found.malformed = detail_keys._first_malformed(data)
    found.errors = detail_keys._error_records(data, [(0, len(data), False)])
    return fields(found)


def fields(log: DetailKeys) -> tuple[object, ...]:
    return list(log.values.items()), list(log.lines.items()), log.errors, log.malformed, log.read_error


def took_fast_path(data: bytes) -> bool:
    return detail_keys._record_lines(data, KEYS, detail_keys._spans(data, detail_keys.HUGE_LINE)) is not None


@pytest.mark.parametrize("folder", LOGS)
@pytest.mark.parametrize("huge", [256, 4096, detail_keys.HUGE_LINE])
@pytest.mark.parametrize("chunk", [700, detail_keys._CHUNK])
def test_a_real_log_takes_the_fast_path_and_reads_as_the_exact_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str, huge: int, chunk: int
) -> None:
    monkeypatch.setattr(detail_keys, "HUGE_LINE", huge)
    monkeypatch.setattr(detail_keys, "_CHUNK", chunk)
    data = real_log(folder)
    assert took_fast_path(data)
    log = fast(tmp_path, data)
    assert log.values["effective_test_mode"] == "AccuracyOnly" and log.lines["loadgen_version"] == 1
    assert log.malformed is None and log.errors == []
    assert fields(log) == exact(data)


@FUZZ
@given(
    edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(PIECES), st.integers(0, 40)), min_size=1, max_size=4),
    crlf=st.booleans(),
    folder=st.sampled_from(LOGS),
    huge=st.sampled_from([256, 4096, detail_keys.HUGE_LINE]),
    chunk=st.sampled_from([700, 5000, detail_keys._CHUNK]),
)
def test_damaged_logs_read_as_the_exact_paths_read_them(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edits: list[tuple[float, bytes, int]],
    crlf: bool,
    folder: str,
    huge: int,
    chunk: int,
) -> None:
    monkeypatch.setattr(detail_keys, "HUGE_LINE", huge)
    monkeypatch.setattr(detail_keys, "_CHUNK", chunk)
    data = damaged(real_log(folder), edits, crlf)
    assert fields(fast(tmp_path, data)) == exact(data)


def lines_of(folder: str) -> list[bytes]:
    return real_log(folder).split(b"\n")


def long_lines(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if len(line) >= 4096]


@pytest.mark.parametrize("folder", LOGS)
@pytest.mark.parametrize("huge", [256, detail_keys.HUGE_LINE])
def test_error_records_beside_and_on_long_lines_are_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str, huge: int
) -> None:
    monkeypatch.setattr(detail_keys, "HUGE_LINE", huge)
    lines = lines_of(folder)
    first, last = long_lines(lines)[0], long_lines(lines)[-1]
    lines[last] = lines[last].replace(b'"is_error": false', b'"is_error": true')
    for at in (last + 1, last, first + 1, first, len(lines) // 2):  # after, before and between the long lines
        lines.insert(at, ERROR)
    data = b"\n".join(lines)
    assert took_fast_path(data)
    log = fast(tmp_path, data)
    assert len(log.errors) == 6 and {key for _, key, _ in log.errors} == {"error_runtime", "loaded_qsl_set"}
    assert fields(log) == exact(data)


@pytest.mark.parametrize("offset", [-17, -16, -15, -8, -1, 0, 1])
@pytest.mark.parametrize("boundary", [4096, 8192, 1 << 16])
def test_a_flag_across_a_window_boundary_of_a_huge_line_is_found(tmp_path: Path, offset: int, boundary: int) -> None:
    lines = lines_of(DLRM)
    at = max(range(len(lines)), key=lambda i: len(lines[i]))
    line = lines[at]
    assert len(line) > detail_keys.HUGE_LINE + boundary
    start = len(b"\n".join(lines[:at])) + 1  # where the huge line starts in the log
    cut = boundary - (start % boundary) + offset  # the flag starts ``offset`` bytes from a window boundary
    lines[at] = line[:cut] + FLAG + line[cut + len(FLAG) :]
    data = b"\n".join(lines)
    log = fast(tmp_path, data)
    assert [(number, key) for number, key, _ in log.errors] in ([], [(at + 1, "loaded_qsl_set")])
    assert fields(log) == exact(data)


@pytest.mark.parametrize("folder", [KRAI, DLRM])
def test_a_huge_line_cut_short_or_run_into_the_next_is_found(tmp_path: Path, folder: str) -> None:
    lines = lines_of(folder)
    at = long_lines(lines)[-1]
    for broken, line in (
        (lines[at][:-2], at + 1),  # both closing braces lost
        (lines[at] + b"x", at + 1),
        (lines[at][:200] + b"\n" + lines[at][200:], at + 1),  # split: the first part is cut short
        (lines[at][:200] + b"}\n" + lines[at][200:], at + 2),  # split after a brace: the second part is no record
    ):
        data = b"\n".join([*lines[:at], broken, *lines[at + 1 :]])
        log = fast(tmp_path, data)
        assert log.malformed == (line, "not a complete ':::MLLOG {...}' record")
        assert fields(log) == exact(data)


@pytest.mark.parametrize("trailer", [b"", b"\n", b"\r\n", b"\n\n\r\n", b"\r", b"\n\r"])
@pytest.mark.parametrize("chunk", [700, detail_keys._CHUNK])
def test_trailing_line_breaks_read_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trailer: bytes, chunk: int
) -> None:
    monkeypatch.setattr(detail_keys, "_CHUNK", chunk)
    data = real_log(KRAI).rstrip(b"\r\n") + trailer
    assert took_fast_path(data)
    assert fields(fast(tmp_path, data)) == exact(data)


@pytest.mark.parametrize("huge", [256, detail_keys.HUGE_LINE])
def test_wanted_keys_are_taken_from_the_header_in_line_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, huge: int
) -> None:
    """A key line that does not decode is passed over; one after the header is not taken; one may be huge."""
    monkeypatch.setattr(detail_keys, "HUGE_LINE", huge)
    lines = [line for line in lines_of(KRAI) if b'"key": "effective_test_mode"' not in line]
    huge_mode = MODE.replace(b'"time_ms"', b'"padding": "' + b"p" * 5000 + b'", "time_ms"')
    broken = MODE.replace(b'"PerformanceOnly"', b"")  # a whole line, but no JSON
    lines[30:30] = [broken, huge_mode, MODE]  # lines 31 (no value), 32 (the value, a huge line), 33
    lines.insert(detail_keys.HEADER_LINES + 5, RECORD.format(key="effective_accuracy_sample_count", value=1,
                                                             error="false").encode())  # fmt: skip
    data = b"\n".join(lines)
    assert took_fast_path(data)
    log = fast(tmp_path, data)
    assert log.lines["effective_test_mode"] == 32 and log.values["effective_test_mode"] == "PerformanceOnly"
    assert "effective_accuracy_sample_count" not in log.values
    assert fields(log) == exact(data)


def test_lines_that_sort_beside_the_marker_are_not_records(tmp_path: Path) -> None:
    """The least and greatest line must both start with the marker: text just below or above it is caught."""
    lines = lines_of(UNTETHER)
    for intruder in (b":::MLLOG", b":::MLLOG z", b":::MLLOG {", b":::MLLOG [}", b":::MLLOG |}", b"::;"):
        data = b"\n".join([*lines[:50], intruder, *lines[50:]])
        assert not took_fast_path(data)
        log = fast(tmp_path, data)
        assert log.malformed == (51, "not a complete ':::MLLOG {...}' record")
        assert fields(log) == exact(data)
