"""Corrupted accuracy.txt, accuracy logs and compliance folders never make an AC/CO/PO/DV rule crash.

Each test runs on Oracle's resnet50 results (v4.1; skipped without the shared data) and on the demo tree (demo round).
"""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import trees
from tests.conftest import require_data
from tests.test_rules_accuracy import clear_caches
from tests.trees import Tree

SYSTEM = "GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT"
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=["real", "demo"])
def tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """Oracle's closed resnet50 results only (with TEST01/04/05 audits), or the demo tree (TEST01/04), writable,
    shared by the fuzz tests."""
    if request.param == "demo":
        return trees.demo_tree(tmp_path_factory.mktemp("fuzz"))
    source = require_data("inference-v4.1", "closed", "Oracle")
    root = tmp_path_factory.mktemp("fuzz") / "tree"
    others = {"3d-unet-99", "3d-unet-99.9", "bert-99", "bert-99.9", "gptj-99", "gptj-99.9", "retinanet"}
    others.add("stable-diffusion-xl")
    shutil.copytree(source, root / "closed" / "Oracle", ignore=lambda _, names: [n for n in names if n in others])
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return Tree("real", root, "closed", "Oracle", SYSTEM, "resnet50", "v4.1", None)


def _result(tree: Tree) -> str:
    return f"{tree.results}/Offline"


def _crashes(tree: Tree) -> list[str]:
    """Findings that report an internal error in one of the audit rules."""
    clear_caches()
    report = tree.report()
    return [f"{f.code}: {f.message}" for f in report.findings if f.code == "EN001"]


def _mutated(original: bytes, data: st.DataObject) -> bytes | None:
    """A corrupted variant of a file: truncated, spliced with junk, replaced by junk, or deleted (None)."""
    kind = data.draw(st.sampled_from(["truncate", "splice", "junk", "delete", "text"]))
    if kind == "delete":
        return None
    if kind == "truncate":
        return original[: data.draw(st.integers(0, max(0, len(original) - 1)))]
    if kind == "junk":
        return data.draw(st.binary(max_size=2048))
    if kind == "text":
        return data.draw(st.text(max_size=512)).encode("utf-8", "surrogatepass")
    start = data.draw(st.integers(0, len(original)))
    return original[:start] + data.draw(st.binary(max_size=64)) + original[start + data.draw(st.integers(0, 64)) :]


def _fuzz_file(tree: Tree, rel: str, data: st.DataObject) -> None:
    path = tree.path(rel)
    original = path.read_bytes()
    variant = _mutated(original, data)
    try:
        if variant is None:
            path.unlink()
        else:
            path.write_bytes(variant)
        assert _crashes(tree) == []
    finally:
        path.write_bytes(original)


@FUZZ
@given(data=st.data())
def test_corrupt_accuracy_txt(tree: Tree, data: st.DataObject) -> None:
    _fuzz_file(tree, f"{_result(tree)}/accuracy/accuracy.txt", data)


@FUZZ
@given(data=st.data())
def test_corrupt_accuracy_json(tree: Tree, data: st.DataObject) -> None:
    target = data.draw(
        st.sampled_from(
            [
                f"{_result(tree)}/accuracy/mlperf_log_accuracy.json",
                f"{tree.audit('TEST01')}/accuracy/mlperf_log_accuracy.json",
                f"{_result(tree)}/accuracy/mlperf_log_detail.txt",
            ]
        )
    )
    _fuzz_file(tree, target, data)


@FUZZ
@given(data=st.data())
def test_corrupt_compliance_folder(tree: Tree, data: st.DataObject) -> None:
    audits = [tree.path(tree.audit(test)) for test in ("TEST01", "TEST04", "TEST05")]
    names = sorted(p.relative_to(tree.root).as_posix() for a in audits for p in a.rglob("*") if p.is_file())
    assert names
    _fuzz_file(tree, data.draw(st.sampled_from(names)), data)


def test_fuzz_tree_is_clean_before_corruption(tree: Tree) -> None:
    clear_caches()
    report = tree.report()
    assert not [f for f in report.findings if f.fails and f.code[:2] in ("AC", "CO", "PO", "DV")]
