"""RH rules on a real submission: each planted problem yields exactly its code; the clean copy yields none."""

from __future__ import annotations

import os
from pathlib import Path

from checker.discovery import discover
from checker.engine import Selection, run_checks
from checker.findings import Severity
from checker.registry import load_all
from checker.rounds import Round

SUB = "closed/ConnectTechInc"
RESULT = f"{SUB}/results/Orin_TRT/gptj-99/Offline"


def rh(root: Path) -> set[tuple[str, str, str]]:
    load_all()
    report = run_checks(discover(root, "split"), Round.load("inference", "v4.1"), selection=Selection(("RH",)))
    return {(f.code, f.path, f.severity.value) for f in report.findings}


def test_clean_submission_has_no_hygiene_findings(ctt_tree: Path) -> None:
    assert rh(ctt_tree) == set()


def test_stray_files_in_results_and_at_root(ctt_tree: Path) -> None:
    sub = ctt_tree / SUB
    (sub / "results" / "run.log").write_text("log\n")
    (sub / "results" / "Orin_TRT" / "gptj-99" / "notes.txt").write_text("x\n")
    (sub / "results" / "Orin_TRT" / "submission_checker_log.txt").write_text("official\n")
    (sub / "mlperf.log").write_text("log\n")
    (sub / "backup.tar.gz").write_bytes(b"\x1f\x8b\x08\x00")
    (sub / "NOTES.md").write_text("fine\n")
    assert rh(ctt_tree) == {
        ("RH001", f"{SUB}/results/run.log", "error"),
        ("RH001", f"{SUB}/results/Orin_TRT/gptj-99/notes.txt", "error"),
        ("RH002", f"{SUB}/mlperf.log", "error"),
        ("RH002", f"{SUB}/backup.tar.gz", "error"),
    }


def test_binaries_under_results_by_content_and_extension(ctt_tree: Path) -> None:
    result = ctt_tree / RESULT
    (result / "performance" / "run_1" / "trace.dump").write_bytes(b"text\0binary")
    (result / "accuracy" / "weights.npy").write_bytes(b"\x93NUMPY")
    (result / "accuracy" / "images").mkdir()
    (result / "accuracy" / "images" / "0.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    assert rh(ctt_tree) == {
        ("RH003", f"{RESULT}/performance/run_1/trace.dump", "error"),
        ("RH003", f"{RESULT}/accuracy/weights.npy", "error"),
    }


def test_untruncated_accuracy_logs_outside_accuracy(ctt_tree: Path) -> None:
    big = "[" + ",".join(['{"qsl_idx": 1, "data": "00"}'] * 500) + "]"
    test01 = ctt_tree / SUB / "compliance/Orin_TRT/gptj-99/Offline/TEST01/accuracy"
    test06 = ctt_tree / SUB / "compliance/Orin_TRT/gptj-99/Offline/TEST06/accuracy"
    for folder in (test01, test06):
        folder.mkdir(parents=True)
        (folder / "mlperf_log_accuracy.json").write_text(big)
    (ctt_tree / RESULT / "performance/run_1/mlperf_log_accuracy.json").write_text(big)
    (ctt_tree / RESULT / "accuracy/mlperf_log_accuracy.json").write_text(big)  # the AC rules' business
    assert rh(ctt_tree) == {
        ("RH004", f"{SUB}/compliance/Orin_TRT/gptj-99/Offline/TEST01/accuracy/mlperf_log_accuracy.json", "error"),
        ("RH004", f"{RESULT}/performance/run_1/mlperf_log_accuracy.json", "error"),
    }


def test_non_portable_names_and_links(ctt_tree: Path) -> None:
    docs = ctt_tree / SUB / "documentation"
    (docs / "résumé.md").write_text("x\n")
    (docs / "a,b=c.md").write_text("x\n")
    (docs / "what?.md").write_text("x\n")
    (docs / "with space.md").write_text("x\n")  # ST014's, not RH005's
    os.symlink("FAQ.md", docs / "faq-link.md")
    assert rh(ctt_tree) == {
        ("RH005", f"{SUB}/documentation/résumé.md", Severity.WARNING.value),
        ("RH005", f"{SUB}/documentation/a,b=c.md", "warning"),
        ("RH005", f"{SUB}/documentation/what?.md", "error"),
        ("RH006", f"{SUB}/documentation/faq-link.md", "warning"),
    }
