"""Corrupted real inputs end in findings, never in a traceback (hypothesis).

Real files of a small submission (ConnectTechInc, gptj-99 Offline; and the bundled demo tree's digits Offline,
written by real LoadGen) are truncated, given invalid UTF-8, lose or repeat lines, get values of the wrong type or
lose keys. Each corrupted file is written into one writable copy of the submission and the whole engine runs
in-process against the tree's round. When the corruption is one a checker must notice, an error-level finding for
that file must exist. Every test runs on both trees; the real one is skipped without the shared data.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.engine import Report
from checker.parsers.accuracy import parse_accuracy_text
from checker.parsers.conf import parse_conf_text
from checker.parsers.jsonfile import parse_json_text
from checker.parsers.mllog import parse_detail_text
from checker.parsers.summary import parse_summary_text
from tests import trees
from tests.conftest import require_data
from tests.mutate import add_record, set_record
from tests.trees import DEMO_RULES, VALID, Tree

tree = trees.tree  # the real ConnectTechInc copy (v4.1) and the demo copy (demo round)

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PARSE_FUZZ = settings(max_examples=60, deadline=None)

# The two trees' relative paths, for the parser tests that read a pristine file and need no copy.
LAYOUTS = {
    "real": Tree("real", Path(), "closed", "ConnectTechInc", "Orin_TRT", "gptj-99", "v4.1", None),
    "demo": Tree("demo", Path(), "closed", "SubcheckDemo", "demo_cpu_numpy", "digits", "demo", DEMO_RULES),
}
BAD_BYTES = [b"\xff", b"\xfe", b"\x80", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x28\x8c\x28"]
# Records of an Offline detail log that a rule judges: any wrong value or absence must be reported.
JUDGED_KEYS = frozenset(
    {
        "result_validity",
        "effective_scenario",
        "effective_test_mode",
        "effective_qsl_rng_seed",
        "effective_sample_index_rng_seed",
        "effective_schedule_rng_seed",
        "effective_min_duration_ms",
        "effective_min_query_count",
        "result_query_count",
        "effective_performance_sample_count",
        "effective_samples_per_query",
    }
)


@functools.cache
def pristine(kind: str, rel: str) -> bytes:
    """Bytes of one file of the shared v4.1 data (skips when absent) or of fixtures/valid, read once per process."""
    base = require_data("inference-v4.1") if kind == "real" else VALID
    return (base / rel).read_bytes()


def _result(tree: Tree) -> str:
    return f"{tree.results}/Offline"


def check(tree: Tree) -> Report:
    """All inference rules on the tree, against its round: the run must finish and no rule may crash."""
    result = tree.report()
    crashed = [f.to_record() for f in result.findings if f.code == "EN001"]
    assert not crashed
    return result


def errors_under(result: Report, prefix: str) -> list[str]:
    return [f.code for f in result.findings if f.fails and f.path.startswith(prefix)]


def _wrong_type(value: Any) -> st.SearchStrategy[Any]:
    """Values LoadGen never writes for a record of this value's type."""
    if isinstance(value, bool):
        return st.sampled_from(["yes", 1, None, [value], {"v": value}])
    if isinstance(value, (int, float)):
        return st.sampled_from(["N/A", "", None, True, [value], {"v": value}, "fast"])
    if isinstance(value, str):
        return st.sampled_from([0, 1.5, None, True, [value], {"v": value}])
    return st.sampled_from(["N/A", 0, None])


# --- detail log ---------------------------------------------------------------------------------------------
def _key(line: bytes) -> str | None:
    try:
        return json.loads(line.decode()[len(":::MLLOG ") :]).get("key")
    except ValueError:
        return None


@st.composite
def corrupted_detail(draw: st.DrawFn, tree: Tree) -> tuple[str, bytes, bool]:
    """(operation, new bytes, must the checker notice?) for the tree's Offline detail log."""
    raw = pristine(tree.kind, tree.perf_detail())
    lines = raw.split(b"\n")
    op = draw(st.sampled_from(["truncate", "bad_bytes", "delete_lines", "duplicate", "wrong_type", "drop_field"]))
    if op == "truncate":
        offset = draw(st.integers(0, len(raw) - 1))
        validity_start = raw.index(b':::MLLOG {"key": "result_validity"')
        mid_line = raw[offset - 1 : offset] != b"\n" and raw[offset : offset + 1] != b"\n"
        return op, raw[:offset], offset == 0 or mid_line or offset <= validity_start
    if op == "bad_bytes":
        offset = draw(st.integers(0, len(raw) - 1))
        return op, raw[:offset] + draw(st.sampled_from(BAD_BYTES)) + raw[offset + 1 :], True
    records = [i for i, line in enumerate(lines) if line.startswith(b":::MLLOG")]
    if op == "delete_lines":
        gone = draw(st.sets(st.sampled_from(records), min_size=1, max_size=5))
        kept = [line for i, line in enumerate(lines) if i not in gone]
        return op, b"\n".join(kept), any(_key(lines[i]) in JUDGED_KEYS for i in gone)
    if op == "duplicate":
        source, target = draw(st.sampled_from(records)), draw(st.integers(0, len(lines)))
        copy = list(lines)
        copy.insert(target, lines[source])
        return op, b"\n".join(copy), False
    index = draw(st.sampled_from(records))
    record = json.loads(lines[index].decode()[len(":::MLLOG ") :])
    if op == "wrong_type":
        record["value"] = draw(_wrong_type(record["value"]))
        must = record["key"] in JUDGED_KEYS
    else:
        dropped = draw(st.sampled_from(["key", "value", "metadata"]))
        del record[dropped]
        must = dropped == "key" or (dropped == "value" and record["key"] in JUDGED_KEYS)
    copy = list(lines)
    copy[index] = b":::MLLOG " + json.dumps(record).encode()
    return op, b"\n".join(copy), must


@FUZZ
@given(draw=st.data())
def test_corrupted_detail_log_ends_in_findings(tree: Tree, draw: st.DataObject) -> None:
    op, data, must_notice = draw.draw(corrupted_detail(tree))
    tree.path(tree.perf_detail()).write_bytes(data)
    result = check(tree)
    if must_notice:
        assert errors_under(result, _result(tree)), op


# --- summary log --------------------------------------------------------------------------------------------
@st.composite
def corrupted_summary(draw: st.DrawFn, tree: Tree) -> tuple[str, bytes, bool]:
    raw = pristine(tree.kind, tree.perf_summary())
    lines = raw.split(b"\n")
    op = draw(st.sampled_from(["truncate", "bad_bytes", "delete_lines", "duplicate", "validity"]))
    if op == "truncate":
        return op, raw[: draw(st.integers(0, len(raw) - 1))], False
    if op == "bad_bytes":
        offset = draw(st.integers(0, len(raw) - 1))
        return op, raw[:offset] + draw(st.sampled_from(BAD_BYTES)) + raw[offset + 1 :], False
    if op == "delete_lines":
        gone = draw(st.sets(st.integers(0, len(lines) - 1), min_size=1, max_size=8))
        return op, b"\n".join(line for i, line in enumerate(lines) if i not in gone), False
    if op == "duplicate":
        copy = list(lines)
        copy.insert(draw(st.integers(0, len(lines))), lines[draw(st.integers(0, len(lines) - 1))])
        return op, b"\n".join(copy), False
    verdict = draw(st.sampled_from(["INVALID", "valid", "VALID?", "N/A"]))
    return op, raw.replace(b"Result is : VALID", b"Result is : " + verdict.encode()), True


@FUZZ
@given(draw=st.data())
def test_corrupted_summary_log_ends_in_findings(tree: Tree, draw: st.DataObject) -> None:
    op, data, must_notice = draw.draw(corrupted_summary(tree))
    tree.path(tree.perf_summary()).write_bytes(data)
    result = check(tree)
    if must_notice:
        assert "PE017" in errors_under(result, tree.perf_summary()), op


# --- system description -------------------------------------------------------------------------------------
def _valid_count(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and value.strip().isdigit()


def _system_must_fail(tree: Tree, data: bytes) -> bool:
    """An oracle for the corruptions below: what the SY rules must report on the tree's system description."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except ValueError:
        return True
    if not isinstance(doc, dict):
        return True
    original = json.loads(pristine(tree.kind, tree.system))
    rules = tree.rules()["system_description"]
    if any(name not in doc for name in rules["required_fields"]):
        return True
    if any(not _valid_count(doc[name]) for name in rules["integer_fields"]):
        return True
    if any(doc[name] in (None, "") for name in rules["nonempty_fields"] if name in doc):
        return True
    return any(doc.get(name) != original[name] for name in ("status", "system_type", "submitter", "division"))


@st.composite
def corrupted_system(draw: st.DrawFn, tree: Tree) -> tuple[str, bytes]:
    raw = pristine(tree.kind, tree.system)
    op = draw(st.sampled_from(["truncate", "bad_bytes", "delete_lines", "duplicate", "wrong_type", "drop_keys"]))
    if op == "truncate":
        return op, raw[: draw(st.integers(0, len(raw) - 1))]
    if op == "bad_bytes":
        offset = draw(st.integers(0, len(raw) - 1))
        return op, raw[:offset] + draw(st.sampled_from(BAD_BYTES)) + raw[offset + 1 :]
    lines = raw.split(b"\n")
    if op == "delete_lines":
        gone = draw(st.sets(st.integers(0, len(lines) - 1), min_size=1, max_size=4))
        return op, b"\n".join(line for i, line in enumerate(lines) if i not in gone)
    if op == "duplicate":
        copy = list(lines)
        copy.insert(draw(st.integers(0, len(lines))), lines[draw(st.integers(0, len(lines) - 1))])
        return op, b"\n".join(copy)
    data = json.loads(raw)
    keys = draw(st.lists(st.sampled_from(sorted(data)), min_size=1, max_size=3, unique=True))
    for key in keys:
        if op == "drop_keys":
            del data[key]
        else:
            data[key] = draw(_wrong_type(data[key]))
    return op, json.dumps(data, indent=4).encode()


@FUZZ
@given(draw=st.data())
def test_corrupted_system_json_ends_in_findings(tree: Tree, draw: st.DataObject) -> None:
    op, data = draw.draw(corrupted_system(tree))
    tree.path(tree.system).write_bytes(data)
    result = check(tree)
    if _system_must_fail(tree, data):
        assert errors_under(result, tree.system), op
        assert result.exit_code == 1


# --- parsers on arbitrary text ------------------------------------------------------------------------------
def _real_text(kind: str, rel: str) -> st.SearchStrategy[str]:
    """Real lines of a file, shuffled, cut and mixed with arbitrary text."""
    lines = pristine(kind, rel).decode("utf-8", errors="replace").splitlines()
    piece = st.one_of(st.sampled_from(lines), st.text(max_size=80))
    cut = st.tuples(piece, st.integers(0, 200)).map(lambda p: p[0][: p[1]])
    return st.lists(st.one_of(piece, cut), max_size=30).map("\n".join)


ANY_TEXT = st.text(max_size=400)


def _texts(kind: str, rel: str) -> st.SearchStrategy[str]:
    return st.one_of(ANY_TEXT, _real_text(kind, rel))


KINDS = pytest.mark.parametrize("kind", ["real", "demo"])


@KINDS
@PARSE_FUZZ
@given(draw=st.data())
def test_detail_parser_never_raises(kind: str, draw: st.DataObject) -> None:
    text = draw.draw(_texts(kind, LAYOUTS[kind].perf_detail()))
    log = parse_detail_text(Path("x"), text)
    # lines are counted as editors and LoadGen do: separated by "\n" only
    assert log.line_count == text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    assert all(isinstance(bad.line, int) for bad in log.malformed)


@KINDS
@PARSE_FUZZ
@given(draw=st.data())
def test_summary_parser_never_raises(kind: str, draw: st.DataObject) -> None:
    text = draw.draw(_texts(kind, LAYOUTS[kind].perf_summary()))
    log = parse_summary_text(Path("x"), text)
    assert all(isinstance(v, str) for v in log.fields.values())
    for name in log.fields:
        log.number(name)


@KINDS
@PARSE_FUZZ
@given(draw=st.data())
def test_json_parser_never_raises(kind: str, draw: st.DataObject) -> None:
    text = draw.draw(_texts(kind, LAYOUTS[kind].system))
    doc = parse_json_text(Path("x"), text)
    assert doc.ok == (doc.error is None)
    assert doc.data is None or isinstance(doc.data, dict)


@KINDS
@PARSE_FUZZ
@given(draw=st.data())
def test_conf_parser_never_raises(kind: str, draw: st.DataObject) -> None:
    layout = LAYOUTS[kind]
    text = draw.draw(_texts(kind, f"{layout.measurements()}/mlperf.conf"))
    conf = parse_conf_text(Path("x"), text)
    conf.lookup("sample_concatenate_permutation", "gptj" if layout.real else layout.benchmark, "Offline")


@KINDS
@PARSE_FUZZ
@given(draw=st.data())
def test_accuracy_parser_never_raises(kind: str, draw: st.DataObject) -> None:
    layout = LAYOUTS[kind]
    text = draw.draw(_texts(kind, f"{_result(layout)}/accuracy/accuracy.txt"))
    rules = layout.rules()
    parsed = parse_accuracy_text(Path("x"), text, rules["accuracy_patterns"], rules["accuracy_hash_pattern"])
    for metric, found in parsed.values.items():
        assert metric in rules["accuracy_patterns"]
        assert all(isinstance(number, int) and isinstance(value, float) for number, value in found)


# --- bugs found by fuzzing (pinned; the checker code is not changed here) -----------------------------------
HUGE_INT = "1" * 5000  # Python refuses to convert integer strings above 4300 digits (a plain ValueError)
DEEP = "[" * 100000


def test_detail_parser_huge_integer() -> None:
    log = parse_detail_text(Path("x"), ':::MLLOG {"key": "result_query_count", "value": ' + HUGE_INT + "}")
    assert log.malformed and log.malformed[0].line == 1


def test_engine_huge_integer_in_detail_log(tree: Tree) -> None:
    path = tree.path(tree.perf_detail())
    path.write_text(path.read_text() + ':::MLLOG {"key": "x", "value": ' + HUGE_INT + "}\n")
    assert errors_under(check(tree), tree.perf_detail())


@pytest.mark.parametrize("parser", ["detail", "json"])
def test_parsers_deep_nesting(parser: str) -> None:
    if parser == "detail":
        parse_detail_text(Path("x"), ':::MLLOG {"key": "result_validity", "value": ' + DEEP + "}")
    else:
        parse_json_text(Path("x"), '{"a": ' + DEEP + "}")


def test_engine_deeply_nested_system_json(tree: Tree) -> None:
    tree.path(tree.system).write_text(DEEP)
    assert "SY001" in errors_under(check(tree), tree.system)


def test_engine_inferred_offline_subnormal_latency(tree: Tree) -> None:
    detail = tree.path(tree.perf_detail())
    set_record(detail, "effective_scenario", "MultiStream")
    add_record(detail, "result_mean_query_latency_ns", 5e-324)
    assert errors_under(check(tree), tree.perf_detail())


def test_summary_parser_long_blank_line_is_fast() -> None:
    """A pattern that backtracks on blanks would take seconds; CPU time, not wall time, so a busy CI machine that
    preempts the test cannot fail it."""
    started = time.process_time()
    parse_summary_text(Path("x"), " " * 1000 + "x")
    assert time.process_time() - started < 0.05
