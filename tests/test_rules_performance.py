"""PE rules: each with a passing and a failing input, built from mutated copies of real LoadGen logs.

Tests taking ``tree`` (or ``server_tree``) run on the real ConnectTechInc (AMD) copy under v4.1 and on a copy
of the bundled demo tree under the demo round, whose logs come from real LoadGen 6.0 runs.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from checker.rounds import Round
from tests import trees
from tests.mutate import (
    add_record,
    copy_system,
    drop_record,
    edit_json,
    findings,
    get_record,
    line_of,
    move_division,
    perf_detail,
    set_record,
    set_summary,
)
from tests.trees import DEMO_RULES, Tree

OFFLINE_LOG = perf_detail("Offline")
SS_LOG = perf_detail("SingleStream")
SEEDS_V41 = {
    "qsl_rng_seed": 3066443479025735752,
    "sample_index_rng_seed": 10688027786191513374,
    "schedule_rng_seed": 14962580496156340209,
}
SEEDS_V51 = {
    "qsl_rng_seed": 1780908523862526354,
    "sample_index_rng_seed": 14771362308971278857,
    "schedule_rng_seed": 18209322760996052031,
}

AMD = "closed/AMD"
AMD_SYSTEM = "1xMI300X_2xEPYC-9374F"
AMD_BENCH = f"{AMD}/results/{AMD_SYSTEM}/llama2-70b-99"
AMD_SERVER_LOG = f"{AMD_BENCH}/Server/performance/run_1/mlperf_log_detail.txt"
NETWORK_RESULTS = "network/ConnectTechInc/results/Orin_TRT/gptj-99"
TTFT = "result_first_token_99.00_percentile_latency_ns"
TPOT = "result_time_per_output_token_99.00_percentile_ns"

tree = trees.tree  # the real ConnectTechInc copy (gptj-99 Offline, SingleStream) and the demo copy
server_tree = trees.server_tree  # the real AMD copy (llama2-70b-99 Server) and the demo copy

# What differs between the two trees: the round's minimums and bounds, and what the logs say.
MIN_DURATION_MS = {"real": 600000, "demo": 1000}
MIN_PERFORMANCE_SAMPLES = {"real": 13368, "demo": 450}  # also the Offline samples-per-query minimum
SERVER_LATENCY_BOUND_NS = {"real": 20000000000, "demo": 10000000}
OFFLINE_METRIC = {"real": "result_inferred_tokens_per_second", "demo": "result_samples_per_second"}
LOADGEN_BUILD = {"real": "4.1 @ 2ed9555be0", "demo": "6.0.17 @ d6147c7eb7"}


def _seeds(tree: Tree) -> dict[str, int]:
    return SEEDS_V41 if tree.real else tree.rules()["seeds"]


def _as_interactive(root: Path) -> str:
    """Copy the AMD Server result (results and measurements) into an Interactive folder; returns its detail log."""
    for part in ("results", "measurements"):
        bench = root / AMD / part / AMD_SYSTEM / "llama2-70b-99"
        shutil.copytree(bench / "Server", bench / "Interactive")
    return f"{AMD_BENCH}/Interactive/performance/run_1/mlperf_log_detail.txt"


# --- PE001 detail log unreadable ----------------------------------------------------------------------------
def test_pe001_pass_real_log_and_missing_log_left_to_st010(tree: Tree) -> None:
    assert tree.findings("PE001") == []
    (tree.path(tree.perf_detail())).unlink()
    assert tree.findings("PE001") == []


def test_pe001_fail_empty_log(tree: Tree) -> None:
    (tree.path(tree.perf_detail())).write_text("")
    finding = tree.only("PE001")
    assert finding.path == tree.perf_detail()
    assert (finding.expected, finding.found) == (":::MLLOG records", "file is empty")


def test_pe001_fail_not_a_loadgen_log(tree: Tree) -> None:
    summary = tree.path(tree.perf_summary("Offline")).read_text()
    (tree.path(tree.perf_detail())).write_text(summary)  # the summary copied over the detail log
    finding = tree.only("PE001")
    assert (finding.path, finding.found) == (tree.perf_detail(), "no records")


def test_pe001_fail_folder_instead_of_file(tree: Tree) -> None:
    (tree.path(tree.perf_detail())).unlink()
    (tree.path(tree.perf_detail())).mkdir()
    (tree.path(tree.perf_detail()) / "x.txt").write_text("x")
    assert tree.only("PE001").found == "is a folder, not a file"


# --- PE002 malformed line -----------------------------------------------------------------------------------
def test_pe002_pass_real_logs(tree: Tree) -> None:
    assert tree.findings("PE002") == []


def test_pe002_fail_truncated_line(tree: Tree) -> None:
    path = tree.path(tree.perf_detail())
    number = line_of(path, "effective_min_duration_ms")
    lines = path.read_text().splitlines()
    lines[number - 1] = lines[number - 1][:60]
    path.write_text("\n".join(lines) + "\n")
    finding = tree.only("PE002")
    assert (finding.path, finding.line) == (tree.perf_detail(), number)
    assert finding.expected == ":::MLLOG {json}"
    assert str(finding.found).startswith("not valid JSON")


def test_pe002_fail_foreign_line_and_bad_bytes(tree: Tree) -> None:
    path = tree.path(tree.perf_detail())
    raw = path.read_bytes()
    offset = raw.index(b"gptj-Offline-SUT" if tree.real else b"reference_sut digits")
    path.write_bytes(raw[:offset] + b"\xfe" + raw[offset + 1 :] + b"WARNING: something happened\n")
    found = tree.findings("PE002")
    assert {f.found for f in found} == {f"bad byte at {offset}", "line does not start with ':::MLLOG'"}
    foreign = next(f for f in found if f.line is not None)
    assert foreign.line == raw.count(b"\n") + 1


# --- PE003 run invalid --------------------------------------------------------------------------------------
def test_pe003_pass_valid(tree: Tree) -> None:
    assert tree.findings("PE003") == []


def test_pe003_fail_invalid_with_reasons(tree: Tree) -> None:
    path = tree.path(tree.perf_detail())
    number = set_record(path, "result_validity", "INVALID")
    set_record(path, "result_min_duration_met", False)
    finding = tree.only("PE003")
    assert (finding.path, finding.line, finding.key) == (tree.perf_detail(), number, "result_validity")
    assert (finding.expected, finding.found) == ("VALID", "INVALID")
    assert finding.message == "LoadGen reports the run INVALID: minimum duration not met"


def test_pe003_fail_unfinished_run(tree: Tree) -> None:
    drop_record(tree.path(tree.perf_detail("SingleStream")), "result_validity")
    finding = tree.only("PE003")
    assert (finding.path, finding.line, finding.found) == (tree.perf_detail("SingleStream"), None, None)


# --- PE004 LoadGen error ------------------------------------------------------------------------------------
def test_pe004_pass_warnings_are_not_errors(tree: Tree) -> None:
    number = add_record(tree.path(tree.perf_detail()), "warning_generic_message", "slow", after="effective_scenario")
    set_record(tree.path(tree.perf_detail()), "warning_generic_message", metadata={"is_warning": True})
    assert number > 0 and tree.findings("PE004") == []


def test_pe004_fail_error_record(tree: Tree) -> None:
    path = tree.path(tree.perf_detail())
    number = add_record(path, "error_invalid_config", "Multiple conf files are used", after="effective_scenario")
    set_record(path, "error_invalid_config", metadata={"is_error": True})
    finding = tree.only("PE004")
    assert (finding.path, finding.line, finding.key) == (tree.perf_detail(), number, "error_invalid_config")
    assert finding.found == "Multiple conf files are used"


# --- PE005 performance mode ---------------------------------------------------------------------------------
def test_pe005_pass_performance_only(tree: Tree) -> None:
    assert tree.findings("PE005") == []


def test_pe005_fail_accuracy_log_in_performance_folder(tree: Tree) -> None:
    accuracy = tree.path(tree.accuracy_detail())
    shutil.copy(accuracy, tree.path(tree.perf_detail()))
    finding = tree.only("PE005")
    assert (finding.path, finding.key) == (tree.perf_detail(), "effective_test_mode")
    assert (finding.expected, finding.found) == ("PerformanceOnly", "AccuracyOnly")
    assert finding.line == line_of(tree.path(tree.perf_detail()), "effective_test_mode")


# --- PE006 seeds --------------------------------------------------------------------------------------------
def test_pe006_pass_official_seeds_also_as_strings(tree: Tree) -> None:
    set_record(tree.path(tree.perf_detail()), "effective_qsl_rng_seed", str(_seeds(tree)["qsl_rng_seed"]))
    assert tree.findings("PE006") == []


def test_pe006_fail_changed_seed(tree: Tree) -> None:
    number = set_record(tree.path(tree.perf_detail()), "effective_sample_index_rng_seed", 1234)
    finding = tree.only("PE006")
    assert (finding.path, finding.line) == (tree.perf_detail(), number)
    assert finding.key == "effective_sample_index_rng_seed"
    assert (finding.expected, finding.found) == (_seeds(tree)["sample_index_rng_seed"], 1234)


def test_pe006_fail_v41_logs_under_v51_rules(tree: Tree, tmp_path: Path) -> None:
    """Logs judged by a round with other seeds: each of the three seeds is reported with both values.

    Real: v4.1 logs under the v5.1 rules. Demo: LoadGen 6.0.17 logs (the v6.1 seeds) under a test-made round that
    is the demo round with the v6.0 seeds.
    """
    log = tree.perf_detail("SingleStream")
    if tree.real:
        later, logged, wanted = tree.under("v5.1"), SEEDS_V41, SEEDS_V51
    else:
        logged, wanted = tree.rules()["seeds"], Round.load("inference", "v6.0")["seeds"]
        rules = tmp_path / "v60_seeds.yaml"
        rules.write_text(f"extends: {DEMO_RULES}\nseeds: {json.dumps(wanted)}\n")
        later = replace(tree, rules_path=str(rules))
    found = [f for f in later.findings("PE006") if f.path == log]
    assert {(f.key, f.expected, f.found) for f in found} == {
        (f"effective_{name}", wanted[name], logged[name]) for name in SEEDS_V41
    }


# --- PE007 minimum duration ---------------------------------------------------------------------------------
def test_pe007_pass_at_minimum(tree: Tree) -> None:
    set_record(tree.path(tree.perf_detail()), "effective_min_duration_ms", str(MIN_DURATION_MS[tree.kind]))
    assert tree.findings("PE007") == []


@pytest.mark.parametrize("value", ["minimum - 1", None, "ten minutes"])
def test_pe007_fail_below_or_unreadable(tree: Tree, value: object) -> None:
    minimum = MIN_DURATION_MS[tree.kind]
    value = minimum - 1 if value == "minimum - 1" else value  # 599999 on the real tree
    log = tree.perf_detail("SingleStream")
    number = set_record(tree.path(log), "effective_min_duration_ms", value)
    finding = tree.only("PE007")
    assert (finding.path, finding.line, finding.key) == (log, number, "effective_min_duration_ms")
    assert (finding.expected, finding.found) == (f">= {minimum}", value)


# --- PE008 Offline query count ------------------------------------------------------------------------------
def test_pe008_pass_offline_and_not_judged_elsewhere(tree: Tree) -> None:
    assert tree.findings("PE008") == []
    # SingleStream: early stopping decides
    set_record(tree.path(tree.perf_detail("SingleStream")), "effective_min_query_count", 0)
    assert tree.findings("PE008") == []


def test_pe008_fail_configured_and_measured(tree: Tree) -> None:
    configured = set_record(tree.path(tree.perf_detail()), "effective_min_query_count", 0)
    measured = set_record(tree.path(tree.perf_detail()), "result_query_count", 0)
    found = {f.key: f for f in tree.findings("PE008")}
    assert set(found) == {"effective_min_query_count", "result_query_count"}
    assert found["effective_min_query_count"].line == configured
    assert found["result_query_count"].line == measured
    assert all(f.path == tree.perf_detail() and f.expected == ">= 1" and f.found == 0 for f in found.values())


# --- PE009 performance sample count -------------------------------------------------------------------------
def test_pe009_pass_real(tree: Tree) -> None:
    assert tree.findings("PE009") == []


def test_pe009_fail_below_minimum(tree: Tree) -> None:
    minimum = MIN_PERFORMANCE_SAMPLES[tree.kind]
    number = set_record(tree.path(tree.perf_detail()), "effective_performance_sample_count", minimum - 1)
    finding = tree.only("PE009")
    assert (finding.path, finding.line) == (tree.perf_detail(), number)
    assert finding.key == "effective_performance_sample_count"
    assert (finding.expected, finding.found) == (f">= {minimum}", minimum - 1)


# --- PE010 Offline samples per query ------------------------------------------------------------------------
def test_pe010_pass_real_and_no_minimum_from_v50(tree: Tree) -> None:
    assert tree.findings("PE010") == []
    if tree.real:
        set_record(tree.path(tree.perf_detail()), "effective_samples_per_query", 100)
        assert findings(tree.root, "PE010", "v5.0") == []  # gptj-99 has no Offline minimum from v5.0


def test_pe010_fail_too_few_samples(tree: Tree) -> None:
    number = set_record(tree.path(tree.perf_detail()), "effective_samples_per_query", 100)
    finding = tree.only("PE010")
    assert (finding.path, finding.line, finding.key) == (tree.perf_detail(), number, "effective_samples_per_query")
    assert (finding.expected, finding.found) == (f">= {MIN_PERFORMANCE_SAMPLES[tree.kind]}", 100)


# --- PE011 latency bound ------------------------------------------------------------------------------------
def test_pe011_pass_server_at_bound(server_tree: Tree) -> None:
    assert server_tree.findings("PE011") == []
    bound = SERVER_LATENCY_BOUND_NS[server_tree.kind]
    set_record(server_tree.path(server_tree.perf_detail("Server")), "effective_target_latency_ns", bound)
    assert server_tree.findings("PE011") == []


def test_pe011_fail_server_target_above_bound(server_tree: Tree) -> None:
    bound = SERVER_LATENCY_BOUND_NS[server_tree.kind]
    log = server_tree.perf_detail("Server")
    number = set_record(server_tree.path(log), "effective_target_latency_ns", bound + 1)
    finding = server_tree.only("PE011")
    assert (finding.path, finding.line, finding.key) == (log, number, "effective_target_latency_ns")
    assert (finding.expected, finding.found) == (f"<= {bound}", bound + 1)


# --- PE012 token latencies ----------------------------------------------------------------------------------
# p99 TTFT/TPOT limits: llama2-70b-99's (Server in v4.1, Interactive in v5.1), and a test-made round's for digits.
TOKEN_LIMITS = {
    "real": {"Server": {"ttft": 2000000000, "tpot": 200000000}, "Interactive": {"ttft": 450000000, "tpot": 40000000}},
    "demo": {"Server": {"ttft": 10000000, "tpot": 1000000}, "Interactive": {"ttft": 1000000, "tpot": 100000}},
}
DEMO_TOKENS = {TTFT: 1330000, TPOT: 200000}  # the demo Server run's p99 latency (1.33 ms) as its TTFT


def with_tokens(tree: Tree, tmp_path: Path, *, interactive: bool = False) -> Tree:
    """Real: the AMD llama2-70b copy as it is (token latencies measured, v4.1 limits).

    Demo: no published round gives digits token-latency limits and the demo ran without token latencies, so the
    tree is checked against a test-made round with TOKEN_LIMITS["demo"] (Server only, or Interactive too), and its
    Server log gets the three records LoadGen writes in token mode (requested_use_token_latencies, p99 TTFT, TPOT).
    """
    if tree.real:
        return tree
    limits = {k: v for k, v in TOKEN_LIMITS["demo"].items() if interactive or k == "Server"}
    rules = tmp_path / "token_latencies.yaml"
    rules.write_text(f"extends: {DEMO_RULES}\nmodels: {{digits: {{llm_p99_limits_ns: {json.dumps(limits)}}}}}\n")
    log = tree.path(tree.perf_detail("Server"))
    add_record(log, "requested_use_token_latencies", True, after="requested_sample_concatenate_permutation")
    for key, value in DEMO_TOKENS.items():
        add_record(log, key, value, after="result_validity")
    return replace(tree, rules_path=str(rules))


def test_pe012_pass_real_server(server_tree: Tree, tmp_path: Path) -> None:
    assert with_tokens(server_tree, tmp_path).findings("PE012") == []


def test_pe012_fail_ttft_at_limit(server_tree: Tree, tmp_path: Path) -> None:
    tree = with_tokens(server_tree, tmp_path)
    log, limit = tree.perf_detail("Server"), TOKEN_LIMITS[tree.kind]["Server"]["ttft"]  # 2000000000 on the real tree
    number = set_record(tree.path(log), TTFT, limit)
    finding = tree.only("PE012")
    assert (finding.path, finding.line, finding.key) == (log, number, TTFT)
    assert (finding.expected, finding.found) == (f"< {limit}", limit)


def test_pe012_fail_token_latencies_not_measured(server_tree: Tree, tmp_path: Path) -> None:
    tree = with_tokens(server_tree, tmp_path)
    number = set_record(tree.path(tree.perf_detail("Server")), "requested_use_token_latencies", False)
    finding = tree.only("PE012")
    assert (finding.line, finding.key) == (number, "requested_use_token_latencies")
    assert (finding.expected, finding.found) == (True, False)


def test_pe012_pin_interactive_judged_by_interactive_limits(server_tree: Tree, tmp_path: Path) -> None:
    """Deliberate difference: the newest official checker applies Server limits to Interactive folders.

    The real run (p99 TTFT 785 ms, TPOT 190 ms) is inside the Server limits (2 s, 200 ms) but not the
    Interactive ones (450 ms, 40 ms), so the same log passes as Server and fails as Interactive. The demo's
    Server log (TTFT 1.33 ms, TPOT 0.2 ms) is judged the same way by a test-made round (10 ms/1 ms; 1 ms/0.1 ms).
    """
    tree = with_tokens(server_tree, tmp_path, interactive=True)
    if tree.real:
        interactive, later = _as_interactive(tree.root), tree.under("v5.1")
    else:
        results = tree.path(tree.results)
        shutil.copytree(results / "Server", results / "Interactive")
        interactive, later = tree.perf_detail("Interactive"), tree
    limits = TOKEN_LIMITS[tree.kind]
    ttft, tpot = get_record(tree.path(interactive), TTFT), get_record(tree.path(interactive), TPOT)
    assert limits["Interactive"]["ttft"] <= ttft < limits["Server"]["ttft"]
    assert limits["Interactive"]["tpot"] <= tpot < limits["Server"]["tpot"]
    found = later.findings("PE012")
    assert not [f for f in found if "/Server/" in f.path]
    assert {(f.path, f.key, f.expected, f.found) for f in found} == {
        (interactive, TTFT, f"< {limits['Interactive']['ttft']}", ttft),
        (interactive, TPOT, f"< {limits['Interactive']['tpot']}", tpot),
    }


def test_pe012_interactive_falls_back_to_server_limits_when_round_has_none(server_tree: Tree, tmp_path: Path) -> None:
    tree = with_tokens(server_tree, tmp_path)  # v4.1 (and the demo's token round) define only Server limits
    if tree.real:
        _as_interactive(tree.root)
    else:
        results = tree.path(tree.results)
        shutil.copytree(results / "Server", results / "Interactive")
    assert tree.path(tree.perf_detail("Interactive")).is_file()
    assert tree.findings("PE012") == []


def test_pe012_nan_latency_must_not_pass(server_tree: Tree, tmp_path: Path) -> None:
    tree = with_tokens(server_tree, tmp_path)
    set_record(tree.path(tree.perf_detail("Server")), TTFT, math.nan)
    assert [f.key for f in tree.findings("PE012")] == [TTFT]


# --- PE013 early stopping -----------------------------------------------------------------------------------
def test_pe013_pass_met_and_offline_not_judged(tree: Tree) -> None:
    set_record(tree.path(tree.perf_detail("SingleStream")), "early_stopping_met", "true")
    set_record(tree.path(tree.perf_detail()), "early_stopping_met", False)
    assert tree.findings("PE013") == []


def test_pe013_fail_not_met(tree: Tree) -> None:
    number = set_record(tree.path(tree.perf_detail("SingleStream")), "early_stopping_met", False)
    finding = tree.only("PE013")
    assert (finding.path, finding.line, finding.key) == (tree.perf_detail("SingleStream"), number, "early_stopping_met")
    assert (finding.expected, finding.found) == (True, False)


# --- PE014 equal-issue mode ---------------------------------------------------------------------------------
EQUAL_ISSUE = "effective_sample_concatenate_permutation"


def _drop_conf_line(path: Path, needle: str) -> None:
    path.write_text("".join(line for line in path.read_text().splitlines(True) if needle not in line))


def _conf_model(tree: Tree) -> str:
    """The model name the tree's conf files use (LoadGen's name for gptj-99; digits)."""
    return "gptj" if tree.real else tree.benchmark


def _equal_issue(tree: Tree, tmp_path: Path) -> Tree:
    """The real tree as it is; the demo tree against a test-made round that lists digits for equal-issue mode.

    No published round lists digits, and the demo ran without it (its LoadGen 6 logs say false), so the demo's
    performance logs are set to say true: a tree that meets the rule, for each test to break one way.
    """
    if tree.real:
        return tree
    rules = tmp_path / "equal_issue.yaml"
    rules.write_text(f"extends: {DEMO_RULES}\nequal_issue: {{models: [digits], divisions: [closed, network]}}\n")
    for scenario in _scenarios(tree):
        set_record(tree.path(tree.perf_detail(scenario)), EQUAL_ISSUE, True)
    return replace(tree, rules_path=str(rules))


def _log_equal_issue_off(tree: Tree) -> int:
    """The Offline log says equal-issue mode was off while mlperf.conf enables it; returns the record's line."""
    log = tree.path(tree.perf_detail())
    if tree.real:  # the v4.1 build logs no such record; mlperf.conf's gptj line says 1
        return add_record(log, EQUAL_ISSUE, False, after="effective_scenario")
    with tree.path(f"{tree.measurements()}/mlperf.conf").open("a") as stream:
        stream.write("digits.*.sample_concatenate_permutation = 1\n")
    return set_record(log, EQUAL_ISSUE, False)


def test_pe014_pass_logged_true(server_tree: Tree, tmp_path: Path) -> None:
    tree = _equal_issue(server_tree, tmp_path)
    assert get_record(tree.path(tree.perf_detail("Server")), EQUAL_ISSUE) is True
    conf = tree.path(f"{tree.measurements('Server')}/mlperf.conf")
    _drop_conf_line(conf, "sample_concatenate_permutation")  # the log decides, not the conf
    assert tree.findings("PE014") == []


def test_pe014_pin_fallback_to_conf_when_not_logged(tree: Tree, tmp_path: Path) -> None:
    """The v4.1 LoadGen build of this run does not log the setting; mlperf.conf's gptj line decides.

    The demo's LoadGen logs it: the record is dropped, and a digits line is added to mlperf.conf.
    """
    tree = _equal_issue(tree, tmp_path)
    log, conf = tree.perf_detail(), tree.path(f"{tree.measurements()}/mlperf.conf")
    if tree.demo:
        drop_record(tree.path(log), EQUAL_ISSUE)
        with conf.open("a") as stream:
            stream.write("digits.*.sample_concatenate_permutation = 1\n")
    with pytest.raises(KeyError):
        get_record(tree.path(log), EQUAL_ISSUE)
    assert tree.findings("PE014") == []
    _drop_conf_line(conf, f"{_conf_model(tree)}.*.sample_concatenate_permutation")
    finding = tree.only("PE014")
    assert (finding.path, finding.line, finding.key) == (log, None, EQUAL_ISSUE)
    assert (finding.expected, finding.found) == (True, "not logged and not set in mlperf.conf/user.conf")


def test_pe014_fail_user_conf_overrides_mlperf_conf(tree: Tree, tmp_path: Path) -> None:
    tree = _equal_issue(tree, tmp_path)
    model = _conf_model(tree)
    if tree.demo:  # as on the real tree: not logged, and mlperf.conf enables it
        drop_record(tree.path(tree.perf_detail("SingleStream")), EQUAL_ISSUE)
        with tree.path(f"{tree.measurements('SingleStream')}/mlperf.conf").open("a") as stream:
            stream.write(f"{model}.*.sample_concatenate_permutation = 1\n")
    assert tree.findings("PE014") == []
    with tree.path(f"{tree.measurements('SingleStream')}/user.conf").open("a") as stream:
        stream.write(f"\n{model}.SingleStream.sample_concatenate_permutation = 0\n")
    assert tree.only("PE014").path == tree.perf_detail("SingleStream")


def test_pe014_fail_log_false_beats_conf(tree: Tree, tmp_path: Path) -> None:
    tree = _equal_issue(tree, tmp_path)
    log = tree.perf_detail()
    number = _log_equal_issue_off(tree)
    finding = tree.only("PE014")  # mlperf.conf still says 1
    assert (finding.path, finding.line, finding.found) == (log, number, False)


def test_pe014_pass_open_division_not_required_in_v41(tree: Tree, tmp_path: Path) -> None:
    tree = _equal_issue(tree, tmp_path)
    _log_equal_issue_off(tree)
    assert len(tree.findings("PE014")) == 1  # closed: required
    move_division(tree.root, tree.submitter, "closed", "open")
    assert tree.findings("PE014") == []


# --- PE015 LoadGen build mismatch ---------------------------------------------------------------------------
def test_pe015_pass_same_build(tree: Tree) -> None:
    assert tree.findings("PE015") == []


def test_pe015_fail_accuracy_log_from_other_build(tree: Tree) -> None:
    accuracy = tree.accuracy_detail()
    build = LOADGEN_BUILD[tree.kind]
    other = build.split(" @ ")[0] + " @ 0000000000"  # 4.1 @ 0000000000 on the real tree
    number = set_record(tree.path(accuracy), "loadgen_version", other)
    finding = tree.only("PE015")
    assert (finding.path, finding.line, finding.key) == (accuracy, number, "loadgen_version")
    assert (finding.expected, finding.found) == (build, other)
    assert finding.severity.value == "warning"  # same release, another commit


def test_pe015_fail_log_from_other_release_is_an_error(tree: Tree) -> None:
    set_record(tree.path(tree.accuracy_detail()), "loadgen_version", "4.0 @ 1111111111")
    finding = tree.only("PE015")
    assert (finding.severity.value, finding.found, finding.message) == (
        "error",
        "4.0 @ 1111111111",
        "accuracy log was made by another LoadGen release",
    )


def test_pe015_real_google_audit_logs(tmp_path: Path) -> None:
    root = copy_system(tmp_path, "closed", "Google", "tpu_v6_x4_flax")
    base = "closed/Google/compliance/tpu_v6_x4_flax/stable-diffusion-xl"
    found = {(f.path, f.found) for f in findings(root, "PE015")}
    assert found == {
        (f"{base}/offline/TEST01/performance/run_1/mlperf_log_detail.txt", "4.1 @ 019f9ac3e6"),
        (f"{base}/offline/TEST04/performance/run_1/mlperf_log_detail.txt", "4.1 @ 019f9ac3e6"),
        (f"{base}/server/TEST04/performance/run_1/mlperf_log_detail.txt", "4.1 @ 019f9ac3e6"),
    }


# --- PE016 scenario mismatch --------------------------------------------------------------------------------
def test_pe016_pass_inferred_offline_on_edge(tree: Tree) -> None:
    set_record(tree.path(tree.perf_detail()), "effective_scenario", "SingleStream")
    assert tree.findings("PE016") == []


def test_pe016_pass_interactive_is_a_server_run(server_tree: Tree) -> None:
    if server_tree.real:
        _as_interactive(server_tree.root)
    else:
        shutil.copytree(
            server_tree.path(f"{server_tree.results}/Server"), server_tree.path(f"{server_tree.results}/Interactive")
        )
    assert server_tree.path(server_tree.perf_detail("Interactive")).is_file()
    assert server_tree.under("v5.1").findings("PE016") == []


def test_pe016_fail_server_run_in_offline_folder(tree: Tree) -> None:
    number = set_record(tree.path(tree.perf_detail()), "effective_scenario", "Server")
    finding = tree.only("PE016")
    assert (finding.path, finding.line, finding.key) == (tree.perf_detail(), number, "effective_scenario")
    assert (finding.expected, finding.found) == (["Offline", "SingleStream", "MultiStream"], "Server")


def test_pe016_fail_inferred_result_on_datacenter(tree: Tree) -> None:
    set_record(tree.path(tree.perf_detail()), "effective_scenario", "SingleStream")
    edit_json(tree.path(tree.system), system_type="datacenter")
    assert tree.only("PE016").found == "SingleStream"


# --- PE017 summary disagrees --------------------------------------------------------------------------------
def test_pe017_pass_within_printed_precision(tree: Tree) -> None:
    assert tree.findings("PE017") == []
    if tree.real:
        set_summary(tree.path(tree.perf_summary("Offline")), "Samples per second", "0.93")  # detail: 0.927649
        assert tree.findings("PE017") == []


def test_pe017_fail_validity(tree: Tree) -> None:
    summary = tree.perf_summary("SingleStream")
    number = set_summary(tree.path(summary), "Result is", "INVALID")
    finding = tree.only("PE017")
    assert (finding.path, finding.line, finding.key) == (summary, number, "Result is")
    assert (finding.expected, finding.found) == ("VALID", "INVALID")


def test_pe017_fail_metric(tree: Tree) -> None:
    summary = tree.perf_summary("Offline")
    if tree.real:
        shown, detail = "0.92", 0.927649
    else:  # the demo's detail log: result_samples_per_second 764522
        detail = get_record(tree.path(tree.perf_detail()), "result_samples_per_second")
        shown = str(round(detail * 0.99))
    number = set_summary(tree.path(summary), "Samples per second", shown)
    finding = tree.only("PE017")
    assert (finding.path, finding.line, finding.key) == (summary, number, "Samples per second")
    assert (finding.expected, finding.found) == (detail, float(shown))


# --- PE018 network SUT name ---------------------------------------------------------------------------------
def _network_results(tree: Tree) -> str:
    """The results folder once the submitter moved to network/ (NETWORK_RESULTS on the real tree)."""
    return tree.results.replace(f"{tree.division}/", "network/", 1)


def _scenarios(tree: Tree) -> tuple[str, ...]:
    return ("Offline", "SingleStream") if tree.real else ("Offline", "Server", "SingleStream", "MultiStream")


def test_pe018_pass_network_sut_name_and_other_divisions(tree: Tree) -> None:
    assert tree.findings("PE018") == []  # closed: not judged
    move_division(tree.root, tree.submitter, "closed", "network")
    for scenario in _scenarios(tree):
        log = tree.path(perf_detail(scenario, _network_results(tree)))
        set_record(log, "sut_name", f"gptj {scenario} Network SUT")
    assert tree.findings("PE018") == []


def test_pe018_fail_network_run_with_plain_sut(tree: Tree) -> None:
    sut = "gptj-Offline-SUT" if tree.real else get_record(tree.path(tree.perf_detail()), "sut_name")
    move_division(tree.root, tree.submitter, "closed", "network")
    found = {f.path: f for f in tree.findings("PE018")}
    log = perf_detail("Offline", _network_results(tree))
    assert set(found) == {perf_detail(scenario, _network_results(tree)) for scenario in _scenarios(tree)}
    assert (found[log].key, found[log].found) == ("sut_name", sut)
    assert found[log].expected == "contains 'Network SUT'"
    assert found[log].line == line_of(tree.path(log), "sut_name")


# --- PE019 primary metric missing --------------------------------------------------------------------------
def test_pe019_pass_metric_present(tree: Tree) -> None:
    assert tree.findings("PE019") == []


def test_pe019_fail_metric_record_dropped(tree: Tree) -> None:
    # gptj-99 Offline in v4.1 is scored by the inferred tokens per second record; digits by samples per second
    metric = OFFLINE_METRIC[tree.kind]
    drop_record(tree.path(tree.perf_detail()), metric)
    finding = tree.only("PE019")
    assert (finding.path, finding.key, finding.found) == (tree.perf_detail(), metric, None)
    assert finding.expected == "a positive number"


def test_pe019_fail_inferred_offline_with_zero_latency(tree: Tree) -> None:
    set_record(tree.path(tree.perf_detail()), "effective_scenario", "MultiStream")
    add_record(tree.path(tree.perf_detail()), "result_mean_query_latency_ns", 5e-324)
    finding = tree.only("PE019")
    assert finding.path == tree.perf_detail()


def test_pe017_fail_summary_with_bad_bytes(tree: Tree) -> None:
    path = tree.path(tree.perf_summary("Offline"))
    path.write_bytes(path.read_bytes()[:40] + b"\xff\xfe" + path.read_bytes()[40:])
    finding = tree.only("PE017")
    assert finding.path == tree.perf_summary("Offline")
    assert finding.found == "not valid UTF-8 (first bad byte at offset 40)"
