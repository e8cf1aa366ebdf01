"""One failing case per training rule, each a mutated copy of a real v4.1 log folder, and the passing case.

The passing case for every rule is the untouched fixture (``test_clean_fixture_passes_every_rule``);
``test_every_rule_has_cases`` keeps the table complete as rules are added.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from checker.engine import Selection
from checker.findings import Severity
from checker.training.run import training_rules

from .harness import (
    DELETE,
    bench_dir,
    chain,
    drop,
    duplicate,
    edit,
    edit_json,
    findings,
    insert_after,
    logs,
    move_before,
    run,
    set_field,
    system_json,
)

ERR, WARN, NOTE = Severity.ERROR, Severity.WARNING, Severity.NOTICE
EVAL_PASS = (
    ':::MLLOG {"namespace": "", "time_ms": 1728547105999, "event_type": "POINT_IN_TIME", '
    '"key": "eval_accuracy", "value": 2.65, "metadata": {"epoch_num": 1258291200}}'
)


def _logs(fn: Callable[[list[str]], list[str]], runs: tuple[int, ...] = (0, 1, 2)) -> Callable[[Path], None]:
    return lambda root: edit(logs(root, runs), fn)


def _write(rel: str, text: str) -> Callable[[Path], None]:
    def fn(root: Path) -> None:
        path = bench_dir(root) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    return fn


def _json(fn: Callable[[dict], None]) -> Callable[[Path], None]:
    return lambda root: edit_json(system_json(root), fn)


def _seeds_equal(root: Path) -> None:
    edit(logs(root), set_field("seed", 1111))


def _init_late(root: Path) -> None:
    def fn(lines: list[str]) -> list[str]:
        start = json.loads(lines[1].split(":::MLLOG ", 1)[1])["time_ms"]
        late = start + 31 * 60000
        lines = set_field("init_stop", late, "time_ms")(lines)
        lines = set_field("run_start", late, "time_ms")(lines)
        return lines

    edit(logs(root), fn)


def _faster(root: Path) -> None:
    edit(logs(root), set_field("eval_accuracy", lambda v: v * 0.5, "metadata.epoch_num", nth=None))


def _target_after_stop(root: Path) -> None:
    edit(logs(root), chain(set_field("eval_accuracy", 2.75, nth=None), insert_after("run_stop", EVAL_PASS)))


CASES: list[tuple[str, Callable[[Path], None], Severity]] = [
    ("TL001", _logs(insert_after("run_start", ':::MLLOG {"key": "broken"')), ERR),
    ("TL002", _logs(drop("opt_adam_beta_1")), ERR),
    ("TL003", _logs(duplicate("submission_org")), WARN),
    ("TL004", _logs(set_field("opt_name", "sgd")), ERR),
    ("TL005", _logs(set_field("run_stop", DELETE, "metadata.status")), ERR),
    ("TL006", _logs(move_before("run_start", "init_stop")), ERR),
    ("TL007", _init_late, ERR),
    ("TL008", _logs(set_field("eval_accuracy", 3.0, nth=None)), ERR),
    ("TL009", _logs(set_field("submission_benchmark", "resnet")), ERR),
    ("TP001", lambda root: (bench_dir(root) / "result_2.txt").unlink(), ERR),
    ("TP002", lambda root: bench_dir(root).rename(bench_dir(root).with_name("resnet")), ERR),
    ("TP003", _logs(drop("run_stop"), runs=(0, 1)), ERR),
    ("TP004", _logs(drop("seed"), runs=(1,)), ERR),
    ("TP005", _seeds_equal, ERR),
    ("TP006", _write("notes.txt", "hello"), WARN),
    ("TP007", _logs(set_field("submission_division", "open")), ERR),
    ("TP008", _write("package_checker_params", "rcp-bypass\n"), WARN),
    ("TP009", lambda root: system_json(root).unlink(), ERR),
    ("TP010", lambda root: shutil.rmtree(system_json(root).parent), ERR),
    ("TS001", lambda root: system_json(root).write_text('{"division": "closed",'), ERR),
    ("TS002", _json(lambda d: d.pop("cooling")), ERR),
    ("TS003", _json(lambda d: d.update(number_of_nodes="512 nodes")), ERR),
    ("TS004", lambda root: shutil.copy(system_json(root), system_json(root).with_name("unused.json")), NOTE),
    ("TR001", _faster, ERR),
    ("TR002", _logs(set_field("global_batch_size", 16384)), ERR),
    ("TR003", _logs(set_field("global_batch_size", 2048), runs=(1,)), ERR),
    ("TR005", _write("scaling.json", '{"scaling_factor": 1.05}'), ERR),
    ("TR006", _logs(set_field("eval_accuracy", DELETE, "metadata.epoch_num", nth=-1), runs=(2,)), WARN),
    ("TX001", _logs(set_field("run_stop", 1728545465000, "time_ms")), ERR),
    ("TX002", _logs(duplicate("run_stop")), ERR),
    ("TX003", _logs(insert_after("run_stop", EVAL_PASS)), ERR),
    ("TX004", _target_after_stop, ERR),
    ("TX005", _logs(set_field("run_stop", "aborted", "metadata.status")), ERR),
    ("TX006", _logs(set_field("global_batch_size", 0)), ERR),
    ("TC001", _logs(drop("run_stop"), runs=(0, 1)), ERR),
    ("TC002", _write("scaling.json", '{"factor": 1.05}'), ERR),
]

# Rules whose failing case needs data the fixture cannot produce; they are covered in test_rule_extra.py
# (TR004) and test_power.py (TE: the fixture has no power logs until a test writes them).
ELSEWHERE = {"TR004", "TE001", "TE002", "TE003", "TE004", "TE005"}


@pytest.mark.parametrize(("code", "mutate", "severity"), CASES, ids=[c[0] for c in CASES])
def test_rule_fails_on_mutated_log(tree: Path, code: str, mutate: Callable[[Path], None], severity: Severity) -> None:
    mutate(tree)
    report = run(tree)
    got = findings(report, code)
    assert got, f"{code} did not fire; got {[(f.code, f.message) for f in report.findings]}"
    assert {f.severity for f in got} == {severity}
    assert not any(f.code == "EN001" for f in report.findings)


def test_clean_fixture_passes_every_rule(tree: Path) -> None:
    report = run(tree)
    assert report.findings == []
    assert len(report.rows) == 1 and report.rows[0]["score"] is not None


def test_every_rule_has_cases() -> None:
    codes = set(training_rules())
    covered = {c for c, _, _ in CASES} | ELSEWHERE
    assert codes == covered
    for r in training_rules().values():
        assert r.doc.strip() and "Fails" in r.doc and "Passes" in r.doc, r.code


def test_parse_error_has_physical_line_number(tree: Path) -> None:
    edit(logs(tree), insert_after("run_start", ':::MLLOG {"key": "broken"'))
    got = findings(run(tree), "TL001")
    broken = [f for f in got if f.path.endswith("result_0.txt")]
    assert broken[0].line == 27  # the line after run_start in the original file (line 26)


def test_one_failing_run_is_tolerated(tree: Path) -> None:
    edit(logs(tree, (0,)), drop("run_stop"))
    report = run(tree)
    assert not [f for f in report.findings if f.severity is Severity.ERROR]
    assert findings(report, "TL002")[0].severity is Severity.WARNING
    row = report.rows[0]
    assert row["dropped_runs"] == 1 and row["score"] is not None


def test_bypass_turns_rcp_failure_into_warning(tree: Path) -> None:
    _faster(tree)
    (bench_dir(tree) / "package_checker_params").write_text("rcp-bypass")
    got = findings(run(tree), "TR001")
    assert got and got[0].severity is Severity.WARNING


def test_select_limits_rules(tree: Path) -> None:
    edit(logs(tree), set_field("opt_name", "sgd"))
    report = run(tree, select=Selection(("TP",)))
    assert not findings(report, "TL004")
