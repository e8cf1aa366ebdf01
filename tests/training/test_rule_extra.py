"""Rule cases the fixture cannot express (missing RCP data, grouped stable-diffusion evals) and unit checks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from checker.engine import Selection, run_rule
from checker.findings import Severity
from checker.ruleset import RulesetError, load
from checker.training import rcp
from checker.training.context import BenchmarkContext, load_system_desc
from checker.training.discovery import detect_training_tree, discover
from checker.training.mllog import parse_text
from checker.training.run import training_rules

from .harness import edit, findings, run, set_field


def _bench_ctx(root: Path, rules: dict) -> BenchmarkContext:
    system = discover(root).submitters[0].systems[0]
    return BenchmarkContext(root, rules, system.benchmarks[0], system, load_system_desc(system.desc_path))


def test_tr004_no_rcp_data(tree: Path) -> None:
    rules = json.loads(json.dumps(load("training", "v4.1")))
    rules["rcp"]["data"] = "no_such_round"
    got = run_rule(training_rules()["TR004"], _bench_ctx(tree, rules), "unit")
    assert [(f.code, f.severity) for f in got] == [("TR004", Severity.ERROR)]
    assert not run_rule(training_rules()["TR004"], _bench_ctx(tree, load("training", "v4.1")), "unit")


def test_open_division_skips_rcp_and_seeds(tree: Path) -> None:
    from .harness import system_json

    path = system_json(tree)
    data = json.loads(path.read_text())
    data["division"] = "open"
    path.write_text(json.dumps(data))
    report = run(tree, select=Selection(("TR", "TP004", "TP005")))
    assert report.findings == []
    assert report.rows[0]["RCP"] == ""


# --- stable diffusion: evals grouped by samples_count (real data; skipped without it) -------------------------

SD = ("Quanta_Cloud_Technology", "D74H-7U", "stable_diffusion")


def test_sd_grouped_quality_passes_and_fails(real_copy) -> None:
    root = real_copy(*SD)
    assert not [f for f in run(root).findings if f.severity is Severity.ERROR]
    logs = sorted(root.glob("*/results/*/*/result_*.txt"))
    edit(logs, set_field("eval_accuracy", 120.0, nth=None))  # every FID and CLIP out of range
    got = findings(run(root), "TL008")
    assert len(got) == len(logs) and got[0].severity is Severity.ERROR


def test_sd_needs_two_eval_groups(real_copy) -> None:
    root = real_copy(*SD)
    logs = sorted(root.glob("*/results/*/*/result_*.txt"))
    edit(logs, set_field("eval_accuracy", 512000, "metadata.samples_count", nth=None))
    got = findings(run(root), "TL002")
    assert any("distinct samples_count" in f.message for f in got)


# --- RCP statistics against the values computed with the official checker (training_constants.yaml) ---------

CFG = {"alpha": 0.05, "tolerance": 1e-4, "drop_each_side": 1}


def _table(data: str, bench: str, runs: int) -> rcp.RcpTable:
    cfg = load("training", "v4.1")["rcp"]
    items = tuple(sorted((k, v) for k, v in cfg.items() if isinstance(v, (int, float, str))))
    table = rcp.load_table(data, bench, runs, items)
    assert table is not None
    return table


@pytest.mark.parametrize(
    ("data", "bench", "runs", "bs", "mean", "min_epochs"),
    [
        ("training_4.1.0", "bert", 10, 256, 2549219.6, 2390441.6),
        ("training_4.1.0", "bert", 10, 16384, 5505422.2, 5400269.1),
        ("training_4.1.0", "ssd", 5, 4096, 15.1538, 14.5910),
        ("training_4.1.0", "gpt3", 3, 4096, 1258291200.0, 1208937591.7),
        ("training_4.1.0", "stable_diffusion", 10, 2048, 4002909.1, 3729048.8),
        ("training_5.0.0", "llama31_405b", 3, 9216, 691200.0, 592205.5),
        ("training_6.0.0", "deepseekv3_671b", 3, 15360, 725760.0, 685345.7),
    ],
)
def test_rcp_record_statistics(data, bench, runs, bs, mean, min_epochs) -> None:
    rec = next(r for r in _table(data, bench, runs).records if r.bs == bs)
    assert math.isclose(rec.mean, mean, rel_tol=1e-5)
    assert math.isclose(rec.min_epochs, min_epochs, rel_tol=1e-5)


def test_rcp_pruning_matches_official() -> None:
    table = _table("training_4.1.0", "bert", 10)
    pruned_out = sorted({r.bs for r in table.records} - {r.bs for r in table.pruned})
    assert pruned_out == [256, 1536, 3072, 4096, 8192, 8704]


def test_rcp_hand_checked_minimums() -> None:
    # training_rules.md: retinanet/ssd BS 320 -> 3.7261, bert BS 448 -> 2,274,732 (checked by hand).
    ssd = next(r for r in _table("training_4.1.0", "ssd", 5).records if r.bs == 320)
    bert = next(r for r in _table("training_4.1.0", "bert", 10).records if r.bs == 448)
    assert round(ssd.min_epochs, 4) == 3.7261
    assert round(bert.min_epochs) == 2274732


def test_rcp_interpolation_between_pruned_records() -> None:
    table = _table("training_4.1.0", "ssd", 5)
    low = next(r for r in table.pruned if r.bs == 320)
    high = next(r for r in table.pruned if r.bs == 768)
    interp = rcp.interpolate(544.0, low, high, 5, {**CFG})
    assert math.isclose(interp.mean, (low.mean + high.mean) / 2)
    assert math.isclose(interp.stdev, (low.stdev + high.stdev) / 2)
    assert 0 < interp.min_epochs < interp.mean


def test_gpt3_outlier_voids_the_check() -> None:
    rec = next(r for r in _table("training_4.1.0", "gpt3", 3).records if r.bs == 3072)
    assert rec.min_epochs < 1.0  # documented anomaly: the 13.8e9 outlier inflates stdev


def test_rcp_bs_below_smallest_compares_with_smallest() -> None:
    table = _table("training_4.1.0", "llama2_70b_lora", 10)
    cfg = load("training", "v4.1")["rcp"]
    slow = [rcp.Convergence(4, "llama2_70b_lora", 5000.0, True)] * 10
    out = rcp.check(table, slow, "llama2_70b_lora", "4.1.0", cfg, bypass=False)
    assert out.passed and out.message.startswith("RCP not found")
    fast = [rcp.Convergence(4, "llama2_70b_lora", 100.0, True)] * 10
    out = rcp.check(table, fast, "llama2_70b_lora", "4.1.0", cfg, bypass=False)
    assert not out.passed and out.status == "Missing"


def test_llama405b_slack_applies_from_v50() -> None:
    cfg = load("training", "v5.0")["rcp"]
    items = tuple(sorted((k, v) for k, v in cfg.items() if isinstance(v, (int, float, str))))
    table = rcp.load_table(cfg["data"], "llama31_405b", 3, items)
    ref = next(r for r in table.pruned if r.bs == 1152)
    runs = [rcp.Convergence(1152, "llama31_405b", ref.min_epochs - 40000, True)] * 3
    assert rcp.check(table, runs, "llama31_405b", "5.0.0", cfg, bypass=False).passed


# --- parser -----------------------------------------------------------------------------------------------------


def test_parser_line_numbers_crlf_and_last_token() -> None:
    text = (
        "noise\r\n"
        ':::MLLOG {"time_ms": 1, "key": "a", "value": 1, "metadata": {}}\r\n'
        'x :::MLLOG {"junk" :::MLLOG {"time_ms": 2, "key": "b", "value": 2, "metadata": {}}\n'
        ':::MLLOG {"time_ms": "x", "key": "c", "value": 3, "metadata": {}}\n'
        ':::MLLOG {"key": "d", "value": 4}\n'
        ":::MLLOG [1, 2]\n"
    )
    log = parse_text(text)
    assert [(r.key, r.line) for r in log.records] == [("a", 2), ("b", 3)]
    assert [e.line for e in log.malformed] == [4, 5, 6]
    assert "time_ms" in log.malformed[0].message and "metadata" in log.malformed[1].message


def test_parser_reads_bad_bytes_as_latin1(tmp_path: Path) -> None:
    from checker.training.mllog import parse_file

    path = tmp_path / "result_0.txt"
    path.write_bytes(b'\xff\xfe:::MLLOG {"time_ms": 1, "key": "k\xe9", "value": 1, "metadata": {}}\n')
    log = parse_file(path)
    assert not log.malformed and log.records[0].key == "k\u00e9"  # every byte decodes, as the official latin-1 read
    assert parse_file(tmp_path / "missing.txt").read_error


# --- rule files ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v4.1", "v5.0", "v5.1", "v6.0"])
def test_every_round_loads_and_is_consistent(version: str) -> None:
    rules = load("training", version)
    for bench in rules["benchmarks"]:
        assert set(rules["log"]["benchmark"][bench]) == {"closed", "open"}, bench
        table_dir = Path(__file__).resolve().parents[2] / "rules" / "training" / "rcps" / rules["rcp"]["data"]
        assert (table_dir / f"rcps_{bench}.json").is_file(), bench


def test_bad_rule_file_names_json_path(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "rules" / "training"
    (tmp_path / "v4.1.yaml").write_text((src / "v4.1.yaml").read_text())
    bad = tmp_path / "v9.9.yaml"
    bad.write_text("extends: v4.1\nlog:\n  common:\n    cache_clear: {occurs: twice}\n")
    with pytest.raises(RulesetError) as err:
        load("training", "v9.9", str(bad))
    assert err.value.json_path.startswith("$.log.common.cache_clear")


def test_formula_405b_exact_and_decay(tree: Path) -> None:
    from checker.training.constraints import violation

    rules = load("training", "v5.1")
    keys = rules["log"]["benchmark"]["llama31_405b"]["closed"]["keys"]
    lookup = {"global_batch_size": 1152}.get
    assert violation(keys["opt_base_learning_rate"]["value"], 8e-05, lookup) is None
    assert violation(keys["opt_base_learning_rate"]["value"], 9e-05, lookup)
    assert violation(keys["opt_learning_rate_decay_steps"]["value"], 1_200_000 - 8000, lookup) is None
    assert violation(keys["opt_learning_rate_decay_steps"]["value"], 1_200_000, lookup)
    assert "cannot evaluate" in violation(keys["opt_learning_rate_decay_steps"]["value"], 1, {}.get)


def test_detect_training_tree(tree: Path, tmp_path: Path) -> None:
    assert detect_training_tree(tree)
    assert detect_training_tree(tree / "Google")
    assert not detect_training_tree(tmp_path / "nothing")
    (tmp_path / "inf" / "Org" / "results" / "sys" / "resnet50" / "Offline").mkdir(parents=True)
    (tmp_path / "inf" / "Org" / "systems").mkdir()
    assert not detect_training_tree(tmp_path / "inf")


@pytest.mark.parametrize("df", [1, 2, 3, 7, 17, 36, 96, 200])
def test_t_distribution_matches_scipy(df: int) -> None:
    stats = pytest.importorskip("scipy.stats")
    for t in (-40.0, -5.0, -2.1, -1.0, -0.3, 0.0, 0.2, 1.7, 3.0, 12.0):
        assert math.isclose(rcp.t_sf(t, df), float(stats.t.sf(t, df)), rel_tol=1e-9, abs_tol=1e-15)


def test_olympic_and_run_window_follow_the_summarizer() -> None:
    from checker.training.scoring import olympic, run_window

    assert olympic([5.0, 1.0, 3.0, 4.0, 2.0], 0, 1) == 3.0
    assert olympic([5.0, 1.0, 3.0, 4.0], 1, 1) == 4.0  # the dropped run stands in for the slowest one
    assert olympic([1.0, 2.0], 1, 1) == 2.0  # 3-run benchmark, one dropped: the slower remaining run
    assert olympic([1.0], 1, 1) is None
    text = "".join(
        f':::MLLOG {{"time_ms": {t}, "key": "{k}", "value": null, "metadata": {{}}}}\n'
        for t, k in [(1, "run_start"), (5, "run_start"), (9, "run_stop"), (20, "run_stop")]
    )
    assert run_window(parse_text(text)) == (5.0, 9.0)


def test_system_level_params_flag_checked_once(tree: Path) -> None:
    from .harness import SYSTEM

    (tree / "Google" / "results" / SYSTEM / "package_checker_params").write_text("seed-checker-bypas")
    got = findings(run(tree), "TP008")
    assert len(got) == 1 and "unknown flag" in got[0].message


def test_crashing_rule_is_an_error_that_names_it(tree: Path) -> None:
    from dataclasses import replace as dc_replace

    def boom(ctx):  # noqa: ANN001, ANN202
        raise RuntimeError("boom")

    broken = dc_replace(training_rules()["TP001"], func=boom)
    got = run_rule(broken, _bench_ctx(tree, load("training", "v4.1")), "unit")
    assert [(f.code, f.severity, f.unit) for f in got] == [("EN001", Severity.ERROR, "unit")]
    assert "rule TP001 crashed on this unit: RuntimeError: boom" in got[0].message
    assert got[0].extra["rule"] == "TP001" and "boom" in got[0].found


@pytest.mark.parametrize("version", ["v5.0", "v5.1", "v6.0"])
def test_later_rounds_reject_gpt3_folder(tree: Path, version: str) -> None:
    report = run(tree, version)
    assert [f.code for f in report.findings] == ["TP002"]
    assert report.rows == []


def test_train_samples_convergence_method() -> None:
    cfg = load("training", "v4.1")["rcp"]
    text = "".join(
        f':::MLLOG {{"time_ms": {i}, "key": "{k}", "value": {v}, "metadata": {m}}}\n'
        for i, (k, v, m) in enumerate(
            [
                ("global_batch_size", 448, "{}"),
                ("eval_accuracy", 0.73, '{"epoch_num": 2000.0}'),
                ("train_samples", 2500000, "{}"),
                ("run_stop", "null", '{"status": "success"}'),
            ]
        )
    )
    log = parse_text(text)
    assert rcp.convergence(log, cfg["convergence"]["default"], cfg).value == 2000.0
    assert rcp.convergence(log, cfg["with_train_samples_flag"]["bert"], cfg).value == 2500000.0


def test_submitter_level_bypass_flag(tree: Path) -> None:
    from .harness import logs as log_paths

    edit(log_paths(tree), set_field("eval_accuracy", lambda v: v * 0.5, "metadata.epoch_num", nth=None))
    (tree / "Google" / "package_checker_params").write_text("rcp-bypass\n")
    got = findings(run(tree), "TR001")
    assert got and got[0].severity is Severity.WARNING
