"""``make differential``: the table and explanation logic (no official tool needed), the explanations' data, and the
official checkers on the official ``sample_1`` tree when the mlcommons/inference mirror is on this machine.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

from checker.differential import tools
from checker.differential.__main__ import TargetError, main, targets
from checker.differential.compare import SUBCHECK, WHOLE_TREE, Explanation, compare, load_explanations, summary
from checker.differential.mirror import git_dir
from checker.differential.tools import ToolRun, Verdict, applicable, crash_line, read_summary_csv
from tests.conftest import require_data

REPO = Path(__file__).resolve().parent.parent
LOC = "closed/X/results/sys/resnet/Offline"
OTHER = "closed/X/results/sys/resnet/Server"


def ours(**verdicts: Verdict) -> ToolRun:
    return ToolRun("ran", dict(verdicts))


def runs_of(mine: dict[str, Verdict], theirs: ToolRun) -> dict[str, ToolRun]:
    return {SUBCHECK: ToolRun("ran", mine), "official-v4.1": theirs}


# --- the table and its explanations, on made-up verdicts ------------------------------------------------------
def test_agreement_on_verdicts_and_metrics_is_no_difference() -> None:
    mine = {LOC: Verdict(True, {"Samples/s": 100.0}), OTHER: Verdict(False, codes=("PE001",))}
    theirs = ToolRun("ran", {LOC: Verdict(True, {"Samples/s": 100.00001})})  # OTHER absent: rejected by them too
    result = compare("t", "v4.1", "inference", runs_of(mine, theirs), [])
    assert result.differences == []
    assert [(r["result"], r[SUBCHECK], r["official-v4.1"]) for r in result.rows] == [
        (LOC, "accept 100 Samples/s", "accept 100 Samples/s"),
        (OTHER, "reject (PE001)", "no verdict"),
    ]


def test_each_kind_of_difference_is_found_and_unexplained_without_data() -> None:
    mine = {
        LOC: Verdict(False, codes=("system:SY003",)),
        OTHER: Verdict(True, {"Samples/s": 1.0}),
        "closed/X/results/sys/bert-99/Offline": Verdict(True, {"Samples/s": 10.0}),
    }
    theirs = ToolRun(
        "ran",
        {
            LOC: Verdict(True, {"Samples/s": 5.0}),
            "closed/X/results/sys/bert-99/Offline": Verdict(True, {"Samples/s": 11.0}),
            "closed/Y/results/s/gptj-99/Offline": Verdict(True),
        },
    )
    result = compare("t", "v4.1", "inference", runs_of(mine, theirs), [])
    kinds = {(d.location, d.kind) for d in result.differences}
    assert kinds == {
        (LOC, "subcheck-rejects"),
        (OTHER, "tool-rejects"),
        ("closed/X/results/sys/bert-99/Offline", "metric"),
        ("closed/Y/results/s/gptj-99/Offline", "unknown-result"),
    }
    assert len(result.unexplained) == 4
    assert summary(result)["tools"]["official-v4.1"]["unexplained"] == 4
    row = next(r for r in result.rows if r["result"] == LOC)
    assert row["differences"] == "official-v4.1: UNEXPLAINED subcheck-rejects"


def test_an_explanation_needs_the_rule_in_subchecks_findings() -> None:
    known = [Explanation("official-*", "subcheck-rejects", "SY003", "tests/x.py::test_y", "counts are integers")]
    right = compare("t", "v4.1", "inference", runs_of({LOC: Verdict(False, codes=("system:SY003",))},
                                                      ToolRun("ran", {LOC: Verdict(True)})), known)  # fmt: skip
    assert right.unexplained == [] and right.differences[0].explanation == known[0]
    assert right.rows[0]["differences"] == "official-v4.1: SY003 (tests/x.py::test_y)"
    wrong = compare("t", "v4.1", "inference", runs_of({LOC: Verdict(False, codes=("AC007",))},
                                                      ToolRun("ran", {LOC: Verdict(True)})), known)  # fmt: skip
    assert len(wrong.unexplained) == 1  # subcheck rejected it for another reason: the entry does not apply


def test_explanations_match_tool_tree_round_and_results() -> None:
    entry = Explanation("official-HEAD", "crash", "ST006", "tests/x.py::test_y", "a model with no scenario table",
                        tree="sample_1", version="v6.1")  # fmt: skip
    codes = ("ST006",)
    assert entry.matches("official-HEAD", "sample_1", "v6.1", WHOLE_TREE, "crash", codes)
    assert not entry.matches("official-HEAD", "sample_1", "v6.0", WHOLE_TREE, "crash", codes)
    assert not entry.matches("official-HEAD", "other", "v6.1", WHOLE_TREE, "crash", codes)
    assert not entry.matches("official-v5.1.1", "sample_1", "v6.1", WHOLE_TREE, "crash", codes)
    assert not entry.matches("official-HEAD", "sample_1", "v6.1", WHOLE_TREE, "crash", ("ST008",))


def test_a_crash_is_one_whole_tree_difference_and_no_verdicts() -> None:
    mine = {LOC: Verdict(False, codes=("ST006",))}
    result = compare("sample_1", "v6.1", "inference", runs_of(mine, ToolRun("crashed", note="TypeError: x")), [])
    assert [(d.location, d.kind, d.theirs) for d in result.differences] == [(WHOLE_TREE, "crash", "TypeError: x")]
    assert result.rows[0]["official-v4.1"] == "crashed"


def test_absent_tool_is_reported_not_compared() -> None:
    result = compare("t", "v4.1", "inference", runs_of({LOC: Verdict(True)}, ToolRun("absent", note="pip it")), [])
    assert result.differences == [] and summary(result)["tools"]["official-v4.1"]["status"] == "absent"


def test_crash_line_is_the_exception_of_a_traceback() -> None:
    output = 'Traceback (most recent call last):\n  File "x.py", line 1\n    f()\nTypeError: boom\n'
    assert crash_line(output) == "TypeError: boom"
    assert crash_line("INFO done\nSUMMARY: submission has errors\n") == "SUMMARY: submission has errors"


def test_summarizer_rows_become_per_benchmark_results(tmp_path: Path) -> None:
    table = tmp_path / "s.csv"
    table.write_text(
        "division,availability,submitter,system,notes,bert,gpt3,gpt3:Energy,gpt3:GBS,details_url\n"
        "closed,Available,Acme,Box 1,,5.5,,,,https://github.com/mlcommons/r/blob/main/Acme/systems/box_1.json\n"
        "closed,Available,Acme,Box 2,,,90.5,1.6e7,64,https://github.com/mlcommons/r/blob/main/Acme/systems/box_2.json\n"
    )
    run = read_summary_csv(table)
    assert {k: (v.accepted, v.metrics) for k, v in run.verdicts.items()} == {
        "Acme/results/box_1/bert": (True, {"minutes": 5.5}),
        "Acme/results/box_2/gpt3": (True, {"minutes": 90.5, "J": 1.6e7}),
    }


def test_tool_table_applies_by_suite_and_round() -> None:
    assert [t.name for t in applicable("inference", "v4.1")] == ["official-v4.1"]
    assert [t.name for t in applicable("inference", "v5.1")] == ["official-v5.1.1", "official-HEAD"]
    assert [t.name for t in applicable("inference", "v6.1")] == ["official-HEAD"]
    assert [t.name for t in applicable("training", "v4.1")] == [
        "mlperf-logging package_checker",
        "mlperf-logging result_summarizer",
    ]
    assert [t.name for t in applicable("endpoints", "v1.0")] == ["endpoints submission-checker"]


def test_targets_expand_a_data_root_and_need_a_round_otherwise(tmp_path: Path) -> None:
    (tmp_path / "inference-v4.1" / "closed").mkdir(parents=True)
    (tmp_path / "training-v4.1").mkdir()
    assert targets([str(tmp_path)]) == [
        (tmp_path / "inference-v4.1", "inference", "v4.1"),
        (tmp_path / "training-v4.1", "training", "v4.1"),
    ]
    tree = tmp_path / "mine"
    (tree / "closed").mkdir(parents=True)
    assert targets([f"{tree}=v6.1"]) == [(tree, "inference", "v6.1")]
    with pytest.raises(TargetError, match="give the round"):
        targets([str(tree)])
    assert main([str(tree), "--table", str(tmp_path / "t.csv")]) == 2


# --- the explanations as data -----------------------------------------------------------------------------------
def test_every_explanation_names_a_rule_and_an_existing_test() -> None:
    from checker.registry import load_all

    rules = load_all()
    known = load_explanations()
    assert known
    tool_names = {t.name for t in tools.TOOLS}
    for entry in known:
        assert entry.rule in rules or (entry.rule == "table" and entry.kind == "metric"), entry
        assert any(fnmatch.fnmatchcase(name, entry.tool) for name in tool_names), entry
        path, _, name = entry.test.partition("::")
        source = REPO / path
        assert source.is_file(), entry.test
        defined = {n.name for n in ast.walk(ast.parse(source.read_text())) if isinstance(n, ast.FunctionDef)}
        assert name in defined, entry.test


def test_the_pinned_v41_rejections_are_the_explained_ones() -> None:
    """rules/differential.yaml covers exactly the results tests/test_official_v41.py pins, with one of their rules."""
    from tests.test_official_v41 import OUR_REJECTIONS

    known = [e for e in load_explanations() if e.tool == "official-v4.1" and e.tree == "inference-v4.1"]
    for location, codes in OUR_REJECTIONS.items():
        tokens = tuple(codes.split())
        covering = [e for e in known if e.matches("official-v4.1", "inference-v4.1", "v4.1", location,
                                                   "subcheck-rejects", tokens)]  # fmt: skip
        assert len(covering) == 1, location


# --- the differential run itself ------------------------------------------------------------------------------
def test_fast_run_on_the_shared_data_has_every_difference_explained(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    require_data("inference-v4.1.official-summary.csv")
    tree = require_data("inference-v4.1")
    code = main([str(tree), "--fast", "--table", str(tmp_path / "table.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "6 differences, 6 explained, 0 unexplained" in out
    assert "official-v4.1: ran (kept output inference-v4.1.official-summary.csv)" in out
    assert "official-HEAD: n/a (has no v4.1 rules; checks v5.0, v5.1, v6.0, v6.1)" in out


def test_official_locations_are_read_as_subcheck_writes_them(tmp_path: Path) -> None:
    run_dir = f"{tmp_path.resolve()}/closed/N/results/s/deepseek-r1/Offline/performance/run_1"
    assert tools.result_location(run_dir, tmp_path) == "closed/N/results/s/deepseek-r1/Offline"
    assert tools.result_location("closed/N/results/s/resnet/Server", tmp_path) == "closed/N/results/s/resnet/Server"


def test_endpoints_points_fold_into_one_verdict_per_submission() -> None:
    run = ToolRun(
        "ran", {"o/s1/results/a/m": Verdict(True), "o/s1/results/b/m": Verdict(True), "o/s2/results/a/m": Verdict(True)}
    )
    folded = tools.fold_submissions(run, [("o/s2/src/m/README.md", "EP008"), (".", "EN001")])
    assert folded.verdicts == {"o/s1": Verdict(True, {}, ()), "o/s2": Verdict(False, {}, ("EP008",))}


ENDPOINTS = REPO / "fixtures" / "endpoints"


@pytest.mark.skipif(tools.endpoints_python() is None, reason="endpoints-submission-cli is not installed")
def test_endpoints_fixtures_beside_the_official_submission_checker(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    trees = [f"{ENDPOINTS / name}=v1.0" for name in ("valid", "dirname-mismatch", "accuracy-low", "src-readme")]
    code = main([*trees, "--table", str(tmp_path / "table.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 differences, 1 explained, 0 unexplained" in out
    assert "endpoints submission-checker subcheck-rejects x1: EP005" in out


def test_the_checker_never_imports_the_differential_package() -> None:
    """The differential run is for people and CI; a check run must not load it (nor the official tools' paths)."""
    for path in (REPO / "checker").rglob("*.py"):
        if "differential" in path.parts:
            continue
        assert "checker.differential" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize(
    ("version", "crash"),
    [
        ("v6.1", "TypeError: 'NoneType' object is not iterable"),
        ("v6.0", "TypeError: 'NoneType' object is not iterable"),
        ("v5.1", "FileNotFoundError"),
    ],
)
def test_official_head_crashes_on_sample_1(sample_1_tree: Path, tmp_path: Path, version: str, crash: str) -> None:
    """The official HEAD checker stops with a traceback on the official sample; subcheck's table explains each."""
    if not git_dir().is_dir():
        pytest.skip("no mlcommons/inference mirror")
    head = next(t for t in tools.TOOLS if t.name == "official-HEAD")
    run = head.run(sample_1_tree, version, tmp_path)
    assert run.status == "crashed" and run.note.startswith(crash), run.note
    if version == "v5.1":
        assert "measurements" in run.note  # the split layout's folder, which a merged tree does not have
    subcheck = tools.run_subcheck(sample_1_tree, version, "inference", jobs=1)
    result = compare("sample_1", version, "inference", {SUBCHECK: subcheck, "official-HEAD": run}, load_explanations())
    assert [d.kind for d in result.differences] == ["crash"] and result.unexplained == []
    assert all(not v.accepted for v in subcheck.verdicts.values()) and len(subcheck.verdicts) == 22
