"""`subcheck ci` on a git history: each commit's report holds exactly the findings of its change.

The history is built twice: from real v4.1 submitters (ConnectTechInc and RedHat; skipped without the shared data)
and from the demo tree plus a second demo submitter (always runs). ``Names`` says what each history calls things.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import git
import jsonschema
import pytest
from click.testing import CliRunner

from checker.ci import ci
from checker.gitdiff import Change, affected_by
from tests import trees
from tests.conftest import copy_submitter
from tests.mutate import edit_json
from tests.trees import Tree

CTT = "closed/ConnectTechInc"
CTT_SYS = f"{CTT}/results/Orin_TRT/gptj-99"
RH = "closed/RedHat"
RH_OLD, RH_NEW = "L40S-RedHat-OpenShift", "L40S-RH"


@dataclass(frozen=True)
class Names:
    """What one history calls its submitters, systems and scenarios."""

    tree: Tree  # the first submitter (the root is the repository)
    bench: str  # <division>/<submitter>/results/<system>/<benchmark> of the first submitter
    bad: str  # the scenario folder the first commit adds, which the benchmark does not allow (ST007)
    edited: str  # the scenario whose log and accuracy.txt are changed
    required: str  # the required scenario that is deleted at the end
    other: str  # the second submitter, whose system is renamed
    old: str
    new: str
    other_bench: str  # the second submitter's benchmark folder name
    other_scenarios: tuple[str, ...]


def run_ci(root: Path, tree: Tree, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(ci, ["--repo", str(root), *tree.round_args, "--format", "json", "-j", "1", *args])
    if result.exit_code == 2:
        return 2, {"error": result.output}
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def commit(repo: git.Repo, message: str) -> None:
    repo.git.add(A=True)
    repo.git.commit("-q", "-m", message)


def full_findings(tree: Tree) -> list[dict]:
    """What a whole `check` of the head tree says, to compare the incremental report with."""
    return [f.to_record() for f in tree.report().findings]


def keyed(findings: list[dict]) -> set[tuple[str, str, int | None]]:
    return {(f["code"], f["path"], f["line"]) for f in findings}


def of_unit(findings: list[dict], unit: str) -> set[tuple[str, str, int | None]]:
    return keyed([f for f in findings if f["unit"] == unit])


def _real(tmp: Path) -> tuple[Names, list[str]]:
    """ConnectTechInc (gptj-99 on edge) and RedHat; the split layout keeps measurements beside the results."""
    tree = trees.real_tree(tmp)
    shutil.copytree(copy_submitter(tmp / "rh", "closed", "RedHat") / RH, tree.root / RH)
    names = Names(tree, CTT_SYS, "MultiStream", "Offline", "SingleStream", RH, RH_OLD, RH_NEW, "llama2-70b-99.9",
                  ("Offline", "Server"))  # fmt: skip
    return names, ["results", "measurements"]


def _demo(tmp: Path) -> tuple[Names, list[str]]:
    """The demo tree (digits on edge: Offline required, all but Interactive allowed) and OtherDemo, a second
    submitter holding a copy of its Offline and Server results on system ``other_cpu``."""
    tree = trees.demo_tree(tmp)
    other = "closed/OtherDemo"
    for scenario in ("Offline", "Server"):
        shutil.copytree(
            tree.path(f"{tree.results}/{scenario}"), tree.path(f"{other}/results/other_cpu/digits/{scenario}")
        )
    shutil.copytree(tree.path(f"{tree.sub}/src"), tree.path(f"{other}/src"))
    shutil.copytree(tree.path(tree.documentation), tree.path(f"{other}/documentation"))
    tree.path(f"{other}/systems").mkdir()
    system = tree.path(f"{other}/systems/other_cpu.json")
    shutil.copyfile(tree.path(tree.system), system)
    edit_json(system, submitter="OtherDemo", system_name="Other demo system")
    names = Names(tree, tree.results, "Interactive", "SingleStream", "Offline", other, "other_cpu", "other_new",
                  "digits", ("Offline", "Server"))  # fmt: skip
    return names, ["results"]


@pytest.fixture(scope="module", params=["real", "demo"])
def history(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the history once; for each commit: ci's exit code and report, and a full check of its tree."""
    tmp = tmp_path_factory.mktemp("ci")
    names, tops = _real(tmp) if request.param == "real" else _demo(tmp)
    tree, root, bench, other = names.tree, names.tree.root, names.bench, names.other
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "subcheck test")
        config.set_value("user", "email", "test@example.invalid")
    commit(repo, "valid results")
    out: dict = {"names": names}

    def step(name: str) -> None:
        commit(repo, name)
        code, report = run_ci(root, tree, "--base", "HEAD~1", "--head", "HEAD")
        out[name] = (code, report, full_findings(tree))

    def in_tops(rel: str) -> list[Path]:
        """``rel`` (below results/) in every top folder of the layout that has it."""
        rest = rel.split("/results/", 1)[1]
        sub = rel.split("/results/", 1)[0]
        return [root / sub / top / rest for top in tops if (root / sub / top / rest).exists()]

    # 1. a bad result: a scenario the benchmark does not allow on an edge system
    for source in in_tops(f"{bench}/SingleStream"):
        shutil.copytree(source, source.with_name(names.bad))
    step("add bad result")
    # 2. a modified log: a seed that is not the round's
    seed = tree.qsl_seed
    log = root / bench / names.edited / "performance/run_1/mlperf_log_detail.txt"
    log.write_text(log.read_text().replace(seed, seed[:-1] + str((int(seed[-1]) + 1) % 10)))
    step("modify log")
    # 3. a renamed system: folders, measurement files and the description
    for top in ("results", "measurements", "compliance"):
        if (root / other / top / names.old).exists():
            repo.git.mv(f"{other}/{top}/{names.old}", f"{other}/{top}/{names.new}")
    for scenario in names.other_scenarios:
        folder = f"{other}/measurements/{names.new}/{names.other_bench}/{scenario}"
        if (root / folder).is_dir():
            repo.git.mv(f"{folder}/{names.old}.json", f"{folder}/{names.new}.json")
    repo.git.mv(f"{other}/systems/{names.old}.json", f"{other}/systems/{names.new}.json")
    step("rename system")
    # 4. a deleted file
    repo.git.rm("-q", f"{bench}/{names.edited}/accuracy/accuracy.txt")
    step("delete file")
    # 5. a deleted required scenario
    repo.git.rm("-q", "-r", *[p.relative_to(root).as_posix() for p in in_tops(f"{bench}/{names.required}")])
    step("delete scenario")
    # the same change through a waiver file, and in the CI formats
    waivers = tmp / "waivers.yaml"
    waivers.write_text(
        f"- {{code: ST009, path: 'closed/*/{tree.system_name}/*', reason: withdrawn on purpose, approved_by: chair, "
        "expires: 2999-12-31}\n"
        "- {code: RH001, path: 'open/*', reason: other division, approved_by: chair, expires: 2999-12-31}\n"
    )
    out["waived"] = run_ci(root, tree, "--base", "HEAD~1", "--head", "HEAD", "--waivers", str(waivers)) + ([],)
    for fmt in ("sarif", "junit"):
        args = ["--repo", str(root), "--base", "HEAD~2", "--head", "HEAD", *tree.round_args, "--format", fmt]
        result = CliRunner().invoke(ci, args)
        out[fmt] = (result.exit_code, {"text": result.output}, [])
    # 6. the working tree (no --head): an untracked stray log under results/
    (root / other / "results" / "notes.log").write_text("scratch\n")
    code, report = run_ci(root, tree, "--base", "HEAD")
    out["working tree"] = (code, report, full_findings(tree))
    out["bad revision"] = run_ci(root, tree, "--base", "no-such-rev") + ([],)
    plain = tmp / "plain"
    plain.mkdir()
    out["not a repo"] = run_ci(plain, tree, "--base", "HEAD") + ([],)
    return out


def test_added_bad_result_reports_only_that_result(history) -> None:  # type: ignore[no-untyped-def]
    code, report, full = history["add bad result"]
    names: Names = history["names"]
    unit = f"{names.bench}/{names.bad}"
    assert code == 1
    assert "ST007" in {f["code"] for f in report["findings"]}
    assert {f["unit"] for f in report["findings"]} == {unit}
    assert keyed(report["findings"]) == of_unit(full, unit)
    assert report["summary"]["results_checked"] == 1


def test_modified_log_reports_its_finding_and_nothing_from_the_bad_result(history) -> None:  # type: ignore[no-untyped-def]
    code, report, full = history["modify log"]
    names: Names = history["names"]
    unit = f"{names.bench}/{names.edited}"
    assert code == 1
    assert ("PE006", f"{unit}/performance/run_1/mlperf_log_detail.txt") in {
        (f["code"], f["path"]) for f in report["findings"]
    }
    assert {f["unit"] for f in report["findings"]} == {unit}
    assert keyed(report["findings"]) == of_unit(full, unit)
    # the result added one commit earlier is still bad, but it is not part of this change
    assert of_unit(full, f"{names.bench}/{names.bad}")


def test_renamed_system_reports_moves_and_the_new_results(history) -> None:  # type: ignore[no-untyped-def]
    code, report, full = history["rename system"]
    n: Names = history["names"]
    new_units = {f"{n.other}/results/{n.new}/{n.other_bench}/{s}" for s in n.other_scenarios}
    moved = [f for f in report["findings"] if f["code"] == "CI001"]
    assert {f["path"] for f in moved} == {f"{n.other}/results/{n.old}/{n.other_bench}/{s}" for s in n.other_scenarios}
    assert all("moved to" in f["message"] and f["severity"] == "notice" for f in moved)
    others = [f for f in report["findings"] if f["code"] != "CI001"]
    system_unit = f"{n.other}/systems/{n.new}"
    assert {f["unit"] for f in others} <= new_units | {system_unit}
    expected = set().union(*(of_unit(full, u) for u in new_units | {system_unit}))
    assert keyed(others) == expected
    assert not any(f["path"].startswith(n.tree.sub) for f in report["findings"])
    assert code == (1 if any(f["severity"] == "error" for f in others) else 0)
    assert report["summary"]["results_checked"] == 2


def test_deleted_file_reports_the_missing_file(history) -> None:  # type: ignore[no-untyped-def]
    code, report, full = history["delete file"]
    names: Names = history["names"]
    unit = f"{names.bench}/{names.edited}"
    assert code == 1
    assert ("ST011", f"{unit}/accuracy/accuracy.txt") in {(f["code"], f["path"]) for f in report["findings"]}
    assert {f["unit"] for f in report["findings"]} == {unit}
    assert keyed(report["findings"]) == of_unit(full, unit)


def test_deleted_required_scenario_is_a_notice_and_an_st009(history) -> None:  # type: ignore[no-untyped-def]
    code, report, _ = history["delete scenario"]
    names: Names = history["names"]
    found = {(f["code"], f["path"], f["severity"]) for f in report["findings"]}
    assert found == {
        ("CI001", f"{names.bench}/{names.required}", "notice"),
        ("ST009", names.bench, "error"),
    }
    assert code == 1


def test_working_tree_includes_untracked_files(history) -> None:  # type: ignore[no-untyped-def]
    code, report, _ = history["working tree"]
    names: Names = history["names"]
    assert code == 1
    assert {(f["code"], f["path"]) for f in report["findings"]} == {("RH001", f"{names.other}/results/notes.log")}
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
    names: Names = history["names"]
    # The demo's audits keep truncated TEST01 logs: the edited result also carries CO008's notice.
    notices = {"CO008"} if names.tree.demo else set()
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"ST009", "ST011", "PE006", "CI001"} | notices
    _, junit, _ = history["junit"]
    cases = {(c.get("classname"), c.get("name")) for c in ElementTree.fromstring(junit["text"]).iter("testcase")}
    system = f"{names.tree.sub}/{names.tree.system_name}"
    assert cases == {
        (system, f"{names.tree.benchmark}/{names.edited}"),
        (system, f"{names.tree.benchmark}/{names.required}"),
        (system, "system description"),
    }
