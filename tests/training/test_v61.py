"""Training v6.1: the rule file against the official 6.1.0 facts, its listing, and its new rules on a built tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.findings import Severity
from checker.ruleset import load

from . import v61
from .harness import edit, findings, run, set_field

OFFICIAL = yaml.safe_load((Path(__file__).parent / "data" / "official_v61.yaml").read_text())
REPO = Path(__file__).resolve().parents[2]


def test_v61_rule_file_equals_official_constants() -> None:
    rules = load("training", "v6.1")
    assert rules["ruleset"] == OFFICIAL["ruleset"]
    assert sorted(rules["benchmarks"]) == sorted(OFFICIAL["benchmarks"])
    assert {b: m["runs"] for b, m in rules["benchmarks"].items()} == OFFICIAL["runs"]
    assert {m["allowed_failures"] for m in rules["benchmarks"].values()} == {OFFICIAL["olympic_drop"]}
    for division in ("closed", "open"):
        listed = rules["log"]["division"][division]["submission_benchmark"]["value"]["one_of"]
        assert sorted(listed) == sorted(OFFICIAL["benchmarks"])
    closed = {
        b: spec["closed"]["quality"]["target"] for b, spec in rules["log"]["benchmark"].items() if "closed" in spec
    }
    assert {b: closed[b] for b in OFFICIAL["targets"]} == OFFICIAL["targets"]
    assert rules["seeds"]["divisions"] == OFFICIAL["seed_divisions"]
    assert rules["rcp"]["divisions"] == OFFICIAL["rcp_divisions"]
    assert rules["init_budget_minutes"] == OFFICIAL["init_budget_minutes"]
    assert rules["scoring"]["drop_fastest"] == OFFICIAL["olympic_drop"]
    conv = rules["rcp"]["convergence"]
    assert all(conv[b]["method"] == "samples_count_last_eval" for b in OFFICIAL["samples_count_last_eval"])
    data = REPO / "rules" / "training" / "rcps" / rules["rcp"]["data"]
    assert sorted(p.name for p in data.glob("rcps_*.json")) == sorted(f"rcps_{b}.json" for b in OFFICIAL["benchmarks"])


def test_rules_listing_names_v61_benchmarks() -> None:
    res = CliRunner().invoke(main, ["rules", "--suite", "training", "--version", "v6.1"])
    assert res.exit_code == 0, res.output
    assert "TL005" in res.output and "TP001" in res.output
    assert "Benchmarks in training v6.1: " + ", ".join(sorted(OFFICIAL["benchmarks"])) in res.output


def test_v51_differs_from_v50() -> None:
    """v5.1 has its own rule file because the round differs from v5.0 (benchmarks, org keys, 405b decay)."""
    v50, v51 = load("training", "v5.0"), load("training", "v5.1")
    assert set(v51["benchmarks"]) - set(v50["benchmarks"]) == {"flux1", "llama31_8b"}
    assert "submission_org" in v51["log"]["common"] and "submission_org" not in v50["log"]["common"]


@pytest.fixture
def qwen(tmp_path: Path) -> Path:
    return v61.build(tmp_path / "tree")


def _logs(bench: Path) -> list[Path]:
    return sorted(bench.glob("result_*.txt"))


def test_qwen_tree_passes_and_scores_the_median(qwen: Path) -> None:
    report = run(qwen.parents[3], "v6.1")
    assert report.findings == []
    row = report.rows[0]
    assert (row["benchmark"], row["score"], row["RCP"], row["GBS"]) == (v61.BENCH, 55.0, "Pass", 256.0)


def test_qwen_eval_off_grid_is_tl005(qwen: Path) -> None:
    """One bad run of three is tolerated by olympic scoring, so its finding is a warning."""
    edit(_logs(qwen)[:1], set_field("eval_accuracy", v61.FIRST_EVAL + 100, field="metadata.samples_count", nth=1))
    got = findings(run(qwen.parents[3], "v6.1"), "TL005")
    assert [(f.path, f.expected, f.found, f.severity) for f in got] == [
        (
            f"{v61.ORG}/results/{v61.SYSTEM}/{v61.BENCH}/result_0.txt",
            v61.FIRST_EVAL + v61.GBS,
            v61.FIRST_EVAL + 100,
            Severity.WARNING,
        )
    ]


def test_qwen_learning_rate_tied_to_batch_size(qwen: Path) -> None:
    edit(_logs(qwen)[:1], set_field("opt_base_learning_rate", 2.0e-6))
    got = findings(run(qwen.parents[3], "v6.1"), "TL004")
    assert [(f.key, f.found) for f in got] == [("opt_base_learning_rate", 2.0e-6)]


def test_qwen_generations_must_make_the_batch(qwen: Path) -> None:
    edit(_logs(qwen)[:1], set_field("num_prompts_per_step", 8))
    got = findings(run(qwen.parents[3], "v6.1"), "TL004")
    assert [f.key for f in got] == ["num_generations_per_prompt"]


def test_qwen_target_is_above_069(qwen: Path) -> None:
    edit(_logs(qwen)[:1], set_field("eval_accuracy", 0.69, nth=None))
    got = findings(run(qwen.parents[3], "v6.1"), "TL008")
    assert [(f.key, f.found) for f in got] == [("eval_accuracy", 0.69)]


def test_deepseek_first_eval_schedule(tmp_path: Path) -> None:
    from checker.training.compliance import check_log
    from checker.training.mllog import parse_text

    gbs = 16384
    first = gbs * (42 + 24576 // gbs)

    def log(samples: int) -> str:
        body = [
            v61.line(1, "submission_division", "closed"),
            v61.line(1, "submission_benchmark", "deepseekv3_671b"),
            v61.line(1, "global_batch_size", gbs),
            v61.line(2, "eval_accuracy", 3.5, samples_count=samples),
            v61.line(3, "eval_accuracy", 3.4, samples_count=samples + 7),  # only the first eval is scheduled
        ]
        return "\n".join(body) + "\n"

    rules = load("training", "v6.1")
    ok = [p for c, p in check_log(rules, parse_text(log(first)), "r.txt") if c == "TL005"]
    bad = [p for c, p in check_log(rules, parse_text(log(first - gbs)), "r.txt") if c == "TL005"]
    assert ok == [] and [(p.expected, p.found, p.line) for p in bad] == [(first, first - gbs, 4)]


def test_v60_benchmarks_gone_in_v61(tmp_path: Path) -> None:
    bench = v61.build(tmp_path / "tree")
    bench.rename(bench.parent / "dlrm_dcnv2")
    got = findings(run(tmp_path / "tree", "v6.1"), "TP002")
    assert [f.found for f in got] == ["dlrm_dcnv2"]
    assert json.loads(json.dumps(got[0].expected)) == sorted(OFFICIAL["benchmarks"])


def test_official_package_checker_disagrees_only_on_eval_samples(qwen: Path, tmp_path: Path) -> None:
    """PyPI mlperf-logging 4.1.68 wants qwen eval_samples 251; the reference 6.1 rules (7bbf792) say 256."""
    import os
    import subprocess
    import sys
    from importlib.util import find_spec

    python = sys.executable if find_spec("mlperf_logging") else os.environ.get("MLPERF_LOGGING_PYTHON")
    if python is None:
        pytest.skip("mlperf_logging not installed (set MLPERF_LOGGING_PYTHON)")
    org = qwen.parents[2]
    cmd = [python, "-m", "mlperf_logging.package_checker", str(org), "training", "6.1.0"]
    out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    text = out.stdout + out.stderr
    failed = {line.split("CHECK for '", 1)[1].split("'")[0] for line in text.splitlines() if "CHECK for '" in line}
    missing = [line for line in text.splitlines() if "Required EXACTLY_ONE" in line]
    assert failed == {"eval_samples"} and "v['value'] == 251" in text and missing == []
    assert run(qwen.parents[3], "v6.1").findings == []
