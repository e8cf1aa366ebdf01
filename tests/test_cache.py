"""The cache of checked submitters (checker.cache): reused only while nothing under the submitter changed, never
trusted when damaged, kept outside the checked tree, and bypassed by ``--no-cache``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.cache import tree_fingerprint

from .conftest import DEMO_OFFLINE, check_demo_json


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(folder))
    return folder


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.pickle"))


def _listing(root: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p.relative_to(root)), p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*"))


def test_unchanged_tree_is_served_from_the_cache_outside_the_tree(demo_tree: Path, cache: Path) -> None:
    before = _listing(demo_tree)
    first = check_demo_json(demo_tree)
    stored = _entries(cache)
    assert first[0] == 0 and len(stored) == 1
    stamp = stored[0].stat().st_mtime_ns
    assert check_demo_json(demo_tree) == first
    assert _entries(cache) == stored and stored[0].stat().st_mtime_ns == stamp  # read, not rewritten
    assert _listing(demo_tree) == before  # nothing written into the checked tree


def test_one_byte_edited_in_the_middle_with_size_and_time_kept_changes_the_verdict(
    demo_tree: Path, cache: Path
) -> None:
    assert check_demo_json(demo_tree)[0] == 0
    log = demo_tree / DEMO_OFFLINE / "performance" / "run_1" / "mlperf_log_detail.txt"
    data = log.read_bytes()
    info = log.stat()
    at = data.index(b'"result_validity", "value": "VALID"') + len(b'"result_validity", "value": "')
    log.write_bytes(data[:at] + b"X" + data[at + 1 :])  # VALID -> XALID, same size
    os.utime(log, ns=(info.st_atime_ns, info.st_mtime_ns))  # and the old modification time
    code, report = check_demo_json(demo_tree)
    assert code == 1
    assert any(f["code"] == "PE003" and f["path"].endswith("run_1/mlperf_log_detail.txt") for f in report["findings"])


def test_a_damaged_entry_is_ignored_and_rebuilt(demo_tree: Path, cache: Path) -> None:
    first = check_demo_json(demo_tree)
    (entry,) = _entries(cache)
    blob = bytearray(entry.read_bytes())
    blob[-5] ^= 0xFF
    entry.write_bytes(bytes(blob))
    assert check_demo_json(demo_tree) == first
    assert entry.read_bytes() != bytes(blob)  # replaced by a good entry
    entry.write_bytes(b"not a cache entry")
    assert check_demo_json(demo_tree) == first


def test_no_cache_neither_reads_nor_writes_it(demo_tree: Path, cache: Path) -> None:
    assert check_demo_json(demo_tree, "--no-cache")[0] == 0
    assert _entries(cache) == []


def test_a_link_to_a_folder_outside_the_submitter_is_not_cached(demo_tree: Path, tmp_path: Path) -> None:
    submitter = demo_tree / "closed" / "SubcheckDemo"
    assert tree_fingerprint(submitter) is not None
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (submitter / "documentation").mkdir(exist_ok=True)
    (submitter / "documentation" / "linked").symlink_to(outside)
    assert tree_fingerprint(submitter) is None
    (submitter / "documentation" / "linked").unlink()
    (submitter / "documentation" / "inside").symlink_to(submitter / "systems")
    assert tree_fingerprint(submitter) is not None


def test_an_entry_that_is_a_fifo_or_a_folder_never_hangs_or_breaks_the_run(demo_tree: Path, cache: Path) -> None:
    first = check_demo_json(demo_tree)
    (entry,) = _entries(cache)
    entry.unlink()
    os.mkfifo(entry)  # a plain read would wait for a writer for ever
    assert check_demo_json(demo_tree) == first
    assert entry.is_file() and not entry.is_fifo()  # replaced by a good entry
    entry.unlink()
    entry.mkdir()  # nor can a folder be read or replaced: the submitter is checked again each time
    assert check_demo_json(demo_tree) == first


def test_an_unwritable_cache_only_costs_time(demo_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(blocker))
    assert check_demo_json(demo_tree)[0] == 0
    assert check_demo_json(demo_tree, "--select", "PE")[0] == 0
