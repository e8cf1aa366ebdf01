"""subcheck audit: every AU finding on real v4.1 results, natural or in a mutated copy, through the click command."""

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
from tests.conftest import REPO, require_data

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


def run_audit(root: Path, tmp: Path, *args: str) -> tuple[int, dict[str, Any]]:
    fresh_caches()
    out = tmp / f"audit-{len(list(tmp.glob('audit-*.json')))}.json"
    result = CliRunner().invoke(
        audit, [str(root), "--version", "v4.1", "--jobs", "1", "--format", "json", "--output", str(out), *args]
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


def test_report_is_valid_json_report_with_audit_column(mutated: dict[str, Any]) -> None:
    schema = json.loads((REPO / "schemas/report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(mutated["doc"], schema)
    audited = [r for r in mutated["doc"]["results"] if r["Audit"]]
    assert audited and all(re.fullmatch(r"(AU\d{3} ?)+", r["Audit"]) for r in audited)


def test_review_findings_never_set_the_exit_code(mutated: dict[str, Any]) -> None:
    doc = mutated["doc"]
    reviews = [f for f in doc["findings"] if f["code"].startswith("AU")]
    assert reviews and all(f["severity"] == "review" for f in reviews)
    assert mutated["code"] == (1 if doc["summary"]["errors"] else 0)
    assert not [f for f in doc["findings"] if f["code"] == "EN001"], "an audit crashed"


def test_au001_same_system_name_different_accelerator_count(mutated: dict[str, Any]) -> None:
    # Natural in v4.1: AMD files a 1-GPU and two 8-GPU systems under one system_name.
    found = [f for f in of(mutated["doc"], "AU001") if "Supermicro AS-8125GS-TNMR2" in f["message"]]
    assert len(found) == 1
    differing = found[0]["extra"]["differing"]["accelerators_per_node"]
    assert sorted(differing.values()) == [1, 8, 8]
    assert "accelerators_per_node: 1 vs 8" in found[0]["message"]


def test_au002_same_system_name_different_notes(mutated: dict[str, Any]) -> None:
    found = [f for f in of(mutated["doc"], "AU002") if "Supermicro AS-8125GS-TNMR2" in f["message"]]
    assert len(found) == 1 and len(found[0]["extra"]["variants"]) == 2


def test_au010_server_above_offline(mutated: dict[str, Any]) -> None:
    (finding,) = about(of(mutated["doc"], "AU010"), f"{ORACLE}/resnet50/Server")
    assert finding["extra"]["server"] == 120000.0 and finding["extra"]["offline"] == 95104.5
    assert finding["found"] == round(120000.0 / 95104.5, 4)


def test_au011_server_far_below_offline_against_round(mutated: dict[str, Any]) -> None:
    (finding,) = about(of(mutated["doc"], "AU011"), f"{AMD_8X}/llama2-70b-99/Server")
    extra = finding["extra"]
    assert extra["z"] < -3.5 and extra["population"] >= 5
    assert extra["ratio"] < 0.5 * extra["median_ratio"]


def test_au012_single_stream_faster_than_offline(mutated: dict[str, Any]) -> None:
    (finding,) = about(of(mutated["doc"], "AU012"), UNTETHER_SS)
    assert finding["extra"]["implied_rate"] == pytest.approx(100000.0)
    assert finding["extra"]["offline"] == pytest.approx(70348.2)


def test_au020_per_accelerator_outlier(mutated: dict[str, Any]) -> None:
    (finding,) = about(of(mutated["doc"], "AU020"), f"{AMD_1X}/llama2-70b-99/Offline")
    assert finding["extra"]["z"] > 3.5 and "above" in finding["message"]
    assert finding["extra"]["population"] == 3 and len(finding["extra"]["compared"]) == 3


def test_au030_detail_log_copied_to_another_submitter(mutated: dict[str, Any]) -> None:
    found = about(of(mutated["doc"], "AU030"), f"{GOOGLE_DGX}/3d-unet-99/Offline")
    assert len(found) == 1
    assert set(found[0]["extra"]["results"]) == {f"{ORACLE}/resnet50/Offline", f"{GOOGLE_DGX}/3d-unet-99/Offline"}
    assert found[0]["extra"]["submitters"] == ["Google", "Oracle"]


def test_au030_ignores_the_99_and_999_variants_of_one_result(mutated: dict[str, Any]) -> None:
    for finding in of(mutated["doc"], "AU030"):
        stems = {re.sub(r"-99(\.9)?(?=/)", "", r) for r in finding["extra"]["results"]}
        assert len(stems) > 1


def test_au031_accuracy_run_copied_across_accelerators(mutated: dict[str, Any]) -> None:
    found = [f for f in about(of(mutated["doc"], "AU031"), UNTETHER) if f"{ORACLE}/resnet50/Offline" in f["found"]]
    assert len(found) == 1
    assert "accuracy/accuracy.txt" in found[0]["extra"]["files"]
    assert len(found[0]["extra"]["accelerators"]) == 2


def test_au032_accuracy_identical_to_many_decimals(mutated: dict[str, Any]) -> None:
    found = [f for f in of(mutated["doc"], "AU032") if f["extra"]["value"] == "90.35676151551918"]
    assert len(found) == 1
    assert {f"{ORACLE}/bert-99/Offline", CTUNING_BERT} <= set(found[0]["extra"]["results"])


def test_au033_accuracy_equal_to_fp32_reference(mutated: dict[str, Any]) -> None:
    (finding,) = of(mutated["doc"], "AU033")
    assert finding["path"] == f"{ORACLE}/retinanet/Offline/accuracy/accuracy.txt"
    assert finding["extra"]["reference"] == 37.55 and finding["found"] == "37.550"


def test_unmutated_sample_has_no_planted_findings(tmp_path: Path) -> None:
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


def test_no_history_no_history_findings(mutated: dict[str, Any]) -> None:
    assert not of(mutated["doc"], "AU040") and not of(mutated["doc"], "AU041")


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


def test_text_and_csv_formats(tmp_path: Path) -> None:
    root = copy_tree(require_data("inference-v4.1"), tmp_path / "tree", ("closed/AMD",))
    text = CliRunner().invoke(audit, [str(root), "--version", "v4.1", "-j", "1"])
    assert text.exit_code in (0, 1) and "AU001 review" in text.output
    csv = CliRunner().invoke(audit, [str(root), "--version", "v4.1", "-j", "1", "--format", "csv"])
    header = csv.output.splitlines()[0].split(",")
    assert header[-1] == "Audit" and "AU001" in csv.output


def test_missing_round_exits_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(audit, [str(tmp_path / "nope"), "--version", "v4.1"]).exit_code == 2
    assert CliRunner().invoke(audit, [str(tmp_path), "--version", "v9.9"]).exit_code == 2


def test_empty_round_is_not_valid_but_still_audited(tmp_path: Path) -> None:
    (tmp_path / "round/closed/Nobody").mkdir(parents=True)
    html = tmp_path / "report.html"
    result = CliRunner().invoke(audit, [str(tmp_path / "round"), "--version", "v4.1", "-j", "1", "--html", str(html)])
    assert result.exit_code == 1, result.output
    assert "closed/Nobody\n  EN002 error" in result.output and 'id="results"' in html.read_text(encoding="utf-8")
