"""`subcheck ci` on a real git history: each commit's report holds exactly the findings of its change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import git
import jsonschema
import pytest
from click.testing import CliRunner

from checker.ci import ci
from checker.discovery import discover
from checker.engine import run_checks
from checker.gitdiff import Change, affected_by
from checker.registry import load_all
from checker.rounds import Round
from tests.conftest import copy_submitter

CTT = "closed/ConnectTechInc"
CTT_SYS = f"{CTT}/results/Orin_TRT/gptj-99"
RH = "closed/RedHat"
RH_OLD, RH_NEW = "L40S-RedHat-OpenShift", "L40S-RH"


def run_ci(root: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(ci, ["--repo", str(root), "--version", "v4.1", "--format", "json", "-j", "1", *args])
    if result.exit_code == 2:
        return 2, {"error": result.output}
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def commit(repo: git.Repo, message: str) -> None:
    repo.git.add(A=True)
    repo.git.commit("-q", "-m", message)


def full_findings(root: Path) -> list[dict]:
    """What a whole `check` of the head tree says, to compare the incremental report with."""
    load_all()
    rules = Round.load("inference", "v4.1")
    return [f.to_record() for f in run_checks(discover(root, "split"), rules).findings]


def keyed(findings: list[dict]) -> set[tuple[str, str, int | None]]:
    return {(f["code"], f["path"], f["line"]) for f in findings}


def of_unit(findings: list[dict], unit: str) -> set[tuple[str, str, int | None]]:
    return keyed([f for f in findings if f["unit"] == unit])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict, list[dict]]]:
    """Build the history once; for each commit: ci's exit code and report, and a full check of its tree."""
    tmp = tmp_path_factory.mktemp("ci")
    root = copy_submitter(tmp, "closed", "ConnectTechInc")
    shutil.copytree(copy_submitter(tmp / "rh", "closed", "RedHat") / RH, root / RH)
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "subcheck test")
        config.set_value("user", "email", "test@example.invalid")
    commit(repo, "valid results")
    out: dict[str, tuple[int, dict, list[dict]]] = {}

    def step(name: str) -> None:
        commit(repo, name)
        code, report = run_ci(root, "--base", "HEAD~1", "--head", "HEAD")
        out[name] = (code, report, full_findings(root))

    # 1. a bad result: MultiStream is not a scenario of gptj-99 on an edge system
    for top in ("results", "measurements"):
        shutil.copytree(
            root / CTT / top / "Orin_TRT/gptj-99/SingleStream", root / CTT / top / "Orin_TRT/gptj-99/MultiStream"
        )
    step("add bad result")
    # 2. a modified log: a seed that is not the round's
    log = root / CTT_SYS / "Offline/performance/run_1/mlperf_log_detail.txt"
    log.write_text(log.read_text().replace("3066443479025735752", "3066443479025735753"))
    step("modify log")
    # 3. a renamed system: folders, measurement files and the description
    for top in ("results", "measurements", "compliance"):
        repo.git.mv(f"{RH}/{top}/{RH_OLD}", f"{RH}/{top}/{RH_NEW}")
    for scenario in ("Offline", "Server"):
        folder = f"{RH}/measurements/{RH_NEW}/llama2-70b-99.9/{scenario}"
        repo.git.mv(f"{folder}/{RH_OLD}.json", f"{folder}/{RH_NEW}.json")
    repo.git.mv(f"{RH}/systems/{RH_OLD}.json", f"{RH}/systems/{RH_NEW}.json")
    step("rename system")
    # 4. a deleted file
    repo.git.rm("-q", f"{CTT_SYS}/Offline/accuracy/accuracy.txt")
    step("delete file")
    # 5. a deleted required scenario
    repo.git.rm("-q", "-r", f"{CTT_SYS}/SingleStream", f"{CTT}/measurements/Orin_TRT/gptj-99/SingleStream")
    step("delete scenario")
    # the same change through a waiver file, and in the CI formats
    waivers = tmp / "waivers.yaml"
    waivers.write_text(
        "- {code: ST009, path: 'closed/*/Orin_TRT/*', reason: withdrawn on purpose, approved_by: chair, "
        "expires: 2999-12-31}\n"
        "- {code: RH001, path: 'open/*', reason: other division, approved_by: chair, expires: 2999-12-31}\n"
    )
    out["waived"] = run_ci(root, "--base", "HEAD~1", "--head", "HEAD", "--waivers", str(waivers)) + ([],)
    for fmt in ("sarif", "junit"):
        args = ["--repo", str(root), "--base", "HEAD~2", "--head", "HEAD", "--version", "v4.1", "--format", fmt]
        result = CliRunner().invoke(ci, args)
        out[fmt] = (result.exit_code, {"text": result.output}, [])
    # 6. the working tree (no --head): an untracked stray log under results/
    (root / RH / "results" / "notes.log").write_text("scratch\n")
    code, report = run_ci(root, "--base", "HEAD")
    out["working tree"] = (code, report, full_findings(root))
    out["bad revision"] = run_ci(root, "--base", "no-such-rev") + ([],)
    out["not a repo"] = run_ci(tmp / "rh" / "tree", "--base", "HEAD") + ([],)
    return out


def test_added_bad_result_reports_only_that_result(history) -> None:  # type: ignore[no-untyped-def]
    code, report, full = history["add bad result"]
    unit = f"{CTT_SYS}/MultiStream"
    assert code == 1
    assert "ST007" in {f["code"] for f in report["findings"]}
    assert {f["unit"] for f in report["findings"]} == {unit}
    assert keyed(report["findings"]) == of_unit(full, unit)
    assert report["summary"]["results_checked"] == 1


def test_modified_log_reports_its_finding_and_nothing_from_the_bad_result(history) -> None:  # type: ignore[no-untyped-def]
    code, report, full = history["modify log"]
    unit = f"{CTT_SYS}/Offline"
    assert code == 1
    assert ("PE006", f"{unit}/performance/run_1/mlperf_log_detail.txt") in {
        (f["code"], f["path"]) for f in report["findings"]
    }
    assert {f["unit"] for f in report["findings"]} == {unit}
    assert keyed(report["findings"]) == of_unit(full, unit)
    # the MultiStream result added one commit earlier is still bad, but it is not part of this change
    assert of_unit(full, f"{CTT_SYS}/MultiStream")


def test_renamed_system_reports_moves_and_the_new_results(history) -> None:  # type: ignore[no-untyped-def]
    code, report, full = history["rename system"]
    new_units = {f"{RH}/results/{RH_NEW}/llama2-70b-99.9/{s}" for s in ("Offline", "Server")}
    moved = [f for f in report["findings"] if f["code"] == "CI001"]
    assert {f["path"] for f in moved} == {f"{RH}/results/{RH_OLD}/llama2-70b-99.9/{s}" for s in ("Offline", "Server")}
    assert all("moved to" in f["message"] and f["severity"] == "notice" for f in moved)
    others = [f for f in report["findings"] if f["code"] != "CI001"]
    system_unit = f"{RH}/systems/{RH_NEW}"
    assert {f["unit"] for f in others} <= new_units | {system_unit}
    expected = set().union(*(of_unit(full, u) for u in new_units | {system_unit}))
    assert keyed(others) == expected
    assert not any(f["path"].startswith(CTT) for f in report["findings"])
    assert code == (1 if any(f["severity"] == "error" for f in others) else 0)
    assert report["summary"]["results_checked"] == 2


def test_deleted_file_reports_the_missing_file(history) -> None:  # type: ignore[no-untyped-def]
    code, report, full = history["delete file"]
    unit = f"{CTT_SYS}/Offline"
    assert code == 1
    assert ("ST011", f"{unit}/accuracy/accuracy.txt") in {(f["code"], f["path"]) for f in report["findings"]}
    assert {f["unit"] for f in report["findings"]} == {unit}
    assert keyed(report["findings"]) == of_unit(full, unit)


def test_deleted_required_scenario_is_a_notice_and_an_st009(history) -> None:  # type: ignore[no-untyped-def]
    code, report, _ = history["delete scenario"]
    found = {(f["code"], f["path"], f["severity"]) for f in report["findings"]}
    assert found == {
        ("CI001", f"{CTT_SYS}/SingleStream", "notice"),
        ("ST009", CTT_SYS, "error"),
    }
    assert code == 1


def test_working_tree_includes_untracked_files(history) -> None:  # type: ignore[no-untyped-def]
    code, report, _ = history["working tree"]
    assert code == 1
    assert {(f["code"], f["path"]) for f in report["findings"]} == {("RH001", f"{RH}/results/notes.log")}
    assert report["summary"]["results_checked"] == 0


def test_cannot_run_exits_2(history) -> None:  # type: ignore[no-untyped-def]
    assert history["bad revision"][0] == 2 and "unknown revision" in history["bad revision"][1]["error"]
    assert history["not a repo"][0] == 2 and "not inside a git repository" in history["not a repo"][1]["error"]


def test_change_mapping_covers_split_folders_and_systems() -> None:
    changes = [
        Change("M", "closed/A/measurements/S/resnet/Offline/user.conf"),
        Change("A", "closed/A/compliance/S/resnet/Server/TEST01/verify_accuracy.txt"),
        Change("M", "closed/A/systems/T.json"),
        Change(
            "R",
            "closed/B/results/N/bert-99/Offline/accuracy/accuracy.txt",
            "closed/B/results/O/bert-99/Offline/accuracy/accuracy.txt",
        ),
        Change("D", "open/C/model_mapping.json"),
        Change("M", "closed/A/code/resnet/README.md"),
        Change("A", "README.md"),
    ]
    affected = affected_by(changes)
    assert affected.results == {
        ("closed", "A", "S", "resnet", "Offline"),
        ("closed", "A", "S", "resnet", "Server"),
        ("closed", "B", "N", "bert-99", "Offline"),
        ("closed", "B", "O", "bert-99", "Offline"),
    }
    assert affected.result_statuses[("closed", "B", "O", "bert-99", "Offline")] == {"D"}
    assert affected.system_jsons == {("closed", "A", "T")}
    assert affected.whole_submitters == {("open", "C")}
    assert affected.code == {("closed", "A", "resnet")}
    assert affected.submitters == {("closed", "A"), ("closed", "B"), ("open", "C")}
    assert "closed/B/results/O/bert-99" in affected.ancestors


def test_waiver_file_in_ci(history) -> None:  # type: ignore[no-untyped-def]
    code, report, _ = history["waived"]
    assert code == 0
    st009 = [f for f in report["findings"] if f["code"] == "ST009"]
    assert len(st009) == 1 and "withdrawn on purpose" in st009[0]["waived"]
    assert not [f for f in report["findings"] if f["code"].startswith("WV")]  # the RH001 waiver is out of scope


def test_ci_formats_on_a_change(history) -> None:  # type: ignore[no-untyped-def]
    from xml.etree import ElementTree

    from tests.test_ci_formats import sarif_schema

    code, sarif, _ = history["sarif"]
    assert code == 1
    doc = json.loads(sarif["text"])
    jsonschema.validate(doc, sarif_schema())
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"ST009", "ST011", "PE006", "CI001"}
    _, junit, _ = history["junit"]
    cases = {(c.get("classname"), c.get("name")) for c in ElementTree.fromstring(junit["text"]).iter("testcase")}
    assert cases == {
        (f"{CTT}/Orin_TRT", "gptj-99/Offline"),
        (f"{CTT}/Orin_TRT", "gptj-99/SingleStream"),
        (f"{CTT}/Orin_TRT", "system description"),
    }
