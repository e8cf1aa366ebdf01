"""checker.entries: the one place every cache and memo finds its folder, reads an entry and writes one."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from checker import detect_memo, entries, schema_memo, yaml_memo
from checker.cache import cache_dir
from checker.plugins import scan_memo


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SUBCHECK_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}, "/c"),
        ({"XDG_CACHE_HOME": "/x"}, "/x/subcheck"),
        ({"HOME": "/h"}, "/h/.cache/subcheck"),
    ],
)
def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, env: dict, expected: str) -> None:
    for name in ("SUBCHECK_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert entries.cache_root() == expected and cache_dir() == Path(expected)


def test_an_entry_is_read_only_from_a_regular_file_within_its_limit(tmp_path: Path) -> None:
    read = entries.read_entry
    assert read(tmp_path / "none.bin", 10) is None and read(tmp_path / "none" / "x.bin", 10) is None
    (tmp_path / "entry.bin").write_bytes(b"abc")
    os.mkfifo(tmp_path / "fifo.bin")
    assert read(tmp_path / "entry.bin", 3) == b"abc" and read(tmp_path / "entry.bin", 2) == b""
    assert read(tmp_path / "fifo.bin", 10) == b"" and read(tmp_path, 10) == b""


def test_an_entry_that_holds_more_than_its_stat_said_is_refused_past_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries and evidence share one bounded read (checker.bounded_read): an entry that grew after its ``fstat``
    is read on, at most its limit and one byte, and refused past the limit; within it, it is read whole.
    """
    path = tmp_path / "grown.bin"
    path.write_bytes(b"z" * 100)
    small = os.stat_result((0o100644, 0, 0, 1, 0, 0, 10, 0, 0, 0))  # a regular file of 10 bytes
    real_fstat = os.fstat
    monkeypatch.setattr(
        os, "fstat", lambda fd: small if os.readlink(f"/proc/self/fd/{fd}") == str(path) else real_fstat(fd)
    )
    assert entries.read_entry(path, 50) == b""
    assert entries.read_entry(path, 200) == b"z" * 100


def test_a_keyed_entry_gives_its_body_only_under_its_own_head(tmp_path: Path) -> None:
    path = tmp_path / "k"
    entries.write_atomically(path, b"HEAD\nbody")
    assert entries.read_keyed(path, b"HEAD\n", 64) == b"body"
    assert entries.read_keyed(path, b"OTHER\n", 64) is None and entries.read_keyed(path, b"HEAD\n", 4) is None
    assert entries.read_keyed(tmp_path / "absent", b"HEAD\n", 64) is None
    assert [p.name for p in tmp_path.iterdir()] == ["k"]  # written whole, then renamed: no temporary left


def test_a_fifo_in_place_of_any_memo_entry_neither_hangs_nor_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each memo once opened its entry with a plain ``open``, which waits forever on a FIFO with no writer."""
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(schema_memo, "_ENABLED", [True])
    key = "ab" * 24
    for path in (yaml_memo._entry(key), detect_memo._entry(key), schema_memo._entry(key), scan_memo._entry(key)):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.mkfifo(path)
    answers: list[object] = []

    def ask() -> None:
        answers.extend([yaml_memo._read(key), detect_memo._read(key)])
        answers.extend([schema_memo.passed_before(key), scan_memo.known_empty(key)])

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(10)
    assert not asking.is_alive() and answers == [None, None, False, False]


def test_a_checked_entry_is_read_back_and_a_damaged_one_removed(tmp_path: Path) -> None:
    """The framing both the submitter cache and the re-check store use: magic, SHA-256 of the body, the body."""
    good, cut, edited = tmp_path / "good", tmp_path / "cut", tmp_path / "edited"
    for path in (good, cut, edited):
        entries.write_checked(path, b"M\n", b"payload")
    cut.write_bytes(cut.read_bytes()[:-1])
    edited.write_bytes(edited.read_bytes().replace(b"payload", b"paYload"))
    assert bytes(entries.read_checked(good, b"M\n", 1 << 10) or b"") == b"payload"
    assert entries.read_checked(good, b"N\n", 1 << 10) is None and not good.exists()  # another kind: not ours
    assert entries.read_checked(cut, b"M\n", 1 << 10) is None and not cut.exists()
    assert entries.read_checked(edited, b"M\n", 1 << 10) is None and not edited.exists()
    assert entries.read_checked(tmp_path / "absent", b"M\n", 1 << 10) is None
