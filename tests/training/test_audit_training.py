"""`subcheck audit` on a training round: identity (AU001), accelerator-minutes (AU070), power (AU071), copied logs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.audit.command import audit
from checker.audit.config import load_config
from checker.audit.training import audit_training
from checker.engine import Selection
from checker.options import RunOptions
from checker.rounds import Round
from checker.training.discovery import discover

from . import v61
from .harness import edit, set_field

SYSTEMS = [f"sys-{i}" for i in range(6)]


def _tree(root: Path, power: bool = False) -> Path:
    """Six copies of the built qwen system (distinct names; the logs differ by their seed line)."""
    v61.build(root, power=power)
    org = root / v61.ORG
    base_json = org / "systems" / f"{v61.SYSTEM}.json"
    for i, name in enumerate(SYSTEMS):
        data = json.loads(base_json.read_text())
        data["system_name"] = f"Acme system {i}"
        (org / "systems" / f"{name}.json").write_text(json.dumps(data))
        shutil.copytree(org / "results" / v61.SYSTEM, org / "results" / name)
        for log in (org / "results" / name / v61.BENCH).glob("result_*.txt"):
            edit([log], set_field("seed", lambda s, i=i: s + 100 * (i + 1)))
    shutil.rmtree(org / "results" / v61.SYSTEM)
    base_json.unlink()
    return root


def _audit(root: Path, codes: tuple[str, ...]) -> list:
    rules = Round.load("training", "v6.1")
    report = audit_training(root, discover(root), rules, load_config(), 1, RunOptions(), Selection(codes))
    return [f for f in report.findings if f.code.startswith("AU")]


def _bench(root: Path, name: str) -> Path:
    return root / v61.ORG / "results" / name / v61.BENCH


def test_clean_round_has_no_audit_findings(tmp_path: Path) -> None:
    assert _audit(_tree(tmp_path / "t", power=True), ("AU",)) == []


def test_au070_slow_system(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t")
    slow = _bench(root, "sys-3")
    edit(sorted(slow.glob("result_*.txt")), set_field("run_stop", lambda t: t + 2 * 3_600_000, field="time_ms"))
    (f,) = _audit(root, ("AU070",))
    assert f.path == f"{v61.ORG}/results/sys-3/{v61.BENCH}"
    assert f.extra["population"] == 6 and f.extra["z"] > 3.5


def test_au071_power_far_from_peers(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t", power=True)
    nodes = sorted(_bench(root, "sys-1").glob("power/result_*/node_*.txt"))
    edit(nodes, set_field("power_reading", lambda w: w * 10, nth=None))
    (f,) = _audit(root, ("AU071",))
    assert f.path == f"{v61.ORG}/results/sys-1/{v61.BENCH}" and f.extra["watts_per_accelerator"] > 5 * f.extra["median"]


def test_au001_one_name_two_descriptions(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t")
    path = root / v61.ORG / "systems" / "sys-5.json"
    data = json.loads(path.read_text())
    data["system_name"], data["accelerators_per_node"] = "Acme system 4", "4"
    path.write_text(json.dumps(data))
    (f,) = _audit(root, ("AU001",))
    assert f.path == f"{v61.ORG}/systems/sys-4.json" and "accelerators_per_node" in f.extra["differing"]


def test_au072_log_filed_twice(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t")
    shutil.copy(_bench(root, "sys-0") / "result_1.txt", _bench(root, "sys-2") / "result_1.txt")
    (f,) = _audit(root, ("AU072",))
    assert f.extra["files"] == [f"{v61.ORG}/results/sys-{i}/{v61.BENCH}/result_1.txt" for i in (0, 2)]


def test_cli_audit_on_training_tree(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t")
    shutil.copy(_bench(root, "sys-0") / "result_1.txt", _bench(root, "sys-2") / "result_1.txt")
    res = CliRunner().invoke(audit, [str(root), "--version", "v6.1", "--format", "json", "-j", "1"])
    assert res.exit_code == 0, res.output  # the copied log passes the check; the audit is for reviewers
    assert [f["code"] for f in json.loads(res.output)["findings"] if f["code"].startswith("AU")] == ["AU072"]
    res = CliRunner().invoke(audit, [str(root), "--version", "v6.1", "--history", str(root)])
    assert res.exit_code == 2 and "inference rounds only" in res.output


@pytest.mark.parametrize("code", ["AU070", "AU071", "AU072"])
def test_training_audits_ignore_inference_rounds(code: str) -> None:
    from checker.audit.base import AuditContext
    from checker.registry import REGISTRY

    ctx = AuditContext(Path("."), None, Round.load("inference", "v4.1"), load_config(), None, None)  # type: ignore[arg-type]
    assert list(REGISTRY[code].run(ctx)) == []
