"""The fast paths of the accuracy readers give what the exact line-by-line paths give, on real logs and damaged ones.

Detail logs: long lines are located and judged apart, the rest is counted, and the wanted keys are
searched for only when every line is a record; a damaged log goes through the header walk and the
exact search for its first damaged line. Accuracy JSON logs: plain ASCII text is read with one regex
pass instead of a match per line. Each test copies a real published log and damages it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.parsers import accuracy_log, detail_keys
from checker.parsers.detail_keys import DetailKeys, read_detail_keys
from tests.conftest import damaged, require_data

KEYS = frozenset(
    {"effective_test_mode", "effective_accuracy_sample_count", "qsl_reported_total_count", "loadgen_version"}
)
CTUNING_BERT = (
    "inference-v4.1/open/CTuning/results/cm-demo-gfursin-aws-g4dn.4xlarge-nvidia_original-gpu-tensorrt-vdefault-"
    "default_config/bert-99/offline/accuracy"
)
UNTETHER_RESNET = "inference-v4.1/closed/UntetherAI/results/h13_u2_preview/resnet50/offline/accuracy"
ERROR_RECORD = (
    ':::MLLOG {"key": "error_runtime", "value": "query took too long", "time_ms": 1.5, "namespace": '
    '"mlperf::logging", "event_type": "POINT_IN_TIME", "metadata": {"is_error": true, "is_warning": false, '
    '"file": "loadgen.cc", "line_no": 1, "pid": 1, "tid": 1}}'
)
MALFORMED = "not a complete ':::MLLOG {...}' record"
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def real_log(folder: str) -> bytes:
    return (require_data(*folder.split("/")) / "mlperf_log_detail.txt").read_bytes()


def read(tmp_path: Path, data: bytes) -> DetailKeys:
    path = tmp_path / "mlperf_log_detail.txt"
    path.write_bytes(data)
    read_detail_keys.cache_clear()
    return read_detail_keys(path, KEYS)


def exact(tmp_path: Path, data: bytes) -> DetailKeys:
    """The same fields by the exact paths only: the header walk, the exact malformed search, a plain flag find."""
    found = DetailKeys(tmp_path / "mlperf_log_detail.txt")
    detail_keys._walk_header(data, KEYS, found)
    found.malformed = detail_keys._first_malformed(data)
    found.errors = detail_keys._error_records(data, [(0, len(data), False)])
    return found


def fields(log: DetailKeys) -> tuple[object, ...]:
    return log.values, log.lines, log.errors, log.malformed, log.read_error


def qsl_line(lines: list[bytes]) -> int:
    return next(i for i, line in enumerate(lines) if b'"key": "loaded_qsl_set"' in line)


@pytest.mark.parametrize("folder", [CTUNING_BERT, UNTETHER_RESNET])
def test_a_real_log_reads_as_the_exact_walk_reads_it(tmp_path: Path, folder: str) -> None:
    data = real_log(folder)
    log = read(tmp_path, data)
    assert log.malformed is None and log.errors == []
    assert log.values["effective_test_mode"] == "AccuracyOnly" and log.lines["loadgen_version"] == 1
    assert fields(log) == fields(exact(tmp_path, data))


@pytest.mark.parametrize("folder", [CTUNING_BERT, UNTETHER_RESNET])
def test_a_line_cut_short_and_a_garbage_line_are_found(tmp_path: Path, folder: str) -> None:
    lines = real_log(folder).split(b"\n")
    cut = list(lines)
    cut[20] = cut[20][:-7]  # the record loses its closing braces
    assert read(tmp_path, b"\n".join(cut)).malformed == (21, MALFORMED)
    garbage = [*lines[:-3], b"garbage written by a script", *lines[-3:]]
    log = read(tmp_path, b"\n".join(garbage))
    assert log.malformed == (len(lines) - 2, MALFORMED)
    assert (
        log.values["qsl_reported_total_count"] == read(tmp_path, b"\n".join(lines)).values["qsl_reported_total_count"]
    )


@pytest.mark.parametrize("folder", [CTUNING_BERT, UNTETHER_RESNET])
def test_the_loaded_qsl_set_line_damaged_is_found(tmp_path: Path, folder: str) -> None:
    lines = real_log(folder).split(b"\n")
    at = qsl_line(lines)
    broken = list(lines)
    middle = len(broken[at]) // 2
    broken[at] = broken[at][:middle] + b"\n" + broken[at][middle:]  # split in two: the first half is cut short
    assert read(tmp_path, b"\n".join(broken)).malformed == (at + 1, MALFORMED)
    closed = list(lines)
    closed[at] = closed[at][:middle] + b"}\n" + closed[at][middle:]  # ends as a record; the second half starts as none
    assert read(tmp_path, b"\n".join(closed)).malformed == (at + 2, MALFORMED)
    unclosed = list(lines)
    unclosed[at] = unclosed[at][:-2]  # both closing braces lost
    assert read(tmp_path, b"\n".join(unclosed)).malformed == (at + 1, MALFORMED)
    assert fields(read(tmp_path, b"\n".join(unclosed))) == fields(exact(tmp_path, b"\n".join(unclosed)))


@pytest.mark.parametrize("folder", [CTUNING_BERT, UNTETHER_RESNET])
def test_error_records_are_found_in_the_middle_and_on_the_long_line(tmp_path: Path, folder: str) -> None:
    lines = real_log(folder).split(b"\n")
    at = qsl_line(lines)
    lines[at] = lines[at].replace(b'"is_error": false', b'"is_error": true')
    lines.insert(at + 3, ERROR_RECORD.encode())
    log = read(tmp_path, b"\n".join(lines))
    assert log.errors == [
        (at + 1, "loaded_qsl_set", log.errors[0][2]),
        (at + 4, "error_runtime", "query took too long"),
    ]
    assert log.malformed is None
    assert fields(log) == fields(exact(tmp_path, b"\n".join(lines)))


@pytest.mark.parametrize("folder", [CTUNING_BERT, UNTETHER_RESNET])
def test_crlf_line_ends_read_as_before(tmp_path: Path, folder: str) -> None:
    data = real_log(folder).replace(b"\n", b"\r\n")
    log = read(tmp_path, data)
    assert log.malformed is None and log.values["effective_test_mode"] == "AccuracyOnly"
    assert fields(log) == fields(exact(tmp_path, data))


@pytest.mark.parametrize("number", [detail_keys.HEADER_LINES, detail_keys.HEADER_LINES + 1])
def test_a_wanted_key_counts_up_to_the_last_header_line(tmp_path: Path, number: int) -> None:
    lines = real_log(UNTETHER_RESNET).split(b"\n")
    assert len(lines) > detail_keys.HEADER_LINES + 1
    record = next(line for line in lines if b'"key": "effective_test_mode"' in line)
    moved = [line for line in lines if line != record]
    moved.insert(number - 1, record)
    log = read(tmp_path, b"\n".join(moved))
    assert log.lines.get("effective_test_mode") == (number if number <= detail_keys.HEADER_LINES else None)
    assert fields(log) == fields(exact(tmp_path, b"\n".join(moved)))


EDITS = st.lists(
    st.tuples(
        st.floats(0, 1),
        st.sampled_from([b"\n", b"\r\n", b"}", b"x", b"\n\n", b'"is_error": true', b":::MLLOG {", b"", b"\r"]),
        st.integers(0, 40),
    ),
    min_size=1,
    max_size=3,
)


@FUZZ
@given(edits=EDITS, crlf=st.booleans(), folder=st.sampled_from([CTUNING_BERT, UNTETHER_RESNET]))
def test_damaged_logs_read_as_the_exact_walk_reads_them(
    tmp_path: Path, edits: list[tuple[float, bytes, int]], crlf: bool, folder: str
) -> None:
    data = damaged(real_log(folder), edits, crlf)
    assert fields(read(tmp_path, data)) == fields(exact(tmp_path, data))


def test_a_long_line_full_of_quotes_still_finds_the_flag() -> None:
    line = b'"a", ' * 3000 + b'"is_error": true'
    assert detail_keys._quoted_find(line, 0, len(line)) == line.find(b'"is_error": true')
    assert detail_keys._quoted_find(line, 0, len(line) - 1) == -1


# --- accuracy JSON: one regex pass over plain text ---------------------------------------------------------------
def accuracy_text() -> str:
    return (require_data(*CTUNING_BERT.split("/")) / "mlperf_log_accuracy.json").read_text()


def by_lines(text: str) -> tuple[object, ...]:
    """The line-by-line reader, which the plain path must equal."""
    log = accuracy_log.AccuracyLog(Path("x"))
    return summary(log, accuracy_log._read_lines(log, text.strip()))


def plain(text: str) -> tuple[object, ...]:
    log = accuracy_log.AccuracyLog(Path("x"))
    return summary(log, accuracy_log._read_plain(log, text.strip(), accuracy_log.TRUNCATION_MARK in text))


def summary(log: accuracy_log.AccuracyLog, bad_lines: int) -> tuple[object, ...]:
    return list(log.entries.items()), log.records, log.duplicates, log.max_seq_id, bad_lines


def test_the_truncated_real_log_reads_the_same_both_ways() -> None:
    text = accuracy_text()
    assert accuracy_log.TRUNCATION_MARK in text
    assert plain(text) == by_lines(text)
    assert plain(text)[1] > 10


RECORD_LINES = [
    '{ "seq_id" : 1, "qsl_idx" : 2, "data" : "ab" },',
    '{"seq_id": 3, "qsl_idx": 2, "data": "CD", "token_count": 4}',
    '  {"seq_id": 5, "qsl_idx": 11, "data": "ff"}  ,  ',
    '{"seq_id": 5, "qsl_idx": 11, "data": "fg"}',
    '{"seq_id": 6, "qsl_idx": 12, "data": "0A0',
    '{"seq_id": 7, "qsl_idx": 13, "data": "00"},,',
    "[",
    "]",
    "...",
    "",
    " ",
    ",",
    "garbage",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(RECORD_LINES), max_size=8), st.sampled_from(["", "\n", "\n\n...\n\n"]))
def test_plain_text_reads_as_line_by_line(lines: list[str], tail: str) -> None:
    text = "\n".join(lines) + tail
    assert plain(text) == by_lines(text)


def test_text_that_is_not_plain_takes_the_line_by_line_reader() -> None:
    rows = '[\n{"seq_id": 1, "qsl_idx": 2, "data": "AB"},\r\n\t{"seq_id": 2, "qsl_idx": 3, "data": "CD"}\n]'
    log = accuracy_log.parse_accuracy_log_text(Path("x"), rows)
    assert (log.records, log.complete, log.error) == (2, True, None)
    damaged = accuracy_log.parse_accuracy_log_text(Path("x"), rows.replace("CD", "C\u00e9"))
    assert (damaged.records, damaged.error) == (1, "1 line(s) are not LoadGen response records")


@pytest.mark.parametrize("folder", [CTUNING_BERT, UNTETHER_RESNET])
def test_a_memory_mapped_log_reads_as_a_read_one(tmp_path: Path, folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = real_log(folder).split(b"\n")
    lines.insert(30, ERROR_RECORD.encode())
    damaged = list(lines)
    damaged[60] = damaged[60][:-3]
    for data in (b"\n".join(lines), b"\n".join(damaged), b"\n".join(lines).replace(b"\n", b"\r\n")):
        read_bytes = fields(read(tmp_path, data))
        monkeypatch.setattr(detail_keys, "MAP_ABOVE", 1)
        assert fields(read(tmp_path, data)) == read_bytes
        monkeypatch.setattr(detail_keys, "MAP_ABOVE", 64 << 20)
    assert read_bytes[2][0][1] == "error_runtime"


def test_many_long_lines_with_errors_stay_linear(tmp_path: Path) -> None:
    """Thousands of long lines, each an error record: each flag is searched from where the last one ended."""
    value = ",".join(["12345"] * 900)
    line = ERROR_RECORD.replace('"value": "query took too long"', f'"value": [{value}]').encode()
    data = b"\n".join([line] * 2000) + b"\n"
    assert len(line) > detail_keys.LONG_LINE
    log = read(tmp_path, data)
    assert len(log.errors) == 2000 and log.errors[-1][0] == 2000 and log.malformed is None
    assert fields(log) == fields(exact(tmp_path, data))
