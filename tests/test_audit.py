"""subcheck audit: every AU finding on real v4.1 results, natural or in a mutated copy, through the click command.

Tests taking ``planted`` (or parametrized by ``kind``) also run on a small round built from the demo tree: the demo
submitter, a second system of it under the same system name, and a second submitter that files a copy of the demo's
Offline result (see ``demo_mutated``). Those run without the shared data.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from checker import context
from checker.audit.command import audit
from checker.audit.config import default_path, load_config
from checker.audit.runner import audit_rules
from checker.ruleset import RulesetError
from tests import trees
from tests.conftest import REPO, require_data
from tests.mutate import edit_json, set_record

ORACLE = "closed/Oracle/results/GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT"
AMD_1X = "closed/AMD/results/1xMI300X_2xEPYC-9374F"
AMD_8X = "closed/AMD/results/8xMI300X_2xEPYC-9374F"
UNTETHER_SS = "closed/UntetherAI/results/h13_u1_preview/resnet50/singlestream"
GOOGLE_DGX = "closed/Google/results/DGX-H100_H100-SXM-80GBx8_TRT"
UNTETHER = "closed/UntetherAI/results/h13_u1_slim/resnet50/offline"
CTUNING_BERT = (
    "open/CTuning/results/cm-demo-gfursin-aws-g4dn.4xlarge-nvidia_original-gpu-tensorrt-vdefault-default_config"
    "/bert-99/offline"
)
DETAIL = "performance/run_1/mlperf_log_detail.txt"
# The demo round (demo_mutated): the demo submission, a second system under its system name, and a copying submitter.
DEMO = "closed/SubcheckDemo/results/demo_cpu_numpy/digits"
DEMO_2S = "closed/SubcheckDemo/results/demo_cpu_numpy_2s/digits"
COPIER = "closed/OtherDemo/results/other_cpu/digits"
DEMO_NAME = "Subcheck demo CPU (numpy reference SUT)"


# --- helpers ----------------------------------------------------------------------------------------------


def fresh_caches() -> None:
    """Tests rewrite system JSONs between runs in one process: drop what the engine cached."""
    clear = getattr(context, "clear_caches", None) or getattr(context.load_json, "cache_clear", None)
    if clear is not None:
        clear()


def copy_tree(source: Path, target: Path, parts: tuple[str, ...] = ()) -> Path:
    """A writable copy of the whole sample, or of the named ``division/submitter`` folders."""
    for part in parts or (".",):
        shutil.copytree(source / part, target / part, dirs_exist_ok=True)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


OFFLINE_KEYS = ("result_samples_per_second", "result_tokens_per_second")
SERVER_KEYS = ("result_completed_samples_per_sec", "result_completed_tokens_per_second")


def set_metric(path: Path, keys: tuple[str, ...], value: Any = None, scale: float | None = None) -> None:
    """Rewrite LoadGen records ``keys`` in a detail log (or multiply them by ``scale``); the round's
    result_key picks one of them (samples for most benchmarks, tokens for LLMs)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = 0
    for i, line in enumerate(lines):
        if any(f'"key": "{key}"' in line for key in keys):
            record = json.loads(line.split(":::MLLOG ", 1)[1])
            record["value"] = value if scale is None else record["value"] * scale
            lines[i] = ":::MLLOG " + json.dumps(record) + "\n"
            changed += 1
    assert changed, f"none of {keys} in {path}"
    path.write_text("".join(lines), encoding="utf-8")


def run_audit(
    root: Path, tmp: Path, *args: str, round_args: tuple[str, ...] = ("--version", "v4.1")
) -> tuple[int, dict[str, Any]]:
    fresh_caches()
    out = tmp / f"audit-{len(list(tmp.glob('audit-*.json')))}.json"
    result = CliRunner().invoke(
        audit, [str(root), *round_args, "--jobs", "1", "--format", "json", "--output", str(out), *args]
    )
    assert result.exit_code in (0, 1), result.output + repr(result.exception)
    return result.exit_code, json.loads(out.read_text(encoding="utf-8"))


def of(document: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in document["findings"] if f["code"] == code]


def about(findings: list[dict[str, Any]], location: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["path"].startswith(location) or location in f.get("extra", {}).get("results", [])]


def test_config(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        data[section][key] = value
    path = tmp_path / "audit.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


test_config.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


# --- one mutated copy of the sample, audited once -------------------------------------------------------
@pytest.fixture(scope="module")
def mutated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The v4.1 sample with one planted case per audit that does not occur in it naturally."""
    sample = require_data("inference-v4.1")
    tmp = tmp_path_factory.mktemp("audit")
    root = copy_tree(sample, tmp / "tree")
    # AU010: Oracle's resnet50 Server above its Offline (95104.5 samples/s)
    set_metric(root / ORACLE / "resnet50/Server" / DETAIL, SERVER_KEYS, 120000.0)
    # AU011: AMD 8x llama2-70b-99 Server at a tenth of what it was
    set_metric(root / AMD_8X / "llama2-70b-99/Server" / DETAIL, SERVER_KEYS, scale=0.1)
    # AU012: UntetherAI resnet SingleStream latency 0.01 ms => 100000 samples/s, above Offline 70348 samples/s
    set_metric(root / UNTETHER_SS / DETAIL, ("early_stopping_latency_ss",), 10_000)
    # AU020: AMD 1x llama2-70b-99 Offline five times faster per accelerator than its siblings
    set_metric(root / AMD_1X / "llama2-70b-99/Offline" / DETAIL, OFFLINE_KEYS, scale=5.0)
    # AU030: Oracle's resnet50 Offline detail log filed under Google's 3d-unet-99 Offline
    shutil.copyfile(root / ORACLE / "resnet50/Offline" / DETAIL, root / GOOGLE_DGX / "3d-unet-99/Offline" / DETAIL)
    # AU031: Oracle's resnet50 accuracy run filed under an UntetherAI system
    for name in ("accuracy.txt", "mlperf_log_accuracy.json"):
        shutil.copyfile(root / ORACLE / "resnet50/Offline/accuracy" / name, root / UNTETHER / "accuracy" / name)
    # AU032: CTuning's bert-99 F1 equal to Oracle's to 14 decimals (own hash line: the files differ)
    accuracy = root / CTUNING_BERT / "accuracy/accuracy.txt"
    text = accuracy.read_text(encoding="utf-8")
    accuracy.write_text(re.sub(r'"f1": [\d.]+', '"f1": 90.35676151551918', text), encoding="utf-8")
    # AU033: Oracle's retinanet Offline mAP equal to the FP32 reference 37.55
    retina = root / ORACLE / "retinanet/Offline/accuracy/accuracy.txt"
    retina.write_text(re.sub(r"mAP=[\d.]+", "mAP=37.550", retina.read_text(encoding="utf-8")), encoding="utf-8")
    config = test_config(tmp, outliers__min_population=3)
    code, document = run_audit(root, tmp, "--config", str(config))
    return {"root": root, "code": code, "doc": document}


@pytest.fixture(scope="module")
def demo_mutated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A round built from the demo tree, with one planted case per audit the demo can carry, audited once.

    * AU001/AU002: a second SubcheckDemo system, ``demo_cpu_numpy_2s``, under the same system name with two host
      processors, another accelerator and its own hw_notes (its MultiStream result is a copy whose detail log names
      another process id and whose accuracy log ends in one more newline).
    * AU032: both MultiStream accuracy.txt say 98.123456 %; the twin's has another hash line (the files differ).
    * AU010: the demo's Server throughput set to twice its Offline throughput (764522 samples/s).
    * AU012: the SingleStream early-stopping latency set to 1000 ns, an implied 1e6 samples/s above Offline.
    * AU030/AU031: a second submitter, OtherDemo, files a byte copy of the demo's Offline result on a system with
      another accelerator.
    * AU033: natural: the demo model is the FP32 reference (98.000 %).
    """
    tmp = tmp_path_factory.mktemp("audit-demo")
    demo = trees.demo_tree(tmp)
    root = demo.root
    # AU001/AU002
    systems = root / "closed/SubcheckDemo/systems"
    twin = systems / "demo_cpu_numpy_2s.json"
    twin.write_bytes((systems / "demo_cpu_numpy.json").read_bytes())
    edit_json(twin, host_processors_per_node=2, hw_notes="two sockets", accelerator_model_name="Demo accelerator")
    shutil.copytree(root / DEMO / "MultiStream", root / DEMO_2S / "MultiStream")
    set_record(root / DEMO_2S / "MultiStream" / DETAIL, "result_validity", metadata={"pid": 1})  # own bytes: no AU030
    with (root / DEMO_2S / "MultiStream/accuracy/mlperf_log_accuracy.json").open("a") as stream:
        stream.write("\n")  # own bytes: no AU031
    # AU032
    for result in (DEMO, DEMO_2S):
        accuracy = root / result / "MultiStream/accuracy/accuracy.txt"
        text = accuracy.read_text(encoding="utf-8").replace("accuracy=98.000%", "accuracy=98.123456%")
        if result == DEMO_2S:
            text = re.sub(r"hash=\w+", "hash=" + "0" * 64, text)
        accuracy.write_text(text, encoding="utf-8")
    # AU010, AU012
    set_metric(root / DEMO / "Server" / DETAIL, SERVER_KEYS, 2 * 764522.0)
    set_metric(root / DEMO / "SingleStream" / DETAIL, ("early_stopping_latency_ss",), 1000)
    # AU030, AU031
    other = root / "closed/OtherDemo"
    (other / "systems").mkdir(parents=True)
    shutil.copyfile(systems / "demo_cpu_numpy.json", other / "systems/other_cpu.json")
    edit_json(
        other / "systems/other_cpu.json",
        submitter="OtherDemo",
        system_name="Other demo system",
        accelerator_model_name="Other accelerator",
        accelerators_per_node=1,
    )
    shutil.copytree(root / DEMO / "Offline", root / COPIER / "Offline")
    code, document = run_audit(root, tmp, round_args=demo.round_args)
    return {"root": root, "code": code, "doc": document, "kind": "demo"}


@pytest.fixture(scope="module", params=["real", "demo"])
def planted(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The audited, mutated v4.1 sample (skips without the data) and the audited demo round."""
    if request.param == "real":
        return {**request.getfixturevalue("mutated"), "kind": "real"}
    return request.getfixturevalue("demo_mutated")


def test_report_is_valid_json_report_with_audit_column(planted: dict[str, Any]) -> None:
    schema = json.loads((REPO / "schemas/report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(planted["doc"], schema)
    audited = [r for r in planted["doc"]["results"] if r["Audit"]]
    assert audited and all(re.fullmatch(r"(AU\d{3} ?)+", r["Audit"]) for r in audited)


def test_review_findings_never_set_the_exit_code(planted: dict[str, Any]) -> None:
    doc = planted["doc"]
    reviews = [f for f in doc["findings"] if f["code"].startswith("AU")]
    assert reviews and all(f["severity"] == "review" for f in reviews)
    assert planted["code"] == (1 if doc["summary"]["errors"] else 0)
    assert not [f for f in doc["findings"] if f["code"] == "EN001"], "an audit crashed"


def test_au001_same_system_name_different_accelerator_count(planted: dict[str, Any]) -> None:
    if planted["kind"] == "demo":  # the planted twin: one more host processor
        (finding,) = of(planted["doc"], "AU001")
        assert finding["path"] == "closed/SubcheckDemo/systems/demo_cpu_numpy.json"
        assert finding["extra"]["differing"] == {
            "accelerator_model_name": {
                "closed/SubcheckDemo/systems/demo_cpu_numpy.json": "N/A (CPU only)",
                "closed/SubcheckDemo/systems/demo_cpu_numpy_2s.json": "Demo accelerator",
            },
            "host_processors_per_node": {
                "closed/SubcheckDemo/systems/demo_cpu_numpy.json": 1,
                "closed/SubcheckDemo/systems/demo_cpu_numpy_2s.json": 2,
            },
        }
        assert "host_processors_per_node: 1 vs 2" in finding["message"] and DEMO_NAME in finding["message"]
        return
    # Natural in v4.1: AMD files a 1-GPU and two 8-GPU systems under one system_name.
    found = [f for f in of(planted["doc"], "AU001") if "Supermicro AS-8125GS-TNMR2" in f["message"]]
    assert len(found) == 1
    differing = found[0]["extra"]["differing"]["accelerators_per_node"]
    assert sorted(differing.values()) == [1, 8, 8]
    assert "accelerators_per_node: 1 vs 8" in found[0]["message"]


def test_au002_same_system_name_different_notes(planted: dict[str, Any]) -> None:
    name = DEMO_NAME if planted["kind"] == "demo" else "Supermicro AS-8125GS-TNMR2"
    found = [f for f in of(planted["doc"], "AU002") if name in f["message"]]
    assert len(found) == 1 and len(found[0]["extra"]["variants"]) == 2
    if planted["kind"] == "demo":
        assert found[0]["key"] == "notes"
        assert found[0]["extra"]["variants"]["two sockets. Generated by python -m reference_sut.fixtures"] == [
            f"{DEMO_2S}/MultiStream"
        ]


def test_au010_server_above_offline(planted: dict[str, Any]) -> None:
    location, server, offline = (
        (f"{ORACLE}/resnet50/Server", 120000.0, 95104.5)
        if planted["kind"] == "real"
        else (f"{DEMO}/Server", 2 * 764522.0, 764522)
    )
    (finding,) = about(of(planted["doc"], "AU010"), location)
    assert finding["extra"]["server"] == server and finding["extra"]["offline"] == offline
    assert finding["found"] == round(server / offline, 4)


def test_au011_server_far_below_offline_against_round(mutated: dict[str, Any]) -> None:
    (finding,) = about(of(mutated["doc"], "AU011"), f"{AMD_8X}/llama2-70b-99/Server")
    extra = finding["extra"]
    assert extra["z"] < -3.5 and extra["population"] >= 5
    assert extra["ratio"] < 0.5 * extra["median_ratio"]


def test_au012_single_stream_faster_than_offline(planted: dict[str, Any]) -> None:
    location, rate, offline = (
        (UNTETHER_SS, 100000.0, 70348.2) if planted["kind"] == "real" else (f"{DEMO}/SingleStream", 1e6, 764522)
    )
    (finding,) = about(of(planted["doc"], "AU012"), location)
    assert finding["extra"]["implied_rate"] == pytest.approx(rate)
    assert finding["extra"]["offline"] == pytest.approx(offline)


def test_au020_per_accelerator_outlier(mutated: dict[str, Any]) -> None:
    (finding,) = about(of(mutated["doc"], "AU020"), f"{AMD_1X}/llama2-70b-99/Offline")
    assert finding["extra"]["z"] > 3.5 and "above" in finding["message"]
    assert finding["extra"]["population"] == 3 and len(finding["extra"]["compared"]) == 3


def test_au030_detail_log_copied_to_another_submitter(planted: dict[str, Any]) -> None:
    if planted["kind"] == "demo":
        found = about(of(planted["doc"], "AU030"), f"{COPIER}/Offline")
        assert len(found) == 1 and of(planted["doc"], "AU030") == found  # the twin's log differs: not one
        assert set(found[0]["extra"]["results"]) == {f"{DEMO}/Offline", f"{COPIER}/Offline"}
        assert found[0]["extra"]["submitters"] == ["OtherDemo", "SubcheckDemo"]
        return
    found = about(of(planted["doc"], "AU030"), f"{GOOGLE_DGX}/3d-unet-99/Offline")
    assert len(found) == 1
    assert set(found[0]["extra"]["results"]) == {f"{ORACLE}/resnet50/Offline", f"{GOOGLE_DGX}/3d-unet-99/Offline"}
    assert found[0]["extra"]["submitters"] == ["Google", "Oracle"]


def test_au030_ignores_the_99_and_999_variants_of_one_result(planted: dict[str, Any]) -> None:
    assert of(planted["doc"], "AU030")
    for finding in of(planted["doc"], "AU030"):
        stems = {re.sub(r"-99(\.9)?(?=/)", "", r) for r in finding["extra"]["results"]}
        assert len(stems) > 1


def test_au031_accuracy_run_copied_across_accelerators(planted: dict[str, Any]) -> None:
    copied, source = (UNTETHER, f"{ORACLE}/resnet50/Offline")
    if planted["kind"] == "demo":
        copied, source = f"{COPIER}/Offline", f"{DEMO}/Offline"
    found = [f for f in about(of(planted["doc"], "AU031"), copied) if source in f["found"]]
    assert len(found) == 1
    assert "accuracy/accuracy.txt" in found[0]["extra"]["files"]
    assert len(found[0]["extra"]["accelerators"]) == 2
    if planted["kind"] == "demo":  # the twin system's accuracy files differ
        assert of(planted["doc"], "AU031") == found


def test_au032_accuracy_identical_to_many_decimals(planted: dict[str, Any]) -> None:
    if planted["kind"] == "demo":
        (finding,) = of(planted["doc"], "AU032")
        assert finding["extra"]["value"] == "98.123456" and finding["key"] == "acc"
        assert finding["extra"]["results"] == [f"{DEMO}/MultiStream", f"{DEMO_2S}/MultiStream"]
        return
    found = [f for f in of(planted["doc"], "AU032") if f["extra"]["value"] == "90.35676151551918"]
    assert len(found) == 1
    assert {f"{ORACLE}/bert-99/Offline", CTUNING_BERT} <= set(found[0]["extra"]["results"])


def test_au033_accuracy_equal_to_fp32_reference(planted: dict[str, Any]) -> None:
    if planted["kind"] == "demo":  # natural: the demo results are the FP32 reference run (98.000 %), but AU032's
        found = of(planted["doc"], "AU033")
        results = [f"{DEMO}/{s}" for s in ("Offline", "Server", "SingleStream")] + [f"{COPIER}/Offline"]
        assert sorted(f["path"] for f in found) == sorted(f"{r}/accuracy/accuracy.txt" for r in results)
        assert all(f["extra"]["reference"] == 98.0 and f["found"] == "98.000" for f in found)
        return
    (finding,) = of(planted["doc"], "AU033")
    assert finding["path"] == f"{ORACLE}/retinanet/Offline/accuracy/accuracy.txt"
    assert finding["extra"]["reference"] == 37.55 and finding["found"] == "37.550"


@pytest.mark.parametrize("kind", ["real", "demo"])
def test_unmutated_sample_has_no_planted_findings(tmp_path: Path, kind: str) -> None:
    if kind == "demo":
        demo = trees.demo_tree(tmp_path)
        _, doc = run_audit(demo.root, tmp_path, round_args=demo.round_args)
        assert {f["code"] for f in doc["findings"] if f["code"].startswith("AU")} == {"AU033"}  # natural, see above
        assert len(of(doc, "AU033")) == demo.results_count
        return
    _, doc = run_audit(require_data("inference-v4.1"), tmp_path)
    for code in ("AU030", "AU033"):
        assert not of(doc, code), of(doc, code)
    assert not about(of(doc, "AU010"), f"{ORACLE}/resnet50/Server")
    assert of(doc, "AU001"), "the natural AMD case"


# --- history ------------------------------------------------------------------------------------------------
def test_au040_au041_speedup_beyond_round(tmp_path: Path) -> None:
    """A "previous round": real results with every Offline throughput 10 % lower, AMD's llama2 three times lower."""
    sample = require_data("inference-v4.1")
    parts = ("closed/AMD", "closed/Google", "closed/JuniperNetworks", "open/NeuralMagic", "closed/RedHat")
    previous = copy_tree(sample, tmp_path / "previous", parts)
    for log in previous.glob(f"*/*/results/*/*/[Oo]ffline/{DETAIL}"):
        amd_llama = log.is_relative_to(previous / "closed/AMD") and "/llama2-70b-99/" in log.as_posix()
        set_metric(log, OFFLINE_KEYS, scale=1 / 3 if amd_llama else 1 / 1.1)
    config = test_config(tmp_path, history__min_others=2)
    _, doc = run_audit(sample, tmp_path, "--history", str(previous), "--config", str(config), "--select", "AU04")
    assert {f["code"] for f in doc["findings"] if f["code"].startswith("AU")} == {"AU040", "AU041"}
    # AMD's three systems share one system name (see AU001), so they are one system here: the best one is compared.
    system = [f for f in of(doc, "AU040") if f["path"].startswith("closed/AMD/") and "/llama2-70b-99/" in f["path"]]
    assert len(system) == 1
    assert system[0]["extra"]["speedup"] == pytest.approx(3.0, rel=1e-3)
    assert system[0]["extra"]["others_median"] == pytest.approx(1.1, rel=1e-3)
    assert not [f for f in of(doc, "AU040") if "AMD" not in f["path"]]
    accelerator = [f for f in of(doc, "AU041") if "llama2-70b-99/" in f["path"]]
    assert len(accelerator) == 1 and "mi300x" in accelerator[0]["message"]
    assert accelerator[0]["extra"]["speedup"] == pytest.approx(3.0, rel=1e-3)


def test_no_history_no_history_findings(planted: dict[str, Any]) -> None:
    assert not of(planted["doc"], "AU040") and not of(planted["doc"], "AU041")


# --- rules, thresholds, formats -----------------------------------------------------------------------------
def test_every_audit_rule_is_documented_review_round_rule() -> None:
    rules = audit_rules()
    assert [r.code for r in rules] == sorted({r.code for r in rules}) and len(rules) >= 11
    for rule in rules:
        assert rule.code.startswith("AU") and rule.scope == "round" and rule.suite == "audit"
        assert rule.severity.value == "review" and rule.fix and rule.doc.strip()


def test_default_thresholds_validate_and_broken_ones_are_refused(tmp_path: Path) -> None:
    assert load_config()["outliers"]["mad_multiplier"] > 0
    bad = test_config(tmp_path, outliers__mad_multiplier=-1)
    with pytest.raises(RulesetError, match=r"\$\.outliers\.mad_multiplier"):
        load_config(str(bad))
    result = CliRunner().invoke(audit, [str(tmp_path), "--version", "v4.1", "--config", str(bad)])
    assert result.exit_code == 2


@pytest.mark.parametrize("kind", ["real", "demo"])
def test_text_and_csv_formats(tmp_path: Path, kind: str) -> None:
    if kind == "demo":  # the demo's natural AU033 (see test_au033_accuracy_equal_to_fp32_reference)
        demo = trees.demo_tree(tmp_path)
        root, round_args, code = demo.root, demo.round_args, "AU033"
    else:
        root = copy_tree(require_data("inference-v4.1"), tmp_path / "tree", ("closed/AMD",))
        round_args, code = ("--version", "v4.1"), "AU001"
    fresh_caches()
    text = CliRunner().invoke(audit, [str(root), *round_args, "-j", "1"])
    assert text.exit_code in (0, 1) and f"{code} review" in text.output
    csv = CliRunner().invoke(audit, [str(root), *round_args, "-j", "1", "--format", "csv"])
    header = csv.output.splitlines()[0].split(",")
    assert header[-1] == "Audit" and code in csv.output


def test_missing_round_exits_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(audit, [str(tmp_path / "nope"), "--version", "v4.1"]).exit_code == 2
    assert CliRunner().invoke(audit, [str(tmp_path), "--version", "v9.9"]).exit_code == 2


def test_empty_round_is_not_valid_but_still_audited(tmp_path: Path) -> None:
    (tmp_path / "round/closed/Nobody").mkdir(parents=True)
    html = tmp_path / "report.html"
    result = CliRunner().invoke(audit, [str(tmp_path / "round"), "--version", "v4.1", "-j", "1", "--html", str(html)])
    assert result.exit_code == 1, result.output
    assert "closed/Nobody\n  EN002 error" in result.output and 'id="results"' in html.read_text(encoding="utf-8")
