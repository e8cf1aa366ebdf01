"""RH rules on a real submission: each planted problem yields exactly its code; the clean copy yields none."""

from __future__ import annotations

import os

from checker.findings import Severity
from tests import trees
from tests.trees import Tree

tree = trees.tree  # each test taking ``tree`` runs on the real ConnectTechInc copy and on the demo copy


def rh_of(tree: Tree) -> set[tuple[str, str, str]]:
    return {(f.code, f.path, f.severity.value) for f in tree.report(("RH",)).findings}


def test_clean_submission_has_no_hygiene_findings(tree: Tree) -> None:
    assert rh_of(tree) == set()


def test_stray_files_in_results_and_at_root(tree: Tree) -> None:
    sub, system, bench = tree.path(tree.sub), tree.system_name, tree.benchmark
    (sub / "results" / "run.log").write_text("log\n")
    (sub / "results" / system / bench / "notes.txt").write_text("x\n")
    (sub / "results" / system / "submission_checker_log.txt").write_text("official\n")
    (sub / "mlperf.log").write_text("log\n")
    (sub / "backup.tar.gz").write_bytes(b"\x1f\x8b\x08\x00")
    (sub / "NOTES.md").write_text("fine\n")
    assert rh_of(tree) == {
        ("RH001", f"{tree.sub}/results/run.log", "error"),
        ("RH001", f"{tree.sub}/results/{system}/{bench}/notes.txt", "error"),
        ("RH002", f"{tree.sub}/mlperf.log", "error"),
        ("RH002", f"{tree.sub}/backup.tar.gz", "error"),
    }


def test_binaries_under_results_by_content_and_extension(tree: Tree) -> None:
    offline = f"{tree.results}/Offline"
    result = tree.path(offline)
    (result / "performance" / "run_1" / "trace.dump").write_bytes(b"text\0binary")
    (result / "accuracy" / "weights.npy").write_bytes(b"\x93NUMPY")
    (result / "accuracy" / "images").mkdir()
    (result / "accuracy" / "images" / "0.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    assert rh_of(tree) == {
        ("RH003", f"{offline}/performance/run_1/trace.dump", "error"),
        ("RH003", f"{offline}/accuracy/weights.npy", "error"),
    }


def test_untruncated_accuracy_logs_outside_accuracy(tree: Tree) -> None:
    big = "[" + ",".join(['{"qsl_idx": 1, "data": "00"}'] * 500) + "]"
    test01 = tree.path(tree.audit("TEST01")) / "accuracy"
    test06 = tree.path(tree.audit("TEST06")) / "accuracy"  # TEST06 keeps its whole log
    for folder in (test01, test06):
        folder.mkdir(parents=True, exist_ok=True)  # the demo's TEST01 has a truncated copy there
        (folder / "mlperf_log_accuracy.json").write_text(big)
    result = tree.path(f"{tree.results}/Offline")
    (result / "performance/run_1/mlperf_log_accuracy.json").write_text(big)
    (result / "accuracy/mlperf_log_accuracy.json").write_text(big)  # the AC rules' business
    assert rh_of(tree) == {
        ("RH004", f"{tree.audit('TEST01')}/accuracy/mlperf_log_accuracy.json", "error"),
        ("RH004", f"{tree.results}/Offline/performance/run_1/mlperf_log_accuracy.json", "error"),
    }


def test_non_portable_names_and_links(tree: Tree) -> None:
    docs = tree.path(tree.sub) / "documentation"
    docs.mkdir(exist_ok=True)
    if tree.demo:
        (docs / "FAQ.md").write_text("x\n")  # the real copy has one
    (docs / "résumé.md").write_text("x\n")
    (docs / "a,b=c.md").write_text("x\n")
    (docs / "what?.md").write_text("x\n")
    (docs / "with space.md").write_text("x\n")  # ST014's, not RH005's
    os.symlink("FAQ.md", docs / "faq-link.md")
    assert rh_of(tree) == {
        ("RH005", f"{tree.sub}/documentation/résumé.md", Severity.WARNING.value),
        ("RH005", f"{tree.sub}/documentation/a,b=c.md", "warning"),
        ("RH005", f"{tree.sub}/documentation/what?.md", "error"),
        ("RH006", f"{tree.sub}/documentation/faq-link.md", "warning"),
    }
