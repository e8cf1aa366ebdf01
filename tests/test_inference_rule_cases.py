"""Inference rules as data: passing and failing cases per code over a copy of the bundled demo tree.

Every case copies ``fixtures/valid`` (made with real LoadGen by ``reference_sut``, so nothing here needs
``../shared/data``), applies one small named mutation, runs only the case's rule in-process against the
demo round (``rules/demo/demo.yaml``, optionally with a few keys overridden) and checks the outcome: the
code fires with its severity on the expected file, key and line, or it stays silent.
``test_every_inference_code_has_cases`` keeps the table complete as rules are added.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.discovery import discover
from checker.engine import Report, Selection, run_checks
from checker.findings import Finding, Severity
from checker.registry import load_all
from checker.rounds import Round
from checker.waivers import apply_waiver_file
from tests import mutate

REPO = Path(__file__).resolve().parent.parent
VALID = REPO / "fixtures" / "valid"
DEMO = REPO / "rules" / "demo" / "demo.yaml"
TODAY = date(2026, 12, 1)

ERR, WARN, NOTE = Severity.ERROR, Severity.WARNING, Severity.NOTICE
SUB = "closed/SubcheckDemo"
SYSTEM = f"{SUB}/systems/demo_cpu_numpy.json"
RESULTS = f"{SUB}/results/demo_cpu_numpy"
BENCH = f"{RESULTS}/digits"
SCENARIOS = ("Offline", "Server", "SingleStream", "MultiStream")
MARKER = ":::MLLOG "
_UNSET = mutate._UNSET  # one "leave the value" sentinel with the helpers it is passed to

Mutation = Callable[[Path], None]


def res(scenario: str = "Offline", rel: str = "") -> str:
    """A path inside one result folder (merged layout: everything under the scenario folder)."""
    return f"{BENCH}/{scenario}" + (f"/{rel}" if rel else "")


def perf(scenario: str = "Offline", name: str = "mlperf_log_detail.txt", test: str | None = None) -> str:
    return res(scenario, (f"{test}/" if test else "") + f"performance/run_1/{name}")


def acc(scenario: str = "Offline", name: str = "accuracy.txt") -> str:
    return res(scenario, f"accuracy/{name}")


# --- mutations: small named functions of the tree root --------------------------------------------------
def chain(*steps: Mutation) -> Mutation:
    def fn(root: Path) -> None:
        for step in steps:
            step(root)

    return fn


def write(rel: str, content: str | bytes) -> Mutation:
    """Create or overwrite a file (and its folders)."""

    def fn(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return fn


def delete(rel: str) -> Mutation:
    def fn(root: Path) -> None:
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()

    return fn


def rename(rel: str, new_rel: str) -> Mutation:
    def fn(root: Path) -> None:
        (root / new_rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).rename(root / new_rel)

    return fn


def copy(rel: str, new_rel: str) -> Mutation:
    def fn(root: Path) -> None:
        source, target = root / rel, root / new_rel
        if target.is_dir():
            shutil.rmtree(target)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)

    return fn


def mkdir(rel: str) -> Mutation:
    return lambda root: (root / rel).mkdir(parents=True, exist_ok=True)


def symlink(rel: str, target: str) -> Mutation:
    return lambda root: os.symlink(target, root / rel)


def replace(rel: str, old: str, new: str) -> Mutation:
    """Replace text in a file; the text must be there, so a stale case fails loudly."""

    def fn(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return fn


def pad(rel: str, size: int) -> Mutation:
    """Grow a file past ``size`` bytes with trailing blank lines (a log that was never truncated)."""

    def fn(root: Path) -> None:
        path = root / rel
        path.write_bytes(path.read_bytes() + b"\n" * max(0, size + 1 - path.stat().st_size))

    return fn


def record(rel: str, key: str, value: Any = _UNSET, **metadata: Any) -> Mutation:
    """Change the first ``key`` record of a LoadGen detail log (its value and/or metadata)."""
    return lambda root: mutate.set_record(root / rel, key, value, metadata=metadata)


def drop(rel: str, key: str) -> Mutation:
    """Delete every ``key`` record of a detail log."""
    return lambda root: mutate.drop_record(root / rel, key)


def add(rel: str, key: str, value: Any) -> Mutation:
    """Append a LoadGen-style record to a detail log."""
    return lambda root: mutate.add_record(root / rel, key, value)


def summary(rel: str, name: str, value: str) -> Mutation:
    """Rewrite the first ``Name : value`` line of a summary log."""
    return lambda root: mutate.set_summary(root / rel, name, value)


def edit_json(rel: str, drop_keys: tuple[str, ...] = (), **changes: Any) -> Mutation:
    return lambda root: mutate.edit_json(root / rel, drop_keys, **changes)


def system(drop_keys: tuple[str, ...] = (), **changes: Any) -> Mutation:
    return edit_json(SYSTEM, drop_keys, **changes)


def move_division(target: str) -> Mutation:
    """Move the submitter to another division folder (the description keeps saying closed)."""
    return rename("closed", target)


def rename_benchmark(new: str) -> Mutation:
    """Rename the digits result folder and its code folder."""
    return chain(rename(BENCH, f"{RESULTS}/{new}"), rename(f"{SUB}/src/digits", f"{SUB}/src/{new}"))


def all_scenarios(make: Callable[[str], Mutation]) -> Mutation:
    return chain(*(make(s) for s in SCENARIOS))


# --- power: a synthetic PTD run around the Offline run's power_begin..power_end (11:08:25.541 .. 11:08:27.196)
POWER_FILES = ("client.json", "client.log", "server.json", "server.log")
RANGING_FILES = ("mlperf_log_summary.txt", "mlperf_log_detail.txt", "spl.txt")


def spl(*stamps: str, watts: float = 50.0) -> str:
    return "".join(f"Time,11-23-2026 {s},Watts,{watts},Volts,230.0,Amps,0.2,PF,0.9,Mark,run\n" for s in stamps)


def power(
    spl_text: str = spl("11:08:25.000", "11:08:26.000", "11:08:28.000"), ptd: str = "", *, complete: bool = True
) -> Mutation:
    """Make the Offline result a power result: performance/power/, the ranging run, and run_1/spl.txt."""
    steps = [write(res("Offline", "performance/power/ptd_logs.txt"), ptd), write(perf("Offline", "spl.txt"), spl_text)]
    if complete:
        steps += [write(res("Offline", f"performance/power/{n}"), "{}\n") for n in POWER_FILES]
        steps += [
            copy(
                perf("Offline", n if n != "spl.txt" else "mlperf_log_detail.txt"),
                res("Offline", f"performance/ranging/{n}"),
            )
            for n in RANGING_FILES
        ]
    return chain(*steps)


PTD_RANGING = (
    "11-23-2026 11:08:20.000: Go with mark 'digits_ranging'\n"
    "11-23-2026 11:08:21.000: ERROR: Can't evaluate uncertainty\n"
    "11-23-2026 11:08:22.000: Completed test\n"
)
PTD_ERROR = PTD_RANGING + "11-23-2026 11:08:26.000: ERROR: Lost connection to the analyzer\n"

# --- accuracy logs --------------------------------------------------------------------------------------
ACC_LOG = acc("Offline", "mlperf_log_accuracy.json")
AUDIT_LOG = perf("Offline", "mlperf_log_accuracy.json", test="TEST01")
# One response record of mlperf_log_accuracy.json, whitespace normalised.
RESPONSE = re.compile(r'^\{ "seq_id" : \d+, "qsl_idx" : \d+, "data" : "([0-9A-Fa-f]*)" \}$')


def responses(path: Path) -> list[str]:
    """The whole response records of an accuracy log; the fixture's logs are truncated as the rules require
    (first and last 4096 characters), so the records cut in half at the ``...`` are left out."""
    found = (" ".join(e.split()) for e in re.findall(r"\{[^{}]*\}", path.read_text(encoding="utf-8")))
    return [e for e in found if RESPONSE.match(e)]


def other_data(entry: str) -> str:
    """The record with another response."""
    data = RESPONSE.match(entry).group(1)  # type: ignore[union-attr]
    return entry.replace(f'"{data}"', '"' + ("FF" if not data.startswith("FF") else "00") + data[2:] + '"')


def keep_entries(rel: str, count: int) -> Mutation:
    """Rewrite an accuracy log as complete JSON holding its first ``count`` whole responses (untruncated)."""

    def fn(root: Path) -> None:
        entries = responses(root / rel)[:count]
        (root / rel).write_text("[\n" + ",\n".join(entries) + "\n]\n", encoding="utf-8")

    return fn


def flip_first_response(rel: str) -> Mutation:
    """Change the data of the first response of an untruncated accuracy log."""

    def fn(root: Path) -> None:
        entries = responses(root / rel)
        (root / rel).write_text("[\n" + ",\n".join([other_data(entries[0]), *entries[1:]]) + "\n]\n", encoding="utf-8")

    return fn


def audit_disagrees(root: Path) -> None:
    """The TEST01 audit logged the accuracy run's first visible sample with another response."""
    (root / AUDIT_LOG).write_text("[\n" + other_data(responses(root / ACC_LOG)[0]) + "\n]\n", encoding="utf-8")


# Untruncated accuracy logs on both sides: the audit logged exactly the accuracy run's responses.
COMPLETE_AUDIT = chain(keep_entries(AUDIT_LOG, 10**6), copy(AUDIT_LOG, ACC_LOG))


def verify_fail(rel: str) -> Mutation:
    return replace(rel, "TEST PASS", "TEST FAIL")


TEST06_PASS = "First token check pass: True\nEOS check pass: True\nSample length check pass: True\nTEST PASS\n"


def waiver(code: str, path: str, expires: str = "2027-01-01") -> str:
    return (
        f"- code: {code}\n  path: '{path}'\n  reason: demo case\n  approved_by: reviewer@example.org\n"
        f"  expires: '{expires}'\n"
    )


# --- the table ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One expected outcome of one rule on the mutated demo tree.

    ``severity`` None: the code must not fire (on ``path`` when given: a passing case). Otherwise the code's
    findings on ``path`` (relative to the root; all when None) have that severity, and one of them has
    ``key`` and is on line ``line`` (a number, or the key of the detail-log record it must point at).
    """

    code: str
    why: str
    mutate: Mutation | None = None
    severity: Severity | None = ERR
    path: str | None = None
    key: str | None = None
    line: str | int | None = None
    rules: dict[str, Any] = field(default_factory=dict)  # merged over the demo round
    waivers: str | None = None  # a waiver file applied after the run (WV codes)
    also: tuple[str, ...] = ()  # further codes to run (the finding a waiver is about)


def passes(code: str, why: str = "the untouched demo submission", mutate: Mutation | None = None, **kw: Any) -> Case:
    return Case(code, why, mutate, None, **kw)


def fails(code: str, why: str, mutate: Mutation | None, severity: Severity = ERR, **kw: Any) -> Case:
    return Case(code, why, mutate, severity, **kw)


def model(**settings: Any) -> dict[str, Any]:
    return {"models": {"digits": settings}}


LLM = model(llm_p99_limits_ns={"Server": {"ttft": 10**9, "tpot": 10**8}})  # digits judged like an LLM


def upper_limit(maximum: float) -> dict[str, Any]:
    return model(accuracy_upper_limits=[{"metric": "acc", "max": maximum, "absolute": True}])


CASES: list[Case] = [
    # ST: tree shape
    fails("ST001", "a folder at the root that is no division", write("extras/notes.md", "x"), WARN, path="extras"),
    passes("ST001", ".github is tolerated", write(".github/workflows/ci.yml", "on: push\n")),
    fails("ST002", "a CSV at the submission root", write("results.csv", "a,b\n"), path="results.csv"),
    passes("ST002", "a Markdown document at the root", write("README.md", "# results\n")),
    fails("ST003", "a file directly inside closed/", write("closed/notes.txt", "x"), path="closed/notes.txt"),
    passes("ST003"),
    fails("ST004", "results/demo_cpu_numpy has no description", delete(SYSTEM), path=SYSTEM),
    passes("ST004"),
    fails(
        "ST005",
        "a description without results",
        copy(SYSTEM, f"{SUB}/systems/spare.json"),
        path=f"{SUB}/systems/spare.json",
    ),
    passes(
        "ST005",
        "the same, in a round that allows it",
        copy(SYSTEM, f"{SUB}/systems/spare.json"),
        rules={"systems_must_have_results": False},
    ),
    fails("ST006", "a benchmark folder that is no benchmark", rename_benchmark("cats"), path=f"{RESULTS}/cats"),
    passes("ST006"),
    fails("ST007", "a scenario folder that is no scenario", rename(res("Server"), res("Batch")), path=res("Batch")),
    fails(
        "ST007",
        "Interactive is not allowed for digits on an edge system",
        rename(res("Server"), res("Interactive")),
        path=res("Interactive"),
    ),
    passes("ST007", "lower-case scenario folders are accepted", rename(res("Server"), res("server"))),
    fails("ST008", "the round has no edge table for digits", None, path=BENCH, rules=model(scenarios={"edge": None})),
    passes("ST008"),
    fails("ST009", "the required Offline scenario is missing", delete(res("Offline")), path=BENCH),
    passes("ST009", "an optional scenario (Server) is missing", delete(res("Server"))),
    fails(
        "ST010",
        "performance/run_1 lacks its summary",
        delete(perf("Offline", "mlperf_log_summary.txt")),
        path=perf("Offline", "mlperf_log_summary.txt"),
    ),
    passes("ST010"),
    fails("ST011", "accuracy/ lacks accuracy.txt", delete(acc()), path=acc()),
    passes("ST011"),
    fails("ST012", "no src/digits or code/digits", delete(f"{SUB}/src"), path=f"{SUB}/src/digits"),
    passes("ST012", "code/ instead of src/", rename(f"{SUB}/src", f"{SUB}/code")),
    fails(
        "ST013", "no calibration document", delete(f"{SUB}/documentation/calibration.md"), path=f"{SUB}/calibration.md"
    ),
    passes(
        "ST013",
        "calibration.md at the submitter's top folder",
        rename(f"{SUB}/documentation/calibration.md", f"{SUB}/calibration.md"),
    ),
    fails("ST014", "a hidden file", write(f"{SUB}/src/digits/.notes", "x"), path=f"{SUB}/src/digits/.notes"),
    fails(
        "ST014", "a space in a name", write(f"{SUB}/src/digits/my notes.md", "x"), path=f"{SUB}/src/digits/my notes.md"
    ),
    passes("ST014"),
    fails("ST015", "an empty folder", mkdir(f"{SUB}/src/digits/empty"), path=f"{SUB}/src/digits/empty"),
    passes("ST015"),
    fails(
        "ST016",
        "a broken symbolic link",
        symlink(f"{SUB}/src/digits/model.py", "nowhere.py"),
        path=f"{SUB}/src/digits/model.py",
    ),
    passes("ST016"),
    # SY: the system description
    fails("SY001", "truncated JSON", write(SYSTEM, '{"division": "closed",\n'), path=SYSTEM, line=2),
    passes("SY001"),
    fails("SY002", "cooling is missing", system(drop_keys=("cooling",)), path=SYSTEM, key="cooling"),
    passes("SY002"),
    fails("SY003", "a count written as text", system(number_of_nodes="2x"), path=SYSTEM, key="number_of_nodes"),
    passes("SY003", "a digit string is accepted", system(number_of_nodes="1")),
    fails("SY004", "an empty system_name", system(system_name=" "), path=SYSTEM, key="system_name"),
    passes("SY004", "empty notes are allowed"),
    fails("SY005", "an unknown availability", system(status="beta"), path=SYSTEM, key="status"),
    passes("SY005", "case does not matter", system(status="Available")),
    fails("SY006", "an unknown system type", system(system_type="embedded"), path=SYSTEM, key="system_type"),
    passes("SY006", "datacenter,edge", system(system_type="datacenter,edge")),
    fails("SY007", "another submitter", system(submitter="OtherOrg"), path=SYSTEM, key="submitter"),
    passes("SY007", "case does not matter", system(submitter="subcheckdemo")),
    fails("SY008", "division open in closed/", system(division="open"), path=SYSTEM, key="division"),
    passes("SY008"),
    fails("SY009", "a network system in closed", system(is_network=True), path=SYSTEM, key="is_network"),
    passes("SY009", "is_network false in closed", system(is_network=False)),
    fails("SY010", "a misspelt field", system(acelerators_per_node=1), NOTE, path=SYSTEM, key="acelerators_per_node"),
    passes("SY010"),
    # DV: divisions and categories
    fails(
        "DV001",
        "a closed folder that only resolves through a guess",
        rename_benchmark("resnet50-digits"),
        path=f"{RESULTS}/resnet50-digits",
    ),
    passes("DV001"),
    fails(
        "DV002",
        "open: model_mapping.json names no benchmark",
        chain(
            move_division("open"),
            rename(
                "open/SubcheckDemo/results/demo_cpu_numpy/digits", "open/SubcheckDemo/results/demo_cpu_numpy/my-digits"
            ),
            write("open/SubcheckDemo/model_mapping.json", '{"my-digits": "cats"}'),
        ),
        path="open/SubcheckDemo/model_mapping.json",
        key="my-digits",
    ),
    passes(
        "DV002",
        "open: model_mapping.json maps to digits",
        chain(
            move_division("open"),
            rename(
                "open/SubcheckDemo/results/demo_cpu_numpy/digits", "open/SubcheckDemo/results/demo_cpu_numpy/my-digits"
            ),
            write("open/SubcheckDemo/model_mapping.json", '{"my-digits": "digits"}'),
        ),
    ),
    fails("DV003", "a preview system", system(status="preview"), NOTE, path=SYSTEM, key="status"),
    passes("DV003", "an rdi system", system(status="rdi")),
    fails(
        "DV004",
        "Offline inferred from the SingleStream run",
        copy(res("SingleStream", "performance"), res("Offline", "performance")),
        NOTE,
        path=res("Offline"),
    ),
    passes("DV004"),
    # ME: measurements
    fails("ME001", "no measurements.json", delete(res("Offline", "measurements.json")), path=res("Offline")),
    passes("ME001"),
    fails(
        "ME002",
        "retraining is missing",
        edit_json(res("Offline", "measurements.json"), ("retraining",)),
        path=res("Offline", "measurements.json"),
        key="retraining",
    ),
    fails(
        "ME002",
        "unreadable JSON",
        write(res("Offline", "measurements.json"), "{"),
        path=res("Offline", "measurements.json"),
    ),
    passes("ME002"),
    fails("ME003", "an empty user.conf", write(res("Offline", "user.conf"), ""), path=res("Offline", "user.conf")),
    fails("ME003", "no README.md", delete(res("Offline", "README.md")), path=res("Offline", "README.md")),
    passes("ME003"),
    # PE: the performance run
    fails("PE001", "an empty detail log", write(perf(), ""), path=perf()),
    passes("PE001", "a missing detail log is ST010's", delete(perf())),
    fails(
        "PE002",
        "a truncated line",
        lambda root: (root / perf()).open("a").write(':::MLLOG {"key": "x"\n'),
        path=perf(),
        line=92,
    ),
    passes("PE002"),
    fails(
        "PE003",
        "LoadGen says INVALID",
        record(perf(), "result_validity", "INVALID"),
        path=perf(),
        key="result_validity",
        line="result_validity",
    ),
    passes("PE003"),
    fails(
        "PE004",
        "an error record",
        record(perf(), "generic_message", is_error=True),
        path=perf(),
        key="generic_message",
        line="generic_message",
    ),
    passes("PE004", "warning records are fine"),
    fails(
        "PE005",
        "an accuracy-mode log in performance/",
        record(perf(), "effective_test_mode", "AccuracyOnly"),
        path=perf(),
        key="effective_test_mode",
        line="effective_test_mode",
    ),
    passes("PE005"),
    fails(
        "PE006",
        "a changed QSL seed",
        record(perf(), "effective_qsl_rng_seed", 1234567890123456789),
        path=perf(),
        key="effective_qsl_rng_seed",
        line="effective_qsl_rng_seed",
    ),
    passes("PE006"),
    fails(
        "PE007",
        "min_duration 500 ms, below the demo's 1000 ms",
        record(perf(), "effective_min_duration_ms", 500),
        path=perf(),
        key="effective_min_duration_ms",
        line="effective_min_duration_ms",
    ),
    passes("PE007", "exactly the minimum (1000 ms)"),
    fails(
        "PE008",
        "Offline issued no query",
        record(perf(), "result_query_count", 0),
        path=perf(),
        key="result_query_count",
        line="result_query_count",
    ),
    passes("PE008", "SingleStream is judged by early stopping", record(perf("SingleStream"), "result_query_count", 0)),
    fails(
        "PE009",
        "100 samples loaded, 450 needed",
        record(perf(), "effective_performance_sample_count", 100),
        path=perf(),
        key="effective_performance_sample_count",
        line="effective_performance_sample_count",
    ),
    passes("PE009"),
    fails(
        "PE010",
        "an Offline query of 100 samples",
        record(perf(), "effective_samples_per_query", 100),
        path=perf(),
        key="effective_samples_per_query",
        line="effective_samples_per_query",
    ),
    passes("PE010"),
    fails(
        "PE011",
        "Server target latency 50 ms, bound 10 ms",
        record(perf("Server"), "effective_target_latency_ns", 50000000),
        path=perf("Server"),
        key="effective_target_latency_ns",
        line="effective_target_latency_ns",
    ),
    passes("PE011"),
    fails(
        "PE012",
        "token latencies not measured for an LLM-like Server run",
        None,
        path=perf("Server"),
        key="requested_use_token_latencies",
        rules=LLM,
    ),
    fails(
        "PE012",
        "p99 TTFT above the limit",
        chain(
            add(perf("Server"), "requested_use_token_latencies", True),
            add(perf("Server"), "result_first_token_99.00_percentile_latency_ns", 2 * 10**9),
            add(perf("Server"), "result_time_per_output_token_99.00_percentile_ns", 1000),
        ),
        path=perf("Server"),
        key="result_first_token_99.00_percentile_latency_ns",
        line="result_first_token_99.00_percentile_latency_ns",
        rules=LLM,
    ),
    passes(
        "PE012",
        "p99 TTFT and TPOT below the limits",
        chain(
            add(perf("Server"), "requested_use_token_latencies", True),
            add(perf("Server"), "result_first_token_99.00_percentile_latency_ns", 1000),
            add(perf("Server"), "result_time_per_output_token_99.00_percentile_ns", 1000),
        ),
        rules=LLM,
    ),
    fails(
        "PE013",
        "early stopping not met",
        record(perf("Server"), "early_stopping_met", False),
        path=perf("Server"),
        key="early_stopping_met",
        line="early_stopping_met",
    ),
    passes("PE013", "Offline has no early stopping", record(perf(), "early_stopping_met", False)),
    fails(
        "PE014",
        "equal-issue mode off for a benchmark that needs it",
        None,
        path=perf(),
        key="effective_sample_concatenate_permutation",
        line="effective_sample_concatenate_permutation",
        rules={"equal_issue": {"models": ["digits"]}},
    ),
    passes(
        "PE014",
        "equal-issue mode on",
        all_scenarios(lambda s: record(perf(s), "effective_sample_concatenate_permutation", True)),
        rules={"equal_issue": {"models": ["digits"]}},
    ),
    fails(
        "PE015",
        "the accuracy log comes from another LoadGen release",
        record(acc("Offline", "mlperf_log_detail.txt"), "loadgen_version", "5.1.0 @ d6147c7eb7"),
        path=acc("Offline", "mlperf_log_detail.txt"),
        key="loadgen_version",
        line="loadgen_version",
    ),
    fails(
        "PE015",
        "the TEST04 log comes from another commit of the same release",
        record(perf("Offline", test="TEST04"), "loadgen_version", "6.0.17 @ 0000000000"),
        WARN,
        path=perf("Offline", test="TEST04"),
        key="loadgen_version",
    ),
    passes("PE015"),
    fails(
        "PE016",
        "an Offline folder holding a Server run",
        copy(res("Server", "performance"), res("Offline", "performance")),
        path=perf(),
        key="effective_scenario",
        line="effective_scenario",
    ),
    passes(
        "PE016",
        "edge: Offline inferred from SingleStream",
        copy(res("SingleStream", "performance"), res("Offline", "performance")),
    ),
    fails(
        "PE017",
        "the summary says INVALID",
        summary(perf("Offline", "mlperf_log_summary.txt"), "Result is", "INVALID"),
        path=perf("Offline", "mlperf_log_summary.txt"),
        key="Result is",
        line=8,
    ),
    fails(
        "PE017",
        "the summary's metric differs",
        summary(perf("Offline", "mlperf_log_summary.txt"), "Samples per second", "800000"),
        path=perf("Offline", "mlperf_log_summary.txt"),
        key="Samples per second",
    ),
    passes("PE017"),
    fails(
        "PE018",
        "network division without a network SUT name",
        move_division("network"),
        path="network/SubcheckDemo/results/demo_cpu_numpy/digits/Offline/performance/run_1/mlperf_log_detail.txt",
        key="sut_name",
        line="sut_name",
    ),
    passes(
        "PE018",
        "network division, SUT named as a network SUT",
        chain(
            move_division("network"),
            *(record(perf(s).replace("closed/", "network/", 1), "sut_name", "demo Network SUT") for s in SCENARIOS),
        ),
    ),
    fails(
        "PE019",
        "the Offline metric record is missing",
        drop(perf(), "result_samples_per_second"),
        path=perf(),
        key="result_samples_per_second",
    ),
    passes("PE019"),
    fails(
        "PE020",
        "a VALID run whose minimum duration was not met",
        record(perf(), "result_min_duration_met", False),
        path=perf(),
        key="result_min_duration_met",
        line="result_min_duration_met",
    ),
    passes(
        "PE020",
        "an INVALID run with a failed criterion is PE003's",
        chain(record(perf(), "result_validity", "INVALID"), record(perf(), "result_min_duration_met", False)),
    ),
    # AC: the accuracy run
    fails("AC001", "accuracy.txt without the acc line", write(acc(), "hash=0123\n"), path=acc()),
    passes("AC001", "open needs only some metric", move_division("open")),
    fails(
        "AC002",
        "top-1 90 % below the 97.02 % target",
        replace(acc(), "accuracy=98.000%", "accuracy=90.000%"),
        path=acc(),
        key="acc",
        line=1,
    ),
    passes("AC002", "exactly the target", replace(acc(), "accuracy=98.000%", "accuracy=97.020%")),
    fails("AC003", "top-1 above an upper limit of 97.5", None, path=acc(), key="acc", line=1, rules=upper_limit(97.5)),
    passes("AC003", "within the upper limit", rules=upper_limit(99.0)),
    fails("AC004", "no hash= line", replace(acc(), "hash=", "sha="), path=acc()),
    passes("AC004"),
    fails("AC005", "an untruncated accuracy log over 10240 bytes", pad(ACC_LOG, 10240), path=ACC_LOG),
    passes("AC005", "a complete log under the limit"),
    fails("AC006", "the complete accuracy log holds 100 of 450 samples", keep_entries(ACC_LOG, 100), path=ACC_LOG),
    fails(
        "AC006",
        "the detail log says 100 samples were issued",
        chain(
            write(ACC_LOG, "[\n\n...\n\n]\n"),
            record(acc("Offline", "mlperf_log_detail.txt"), "effective_accuracy_sample_count", 100),
        ),
        path=acc("Offline", "mlperf_log_detail.txt"),
        key="effective_accuracy_sample_count",
        line="effective_accuracy_sample_count",
    ),
    passes("AC006"),
    fails(
        "AC007",
        "a performance log in accuracy/",
        record(acc("Offline", "mlperf_log_detail.txt"), "effective_test_mode", "PerformanceOnly"),
        path=acc("Offline", "mlperf_log_detail.txt"),
        key="effective_test_mode",
        line="effective_test_mode",
    ),
    passes("AC007"),
    fails(
        "AC008",
        "an error record in the accuracy run",
        record(acc("Offline", "mlperf_log_detail.txt"), "generic_message", is_error=True),
        path=acc("Offline", "mlperf_log_detail.txt"),
        key="generic_message",
        line="generic_message",
    ),
    passes("AC008"),
    fails(
        "AC009",
        "the listed sample images are missing",
        None,
        path=acc("Offline", "images"),
        rules=model(extra_accuracy_files={"ids": ["1", "2"]}),
    ),
    passes(
        "AC009",
        "every listed image is there",
        all_scenarios(
            lambda s: chain(write(acc(s, "images/1.png"), b"\x89PNG\0"), write(acc(s, "images/2.png"), b"\x89PNG\0"))
        ),
        rules=model(extra_accuracy_files={"ids": ["1", "2"]}),
    ),
    # CO: compliance audits
    fails("CO001", "no TEST04 folder", delete(res("Offline", "TEST04")), path=res("Offline", "TEST04")),
    passes(
        "CO001",
        "open needs no audit",
        chain(move_division("open"), delete("open/SubcheckDemo/results/demo_cpu_numpy/digits/Offline/TEST04")),
    ),
    fails(
        "CO002",
        "TEST01 lacks verify_performance.txt",
        delete(res("Offline", "TEST01/verify_performance.txt")),
        path=res("Offline", "TEST01/verify_performance.txt"),
    ),
    passes("CO002"),
    fails(
        "CO003",
        "the TEST04 run used another seed",
        record(perf("Offline", test="TEST04"), "effective_qsl_rng_seed", 1),
        path=perf("Offline", test="TEST04"),
        key="effective_qsl_rng_seed",
        line="effective_qsl_rng_seed",
        also=("PE006",),
    ),  # PE rules rerun, as selected
    passes("CO003", also=("PE006",)),
    fails(
        "CO004",
        "TEST04 did not issue the same sample",
        record(perf("Offline", test="TEST04"), "effective_performance_issue_same", False),
        path=perf("Offline", test="TEST04"),
        key="effective_performance_issue_same",
        line="effective_performance_issue_same",
    ),
    passes("CO004"),
    fails(
        "CO005",
        "TEST04 verify_performance.txt says TEST FAIL",
        verify_fail(res("Offline", "TEST04/verify_performance.txt")),
        path=res("Offline", "TEST04/verify_performance.txt"),
    ),
    passes("CO005"),
    fails(
        "CO006",
        "the TEST01 run is 87 % slower but the verify file says TEST PASS",
        record(perf("Offline", test="TEST01"), "result_samples_per_second", 100000),
        path=res("Offline", "TEST01/verify_performance.txt"),
    ),
    passes("CO006"),
    fails(
        "CO007",
        "the TEST04 same-sample run is 2.6x faster but says TEST PASS",
        record(perf("Offline", test="TEST04"), "result_samples_per_second", 2000000),
        path=res("Offline", "TEST04/verify_performance.txt"),
    ),
    passes("CO007"),
    fails(
        "CO008",
        "an audited response differs while verify_accuracy.txt says TEST PASS",
        audit_disagrees,
        path=res("Offline", "TEST01/verify_accuracy.txt"),
        key="num_perf_log_data_mismatch",
    ),
    fails(
        "CO008",
        "the same, while the accuracy run itself fails AC rules: a warning",
        chain(COMPLETE_AUDIT, flip_first_response(ACC_LOG)),
        WARN,
        path=res("Offline", "TEST01/verify_accuracy.txt"),
        key="num_perf_log_data_mismatch",
    ),
    fails(
        "CO008",
        "truncated logs: the verify file's verdict is used, and a notice says so",
        None,
        NOTE,
        path=res("Offline", "TEST01/verify_accuracy.txt"),
    ),
    passes(
        "CO008",
        "complete logs, every audited response equal",
        COMPLETE_AUDIT,
        path=res("Offline", "TEST01/verify_accuracy.txt"),
    ),
    fails(
        "CO009",
        "TEST01 failed and no baseline/compliance accuracy",
        verify_fail(res("Offline", "TEST01/verify_accuracy.txt")),
        path=res("Offline", "TEST01/accuracy"),
        key="acc",
    ),
    fails(
        "CO009",
        "TEST01 failed and the audited accuracy is 5 % lower",
        chain(
            verify_fail(res("Offline", "TEST01/verify_accuracy.txt")),
            write(res("Offline", "TEST01/accuracy/baseline_accuracy.txt"), "accuracy=98.000%\n"),
            write(res("Offline", "TEST01/accuracy/compliance_accuracy.txt"), "accuracy=93.000%\n"),
        ),
        path=res("Offline", "TEST01/accuracy/compliance_accuracy.txt"),
        key="acc",
    ),
    passes(
        "CO009",
        "TEST01 failed but the audited accuracy is within 1 %",
        chain(
            verify_fail(res("Offline", "TEST01/verify_accuracy.txt")),
            write(res("Offline", "TEST01/accuracy/baseline_accuracy.txt"), "accuracy=98.000%\n"),
            write(res("Offline", "TEST01/accuracy/compliance_accuracy.txt"), "accuracy=97.500%\n"),
        ),
    ),
    fails(
        "CO010",
        "TEST06 without the EOS pass line",
        write(res("Offline", "TEST06/verify_accuracy.txt"), TEST06_PASS.replace("EOS check pass: True\n", "")),
        path=res("Offline", "TEST06/verify_accuracy.txt"),
        rules=model(compliance_tests=["TEST01", "TEST04", "TEST06"]),
    ),
    passes(
        "CO010",
        "TEST06 with every pass line",
        write(res("Offline", "TEST06/verify_accuracy.txt"), TEST06_PASS),
        rules=model(compliance_tests=["TEST01", "TEST04", "TEST06"]),
    ),
    fails(
        "CO011",
        "TEST07 says TEST FAIL",
        write(res("Offline", "TEST07/verify_accuracy.txt"), "TEST FAIL\n"),
        path=res("Offline", "TEST07/verify_accuracy.txt"),
        rules=model(compliance_tests=["TEST01", "TEST04", "TEST07"]),
    ),
    passes(
        "CO011",
        "TEST07 says TEST PASS",
        write(res("Offline", "TEST07/verify_accuracy.txt"), "TEST PASS\n"),
        rules=model(compliance_tests=["TEST01", "TEST04", "TEST07"]),
    ),
    # PO: power (a synthetic PTD run around the real Offline run)
    fails(
        "PO001",
        "performance/power/ without the ranging run",
        power(complete=False),
        path=res("Offline", "performance/ranging/mlperf_log_detail.txt"),
    ),
    passes("PO001", "every power and ranging file", power()),
    fails(
        "PO002",
        "no PTD sample inside the run window",
        power(spl("11:08:20.000", "11:08:30.000")),
        path=perf("Offline", "spl.txt"),
    ),
    passes("PO002", "a positive sample inside the window", power()),
    fails(
        "PO003",
        "a PTD error while measuring",
        power(ptd=PTD_ERROR),
        path=res("Offline", "performance/power/ptd_logs.txt"),
        line=4,
    ),
    passes("PO003", "a ranging error during the ranging run", power(ptd=PTD_RANGING)),
    fails(
        "PO004",
        "the PTD samples start after power_begin",
        power(spl("11:08:26.000", "11:08:28.000")),
        WARN,
        path=perf("Offline", "spl.txt"),
    ),
    passes("PO004", "the samples cover the whole run", power()),
    # RH: repository hygiene
    fails("RH001", "a file in results/", write(f"{SUB}/results/notes.txt", "x"), path=f"{SUB}/results/notes.txt"),
    passes("RH001", "the official checker's log in results/", write(f"{SUB}/results/submission_checker_log.txt", "x")),
    fails("RH002", "a log at the submitter's top folder", write(f"{SUB}/run.log", "x"), path=f"{SUB}/run.log"),
    passes("RH002", "a README at the top folder", write(f"{SUB}/README.md", "# demo\n")),
    fails(
        "RH003",
        "model weights under results/",
        write(res("Offline", "weights.npz"), b"PK\0\0"),
        path=res("Offline", "weights.npz"),
    ),
    passes("RH003", "images in accuracy/images/", write(acc("Offline", "images/1.png"), b"\x89PNG\0")),
    fails(
        "RH004",
        "an untruncated TEST01 accuracy log",
        pad(res("Offline", "TEST01/accuracy/mlperf_log_accuracy.json"), 10240),
        path=res("Offline", "TEST01/accuracy/mlperf_log_accuracy.json"),
    ),
    passes("RH004", "the result's own accuracy log is AC005's", pad(ACC_LOG, 10240)),
    fails(
        "RH005",
        "a parenthesis in a name",
        write(f"{SUB}/src/digits/notes(1).md", "x"),
        WARN,
        path=f"{SUB}/src/digits/notes(1).md",
    ),
    fails(
        "RH005",
        "a colon, which Windows cannot store",
        write(f"{SUB}/src/digits/a:b.md", "x"),
        path=f"{SUB}/src/digits/a:b.md",
    ),
    passes("RH005", "letters, digits, '.', '_', '+' and '-'", write(f"{SUB}/src/digits/notes_v1+2-b.md", "x")),
    fails(
        "RH006",
        "a symbolic link to a file",
        symlink(f"{SUB}/src/digits/LINK.md", "README.md"),
        WARN,
        path=f"{SUB}/src/digits/LINK.md",
    ),
    passes("RH006"),
    fails(
        "RH007",
        "a key twice in the system description",
        replace(SYSTEM, '"status": "available",', '"status": "available", "status": "preview",'),
        path=SYSTEM,
        key="status",
    ),
    passes("RH007"),
    fails(
        "RH008",
        "a key twice in measurements.json",
        replace(res("Offline", "measurements.json"), '"retraining": "no",', '"retraining": "no", "retraining": "yes",'),
        path=res("Offline", "measurements.json"),
        key="retraining",
    ),
    passes("RH008"),
    fails(
        "RH009",
        "a link out of the submitter",
        symlink(f"{SUB}/src/digits/NOTES.md", "/dev/null"),
        path=f"{SUB}/src/digits/NOTES.md",
    ),
    passes("RH009", "a link inside the submitter is RH006's", symlink(f"{SUB}/src/digits/LINK.md", "README.md")),
    fails(
        "RH010",
        "user.conf cut mid-line",
        write(res("Offline", "user.conf"), "digits.Offline.min_dur"),
        path=res("Offline", "user.conf"),
        line=1,
    ),
    passes("RH010"),
    # evidence that cannot be used (fail closed)
    fails("AC010", "accuracy.txt of binary bytes", write(acc("Offline"), b"\x00\x01\x02"), path=acc("Offline")),
    passes("AC010"),
    # metrics computed from the outputs (checker/checks/metrics.py); more in test_metric_plugins, test_segmentation
    fails(
        "AC011",
        "a complete accuracy log (TEST01's audit log) whose labels do not give the claimed 99.999 %",
        chain(
            copy(perf("Offline", "mlperf_log_accuracy.json", "TEST01"), acc("Offline", "mlperf_log_accuracy.json")),
            replace(acc("Offline"), "accuracy=98.000%", "accuracy=99.999%"),
        ),
        path=acc("Offline"),
        key="acc",
        line=1,
    ),
    passes("AC011", "the submitted log is truncated: the claim is not compared"),
    fails(
        "AC012",
        "a validator above the claim (the truncated log: the claimed value is judged)",
        None,
        path=acc("Offline"),
        key="metrics.acc.validators[0]",
        rules=model(metrics={"acc": {"validators": [{"validator": "min", "min": 99.5}]}}),
    ),
    passes(
        "AC012",
        "a validator the claim meets",
        rules=model(metrics={"acc": {"validators": [{"validator": "min", "min": 97}]}}),
    ),
    fails(
        "EN005",
        "the rule file computes a metric no plugin provides",
        None,
        path=".",
        key="models.digits.metrics.acc.compute",
        rules=model(metrics={"acc": {"compute": "no_such_metric"}}),
    ),
    passes("EN005"),
    fails(
        "ST017",
        "a FIFO in the submission",
        lambda root: os.mkfifo(root / f"{SUB}/src/digits/pipe"),
        path=f"{SUB}/src/digits/pipe",
    ),
    passes("ST017"),
    fails("ST018", "a submitter without results/", delete(f"{SUB}/results"), path=f"{SUB}/results"),
    passes("ST018"),
    fails(
        "ST019",
        "a split-layout measurements/ folder beside the merged result folders",
        write(f"{SUB}/measurements/demo_cpu_numpy/digits/Offline/README.md", "# settings\n"),
        path=SUB,
    ),
    passes("ST019"),
    # EN: what the engine itself reports
    fails(
        "EN002",
        "a submitter folder with no result",
        write("open/Other/README.md", "# nothing yet\n"),
        path="open/Other",
    ),
    passes("EN002"),
    # WV: waivers (applied after the run, as `subcheck check --waivers`)
    fails(
        "WV001",
        "an expired waiver",
        record(perf(), "effective_qsl_rng_seed", 1),
        WARN,
        path="waivers.yaml",
        line=1,
        waivers=waiver("PE006", f"{BENCH}/*", expires="2026-01-01"),
        also=("PE006",),
    ),
    passes(
        "WV001",
        "a live waiver",
        record(perf(), "effective_qsl_rng_seed", 1),
        waivers=waiver("PE006", f"{BENCH}/*"),
        also=("PE006",),
    ),
    fails(
        "WV002",
        "a waiver that matches no finding",
        None,
        WARN,
        path="waivers.yaml",
        line=1,
        waivers=waiver("PE006", f"{BENCH}/*"),
        also=("PE006",),
    ),
    passes(
        "WV002",
        "a waiver that matches the PE006 finding",
        record(perf(), "effective_qsl_rng_seed", 1),
        waivers=waiver("PE006", f"{BENCH}/*"),
        also=("PE006",),
    ),
]

# Registered inference codes that no case over the demo tree can exercise, and why.
ALLOWED_WITHOUT_CASES = {
    # Made by `subcheck ci` from a git change (checker/incremental.py), not by a rule over a tree: tests/test_ci.py.
    "CI001": "needs a git change: a removed result folder",
    "CI002": "needs a git change: files added for a result that does not exist",
    # Engine codes that a well-formed tree cannot provoke (tests of the engine cover them).
    "EN001": "needs a rule that raises; no input over the demo tree makes a rule crash",
    "EN003": "needs a result whose table row cannot be made; the demo results all have rows",
    "EN004": "needs an installed plugin that fails to load, in a fresh process: tests/test_plugins.py",
    # Never a finding: a broken waiver file stops the run with exit code 2 (tests/test_waivers.py).
    "WV003": "a broken waiver file is an exit-2 error, not a finding",
    # Results measured with the Endpoints client have no LoadGen logs, so the demo tree cannot carry them:
    # tests/test_inference_endpoints.py passes each EC rule on NVIDIA's v6.1 results and fails it on one damage.
    **{f"EC00{i}": "an Endpoints-client result: tests/test_inference_endpoints.py" for i in range(1, 9)},
}


def _ids(case: Case) -> str:
    kind = "fails" if case.severity is not None else "passes"
    return f"{case.code}-{kind}-" + "-".join(case.why.split()[:4]).strip(",.:;'()")


def _rules_file(tmp_path: Path, overrides: dict[str, Any]) -> Path:
    if not overrides:
        return DEMO
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"extends": str(DEMO), **overrides}), encoding="utf-8")
    return path


def run_case(case: Case, tmp_path: Path) -> tuple[Path, Report]:
    """Copy the demo tree, mutate it, and run only the case's code (and ``also``) in-process."""
    load_all()
    root = tmp_path / "tree"
    shutil.copytree(VALID, root, symlinks=True, copy_function=shutil.copyfile)  # no metadata: faster
    if case.mutate is not None:
        case.mutate(root)
    rules_path = str(_rules_file(tmp_path, case.rules))
    rules = Round.load("inference", "demo", rules_path)
    selection = Selection(select=(case.code, *case.also))
    report = run_checks(discover(root, rules["layout"]), rules, selection=selection, rules_path=rules_path)
    if case.waivers is not None:
        (root / "waivers.yaml").write_text(case.waivers, encoding="utf-8")
        apply_waiver_file(report, root / "waivers.yaml", today=TODAY)
    return root, report


def _line_of(path: Path, key: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(MARKER) and json.loads(line[len(MARKER) :]).get("key") == key:
            return number
    raise KeyError(key)


def _matches(case: Case, root: Path, finding: Finding) -> bool:
    if case.path is not None and finding.path != case.path:
        return False
    if case.key is not None and finding.key != case.key:
        return False
    if isinstance(case.line, int) and finding.line != case.line:
        return False
    return not (isinstance(case.line, str) and finding.line != _line_of(root / finding.path, case.line))


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_inference_rule_case(case: Case, tmp_path: Path) -> None:
    root, report = run_case(case, tmp_path)
    assert not any(f.code == "EN001" for f in report.findings), [f.message for f in report.findings]
    got = [f for f in report.findings if f.code == case.code and case.path in (None, f.path)]
    if case.severity is None:
        assert not got, [f.to_record() for f in got]
        return
    assert got, f"{case.code} did not fire; got {[(f.code, f.path, f.message) for f in report.findings]}"
    assert {f.severity for f in got} == {case.severity}, [f.to_record() for f in got]
    assert any(_matches(case, root, f) for f in got), [f.to_record() for f in got]


def test_every_inference_code_has_cases() -> None:
    """Each registered inference code has a passing and a failing case, or a reason in the allow-list."""
    codes = {code for code, r in load_all().items() if r.suite in ("inference", "any")}
    failing = {c.code for c in CASES if c.severity is not None}
    passing = {c.code for c in CASES if c.severity is None}
    listed = set(ALLOWED_WITHOUT_CASES)
    assert not (listed & (failing | passing)), "an allow-listed code has cases: remove it from the list"
    assert sorted(codes - listed - failing) == [], "codes without a failing case"
    assert sorted(codes - listed - passing) == [], "codes without a passing case"
    assert not ((failing | passing | listed) - codes), "cases for codes that are not registered"


def test_every_inference_rule_documents_passes_and_fails() -> None:
    """``subcheck explain`` shows an example of each outcome, as the training rules do (rules in checker/checks)."""
    missing = [
        code
        for code, r in sorted(load_all().items())
        if r.func.__module__.startswith("checker.checks.") and not ("Passes" in r.doc and "Fails" in r.doc)
    ]
    assert missing == []
