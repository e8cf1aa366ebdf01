"""The layout is a property of the tree as well as of the round (ST019): one finding per folder, never a flood.

Real data: the ConnectTechInc v4.1 copy (split) rearranged into the merged layout, and the official repository's
``directory_structure_samples/sample_1`` (merged, written by MLCommons) extracted from the mirror at test time.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from checker import ruleset
from checker.context import clear_caches
from checker.discovery import discover
from checker.engine import run_checks
from checker.findings import Finding
from checker.registry import load_all
from checker.rounds import Round
from tests.mutate import CTT, findings, report

LAYOUT_FLOOD = ("CO001", "ME001", "ME002", "ME003")  # what a folder read in the wrong layout used to yield


def to_merged(root: Path, submitter: str = CTT) -> None:
    """Move ``measurements/`` (and ``compliance/``) of a split submitter into its result folders, as v6.0 keeps them."""
    base = root / submitter
    for folder in sorted((base / "measurements").glob("*/*/*")):
        system, benchmark, scenario = folder.parts[-3:]
        target = base / "results" / system / benchmark / scenario
        for item in folder.iterdir():
            name = "measurements.json" if item.name == f"{system}_{scenario}.json" else item.name
            shutil.move(item, target / name)
    for folder in sorted((base / "compliance").glob("*/*/*/TEST*")):
        system, benchmark, scenario = folder.parts[-4:-1]
        shutil.move(folder, base / "results" / system / benchmark / scenario / folder.name)
    shutil.rmtree(base / "measurements")
    shutil.rmtree(base / "compliance", ignore_errors=True)


def both_layouts(tmp_path: Path, version: str = "v5.1") -> tuple[Round, str]:
    """A private rule file on a bundled round that accepts either layout (``layout: [split, merged]``)."""
    path = tmp_path / f"{version}-both.yaml"
    parent = ruleset.data_dir("rules") / "inference" / f"{version}.yaml"
    path.write_text(f"extends: {parent}\nround: {version}\nlayout: [split, merged]\n")
    return Round.load("inference", version, str(path)), str(path)


def with_rules(root: Path, rules: tuple[Round, str]) -> list[Finding]:
    load_all()
    clear_caches()
    round_, path = rules
    return run_checks(discover(root, round_["layout"]), round_, jobs=1, rules_path=path).findings


def test_st019_pass_split_tree_under_split_round(ctt_tree: Path) -> None:
    assert findings(ctt_tree, "ST019") == []


def test_st019_fail_merged_tree_under_split_round_is_one_finding(ctt_tree: Path) -> None:
    to_merged(ctt_tree)
    result = report(ctt_tree)
    layout = [f for f in result.findings if f.code == "ST019"]
    assert len(layout) == 1
    (finding,) = layout
    assert finding.path == CTT and finding.expected == ["split"] and finding.found == "merged"
    assert "v4.1 requires split" in finding.message
    assert finding.fails
    # A folder the round refuses as laid out: every result in it is rejected, each naming the folder's finding.
    assert len(result.rejected) == len(result.results) == 2
    assert {r["Findings"] for r in result.results} == {"submitter:ST019"}
    # The folder is still read in its own layout: its measurements and settings are found, nothing is "missing".
    assert [f.code for f in result.findings if f.code in LAYOUT_FLOOD] == []


def test_st019_fail_split_tree_under_merged_round_is_one_finding(ctt_tree: Path) -> None:
    layout = findings(ctt_tree, "ST019", version="v6.0")
    assert [(f.path, f.expected, f.found) for f in layout] == [(CTT, ["merged"], "split")]
    assert [f.code for f in report(ctt_tree, version="v6.0").findings if f.code in LAYOUT_FLOOD] == []


def test_st019_fail_mixed_folder_is_one_finding(ctt_tree: Path) -> None:
    (ctt_tree / CTT / "results/Orin_TRT/gptj-99/Offline/measurements.json").write_text("{}")
    layout = findings(ctt_tree, "ST019")
    assert [(f.path, f.expected, f.found) for f in layout] == [(CTT, ["split"], "split+merged")]
    assert "both layouts" in layout[0].message


def test_st019_pass_round_accepting_both_layouts_reads_either(ctt_tree: Path) -> None:
    rules = both_layouts(ctt_tree.parent)
    assert rules[0]["layout"] == ["split", "merged"]
    assert [f for f in with_rules(ctt_tree, rules) if f.code == "ST019"] == []
    to_merged(ctt_tree)
    merged = with_rules(ctt_tree, rules)
    assert [f for f in merged if f.code == "ST019"] == []
    assert [f.code for f in merged if f.code in LAYOUT_FLOOD] == []


def test_st019_fail_round_accepting_both_layouts_flags_a_mixed_folder(ctt_tree: Path) -> None:
    (ctt_tree / CTT / "results/Orin_TRT/gptj-99/Offline/measurements.json").write_text("{}")
    layout = [f for f in with_rules(ctt_tree, both_layouts(ctt_tree.parent)) if f.code == "ST019"]
    assert [(f.path, f.expected, f.found) for f in layout] == [(CTT, ["split", "merged"], "split+merged")]


# --- the official sample_1 tree (merged, v5.1-era logs) in every round it could be ------------------------------
# What subcheck says, per round (codes and counts). The official checkers crash or reject it wholesale:
# v4.1 (no measurement_dir for every result), v5.1.1 and HEAD --version v5.x (FileNotFoundError on measurements/),
# HEAD --version v6.0/v6.1 (TypeError in lower_list: a model or system type with no scenario table).
SAMPLE_1_VERDICTS = {
    # v4.1 and v5.0 as v5.1, plus what those rounds lack: llama3.1-405b (v4.1) and llama3.1-8b-edge (ST006), the
    # Interactive scenario (ST007) and so Server required where only Interactive was run (ST009), v5.1's seeds
    "v4.1": {
        "AC007": 2,
        "AC009": 2,
        "CO003": 12,
        "CO008": 2,
        "PE006": 66,
        "PE015": 1,
        "ST006": 2,
        "ST007": 4,
        "ST009": 2,
        "ST012": 11,
        "ST019": 2,
        "SY003": 1,
    },
    "v5.0": {
        "AC007": 2,
        "AC009": 2,
        "CO003": 12,
        "CO008": 2,
        "PE006": 66,
        "PE015": 1,
        "ST006": 1,
        "ST007": 4,
        "ST009": 2,
        "ST012": 11,
        "ST019": 2,
        "SY003": 1,
    },
    # split rounds: one ST019 per submitter folder instead of 66 ME003 + 22 ME001 + 22 CO001 per-file findings
    "v5.1": {"AC007": 2, "AC009": 2, "CO008": 2, "PE015": 1, "ST012": 11, "ST019": 2, "SY003": 1},
    # v6.0: the layout fits; the logs carry v5.1's seeds (PE006 x3 runs x22, CO003 in the audits)
    "v6.0": {"AC007": 2, "AC009": 2, "CO003": 12, "CO008": 2, "PE006": 66, "PE015": 1, "ST008": 2, "SY003": 1},
    # v6.1 also drops llama2-70b-99, mixtral-8x7b and llama3.1-405b (ST006)
    "v6.1": {"AC007": 2, "CO003": 12, "CO008": 2, "PE006": 66, "PE015": 1, "ST006": 12, "ST008": 2, "SY003": 1},
}


@pytest.mark.parametrize("version", ["v4.1", "v5.0", "v5.1", "v6.0", "v6.1"])
def test_sample_1_layout_is_one_finding_per_submitter(sample_1_tree: Path, version: str) -> None:
    result = report(sample_1_tree, version=version)
    layout = [(f.path, f.expected, f.found) for f in result.findings if f.code == "ST019"]
    if version in ("v6.0", "v6.1"):
        assert layout == []
    else:
        assert layout == [("closed/AMD", ["split"], "merged"), ("open/NVIDIA", ["split"], "merged")]
    assert [f.code for f in result.findings if f.code in LAYOUT_FLOOD] == []
    assert result.results_checked == 22 and len(result.rejected) == 22


@pytest.mark.parametrize("version", sorted(SAMPLE_1_VERDICTS))
def test_sample_1_verdicts_per_round(sample_1_tree: Path, version: str) -> None:
    result = report(sample_1_tree, version=version)
    assert dict(Counter(f.code for f in result.findings)) == SAMPLE_1_VERDICTS[version]
