"""Reading ahead (checker.prefetch) is a hint only: it finds every regular file of a job once, never follows a link
out of it, never blocks on a FIFO, starts no thread on a warm tree, and does not change what a check decides.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

import checker.prefetch as prefetch
from checker.prefetch import ReadAhead

from .conftest import check_demo_json


def _tree(root: Path) -> dict[str, Path]:
    (root / "a" / "b").mkdir(parents=True)
    (root / "c").mkdir()
    files = {"one": root / "a" / "one.txt", "two": root / "a" / "b" / "two.txt", "three": root / "c" / "three.txt"}
    for path in files.values():
        path.write_text("x" * 100)
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not ours")
    (root / "a" / "link").symlink_to(outside, target_is_directory=True)
    os.mkfifo(root / "c" / "pipe")
    return files


def test_every_regular_file_once_no_links_no_fifos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    files = _tree(root)
    hinted: list[str] = []
    monkeypatch.setattr(prefetch, "_would_wait", lambda path: True)
    monkeypatch.setattr(prefetch, "_hint", lambda path: hinted.append(path))
    ahead = ReadAhead([str(root / "c"), str(root), str(root / "a")])  # folders named twice are walked once
    for thread in ahead.threads:
        thread.join(timeout=30)
    assert sorted(hinted) == sorted(str(p) for p in files.values())  # each once, no link target, no FIFO


def test_a_warm_tree_starts_no_thread_and_a_cold_one_is_hinted_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "tree"
    files = _tree(root)
    assert ReadAhead([str(root)]).threads == []  # just written: in the page cache
    hinted: list[str] = []
    monkeypatch.setattr(prefetch, "_would_wait", lambda path: True)
    monkeypatch.setattr(prefetch, "_hint", lambda path: hinted.append(path))
    ahead = ReadAhead([str(root)])
    for thread in ahead.threads:
        thread.join(timeout=30)
    assert ahead.threads and not any(thread.is_alive() for thread in ahead.threads)
    assert sorted(hinted) == sorted(str(p) for p in files.values())


def test_a_missing_or_unlistable_folder_is_no_error(tmp_path: Path) -> None:
    assert prefetch._listing(str(tmp_path / "gone")) == ([], [])
    assert prefetch._would_wait(str(tmp_path / "gone")) is None
    prefetch._hint(str(tmp_path / "gone"))
    assert ReadAhead([str(tmp_path / "gone")]).threads == []


def test_the_workers_are_forked_before_any_thread_starts(demo_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forking a process that runs threads can copy a held lock into the child: the pool forks first."""
    from concurrent.futures import ProcessPoolExecutor

    started: list[int] = []
    real = ReadAhead.__init__

    def counted(self: ReadAhead, folders: object, whole: object = None) -> None:
        pools = [obj for obj in gc.get_objects() if isinstance(obj, ProcessPoolExecutor)]
        started.append(sum(len(pool._processes or {}) for pool in pools))
        real(self, folders, whole)  # type: ignore[arg-type]

    monkeypatch.setattr(ReadAhead, "__init__", counted)
    check_demo_json(demo_tree, "--no-cache", "-j", "2")
    assert started and started[-1] >= 1


def test_reading_ahead_changes_no_verdict(demo_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = check_demo_json(demo_tree, "--no-cache")
    monkeypatch.setattr(prefetch, "_would_wait", lambda path: True)
    assert check_demo_json(demo_tree, "--no-cache") == plain


def test_a_folder_list_given_as_a_function_is_worked_out_off_the_callers_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The warm run must not wait for the list of every folder; a list that cannot be made is no read-ahead."""
    import threading

    root = tmp_path / "tree"
    files = _tree(root)
    hinted: list[str] = []
    asked_on: list[threading.Thread] = []
    monkeypatch.setattr(prefetch, "_would_wait", lambda path: True)
    monkeypatch.setattr(prefetch, "_hint", lambda path: hinted.append(path))

    def folders() -> list[str]:
        asked_on.append(threading.current_thread())
        return [str(root)]

    ahead = ReadAhead(folders)
    for thread in ahead.threads:  # the first thread appends the hinting ones before it ends
        thread.join(timeout=30)
    assert asked_on and asked_on[0] is not threading.current_thread()
    assert sorted(hinted) == sorted(str(p) for p in files.values())

    def broken() -> list[str]:
        raise OSError("gone")

    failing = ReadAhead(broken)
    for thread in failing.threads:
        thread.join(timeout=30)
    assert len(failing.threads) == 1 and "Traceback" not in capfd.readouterr().err


def test_only_the_files_the_rules_read_are_hinted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Code, images and archives are judged by name and size (the walk's stat): none of their bytes is read ahead."""
    root = tmp_path / "tree"
    root.mkdir()
    for name in ("mlperf_log_detail.txt", "weights.npz", "README.md"):
        (root / name).write_text("x")
    hinted: list[str] = []
    monkeypatch.setattr(prefetch, "_would_wait", lambda path: True)
    monkeypatch.setattr(prefetch, "_hint", lambda path: hinted.append(os.path.basename(path)))
    ahead = ReadAhead([str(root)], whole=frozenset({"mlperf_log_detail.txt"}))
    for thread in ahead.threads:
        thread.join(timeout=30)
    assert hinted == ["mlperf_log_detail.txt"]
