"""The parallel compare of a re-check (checker.recheck_compare): a yes only when every entry, in every process's
share, still has its stored status; any change in the first or the last share (the child's), and any failing
child, is a no, never a hit and never a traceback, and no child is left behind. Also the other costs of a served
re-check: the cache folder and entry read without checker.cache, and the program's end without a teardown.
"""

from __future__ import annotations

import marshal
import os
import time
from pathlib import Path

import pytest

import checker.recheck
import checker.recheck_compare as rc
from checker.recheck import _pack, compare, take_manifest

from .conftest import check_demo_json


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checker.recheck, "SETTLE_NS", 0)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Two submitter-like folders of files, old enough that a change moves a status-change time."""
    root = tmp_path / "tree"
    for top in ("alpha", "omega"):
        for sub in range(4):
            folder = root / top / f"run_{sub}"
            folder.mkdir(parents=True)
            for index in range(6):
                (folder / f"log_{index}.txt").write_text(f"{top} {sub} {index}\n" * 4)
    time.sleep(0.05)  # a coarse clock tick: a change made now has later times than the manifest's
    return root


def _stored(root: Path) -> tuple[tuple, bytes, bytes, list[str]]:
    """The manifest of ``root`` as a stored entry holds it, its joined names and status bytes, and its names."""
    manifest = take_manifest(str(root))
    assert manifest is not None
    packed = marshal.loads(_pack(manifest))
    return packed, packed[1], packed[2], manifest[1]


def _in_share(joined: bytes, names: list[str], share: int, kind: str) -> Path:
    """A file (or folder) whose entry lies in the first (0) or last (1) of two shares."""
    shares = rc._shares(joined, 2)
    first, end = (0, shares[1][2]) if share == 0 else (shares[1][2], len(names))
    wanted = os.path.isfile if kind == "file" else os.path.isdir
    found = [name for name in names[first:end] if wanted(name) and not os.path.islink(name)]
    assert found, (share, kind)
    return Path(found[-1] if share else found[0])


def _no_children() -> bool:
    """Every child was reaped: none is left running or as a zombie."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_an_unchanged_tree_is_the_same_in_one_process_and_in_several(tree: Path, settled: None) -> None:
    _, joined, flat, names = _stored(tree)
    assert len(names) == 58 and [len(rc._shares(joined, n)) for n in (1, 2, 3)] == [1, 2, 3]
    for processes in (1, 2, 3):
        assert rc.same_tree(joined, flat, processes) is True
    assert _no_children()
    assert rc.same_tree(b"", b"", 2) is True  # an empty folder: nothing to compare
    assert rc.same_tree(joined, flat[:-40], 2) is False and rc.same_tree(joined[:-3], flat, 2) is False
    assert rc.same_tree(joined, flat[:400], 3) is False and rc.same_tree(joined, flat + flat, 2) is False
    assert _no_children()


@pytest.mark.parametrize("share", [0, 1], ids=["first-share", "last-share"])
@pytest.mark.parametrize("change", ["edit", "add", "remove", "rename", "folder"])
def test_each_change_in_either_share_is_a_miss(tree: Path, settled: None, share: int, change: str) -> None:
    packed, joined, flat, names = _stored(tree)
    target = _in_share(joined, names, share, "folder" if change in ("add", "folder") else "file")
    if change == "edit":  # same size, modification time put back: only the status-change time moves
        data, info = target.read_bytes(), target.stat()
        target.write_bytes(data[:-2] + b"X\n")
        os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
        assert target.stat().st_size == info.st_size and target.stat().st_mtime_ns == info.st_mtime_ns
    elif change == "add":
        (target / "new.txt").write_text("new\n")
    elif change == "remove":
        target.unlink()
    elif change == "rename":
        target.rename(target.with_name(target.name + ".old"))
    else:
        target.chmod(0o700)
    assert rc.same_tree(joined, flat, 2) is False
    assert rc.same_tree(joined, flat, 1) is False
    assert _no_children()
    same, made, walked = compare(str(tree), packed)  # the serial compare sees it too, and makes the next manifest
    full = take_manifest(str(tree))
    assert same is False and walked and made is not None and full is not None and sorted(made[1]) == sorted(full[1])


@pytest.mark.parametrize("failure", ["lstat-raises", "exits-early", "hangs", "garbled", "bad-exit-status"])
def test_a_failing_child_is_never_a_hit_and_leaves_no_process(
    tree: Path, settled: None, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    packed, joined, flat, _ = _stored(tree)
    parent = os.getpid()
    monkeypatch.setattr(rc, "MIN_WAIT_S", 0.3)
    monkeypatch.setattr(rc, "WAIT_FACTOR", 1)
    real_lstat, real_child = os.lstat, rc._child
    if failure == "lstat-raises":

        def lstat(path, *args, **kw):  # type: ignore[no-untyped-def]
            if os.getpid() != parent:
                raise PermissionError(13, "denied", path)
            return real_lstat(path, *args, **kw)

        monkeypatch.setattr(os, "lstat", lstat)
    else:

        def child(joined: bytes, flat: bytes, share: tuple[int, int, int], count: int, answer: int) -> None:
            if failure == "exits-early":
                os._exit(0)  # no answer, a clean exit status
            if failure == "hangs":
                time.sleep(60)
            if failure == "garbled":
                os.write(answer, rc._SAME + (count + 1).to_bytes(8, "big"))  # an answer for another share
                os._exit(0)
            os.write(answer, rc._SAME + count.to_bytes(8, "big"))  # the right answer, then a failing exit
            os._exit(3)

        monkeypatch.setattr(rc, "_child", child)
    started = time.monotonic()
    assert rc.same_tree(joined, flat, 2) is False
    assert time.monotonic() - started < 10 and _no_children()
    monkeypatch.setattr(rc, "processes_for", lambda count: 2)
    assert compare(str(tree), packed)[0] is True  # then the serial compare, in this process, decides
    assert _no_children()
    monkeypatch.setattr(rc, "_child", real_child)
    monkeypatch.setattr(os, "lstat", real_lstat)
    assert rc.same_tree(joined, flat, 2) is True  # the same tree, children that work


def test_processes_follow_the_cores_and_the_size_and_never_fork_beside_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    monkeypatch.setattr(rc, "_cores", lambda: 2)
    assert rc.processes_for(rc.MIN_SHARE * 2 - 1) == 1 and rc.processes_for(47_043) == 2
    monkeypatch.setattr(rc, "_cores", lambda: 1)
    assert rc.processes_for(1_000_000) == 1
    monkeypatch.setattr(rc, "_cores", lambda: 64)
    assert rc.processes_for(10_000_000) == rc.MAX_PROCESSES
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert rc.processes_for(10_000_000) == 1  # a child would inherit the locks other threads hold
    finally:
        stop.set()
        worker.join()


@pytest.mark.parametrize("change", ["none", "edit", "add", "remove"])
def test_the_command_serves_and_misses_with_children_comparing(
    demo_tree: Path, tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """``subcheck check`` with the manifest shared between processes, as on a large tree: the same reports."""
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(rc, "MIN_SHARE", 1)
    monkeypatch.setattr(rc, "_cores", lambda: 3)
    forks: list[int] = []
    real_fork = rc._fork
    monkeypatch.setattr(rc, "_fork", lambda *args: forks.append(1) or real_fork(*args))
    checks: list[int] = []
    import checker.engine

    real_run = checker.engine.run_checks
    monkeypatch.setattr(checker.engine, "run_checks", lambda *a, **kw: checks.append(1) or real_run(*a, **kw))
    first = check_demo_json(demo_tree)
    time.sleep(0.05)
    log = next(demo_tree.rglob("mlperf_log_detail.txt"))
    if change == "edit":
        info = log.stat()
        log.write_bytes(log.read_bytes().replace(b'"VALID"', b'"XALID"', 1))
        os.utime(log, ns=(info.st_atime_ns, info.st_mtime_ns))
    elif change == "add":
        (log.parent / "notes.txt").write_text("a new file\n")
    elif change == "remove":
        log.unlink()
    again = check_demo_json(demo_tree)
    assert len(forks) == 2 and _no_children()  # the second run compared in three processes
    assert len(checks) == (1 if change == "none" else 2)
    assert (again == first) is (change in ("none", "add"))
    assert again == check_demo_json(demo_tree, "--no-cache")


def test_the_program_ends_a_served_run_at_once_with_the_whole_report(demo_tree: Path, tmp_path: Path) -> None:
    """``subcheck`` (checker.cli:program) writes a served report whole, with its exit code, and skips the teardown
    (an atexit hook does not run); a run that checked ends as usual.
    """
    import subprocess
    import sys

    from .conftest import DEMO_RULES, REPO

    script = (
        "import atexit, sys, checker.recheck as r; r.SETTLE_NS = 0\n"
        "atexit.register(lambda: print('teardown', file=sys.stderr))\n"
        f"sys.argv = ['subcheck', 'check', {str(demo_tree)!r}, '--rules', {DEMO_RULES!r}, '-j', '1']\n"
        "from checker.cli import program\n"
        "program()\n"
    )
    env = {**os.environ, "SUBCHECK_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, cwd=REPO, timeout=300, check=False)
        for _ in range(2)
    ]
    assert runs[0].returncode == runs[1].returncode and runs[0].returncode in (0, 1)
    assert runs[1].stdout == runs[0].stdout and len(runs[0].stdout) > 200
    assert b"teardown" in runs[0].stderr and b"teardown" not in runs[1].stderr


def test_a_served_run_imports_none_of_what_only_a_check_or_a_fresh_writing_needs(
    demo_tree: Path, tmp_path: Path
) -> None:
    """The report written before is written again: no finding classes, reporters, pickle, cache module or readers."""
    import json
    import subprocess
    import sys

    from .conftest import DEMO_RULES, REPO

    script = (
        "import json, sys, checker.recheck as r; r.SETTLE_NS = 0\n"
        "from checker.cli import main\n"
        f"try: main(['check', {str(demo_tree)!r}, '--rules', {DEMO_RULES!r}, '-j', '1', '-q'])\n"
        "except SystemExit: pass\n"
        "light = ('checker.findings', 'checker.reporters.view', 'checker.cache', 'checker.parsers.text', 'pickle',"
        " 'checker.report', 'signal')\n"
        "print(json.dumps(sorted(m for m in light if m in sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "SUBCHECK_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout and "checker.findings" in runs[0].stderr  # the first run checked
    assert json.loads(runs[1].stderr.strip().splitlines()[-1]) == []


def test_damaged_stored_names_or_numbers_are_never_the_same_tree(
    tmp_path_factory: pytest.TempPathFactory, settled: None
) -> None:
    """Any byte changed, cut or added in the stored names or numbers: a no from every process count (unless the
    names still name the same files), no child left.
    """
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    root = tmp_path_factory.mktemp("damage") / "tree"
    for index in range(12):
        folder = root / f"folder_{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file_{index}.txt").write_text(str(index))
    _, joined, flat, _ = _stored(root)
    original = [os.path.normpath(name) for name in joined.split(b"\0")]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.booleans(), st.integers(0, 1 << 30), st.integers(0, 255), st.sampled_from(["set", "cut", "add"]))
    def damaged(in_names: bool, at: int, value: int, how: str) -> None:
        data = bytearray(joined if in_names else flat)
        at %= len(data)
        if how == "set":
            value = value if value != data[at] else (value + 1) % 256
            data[at] = value
        elif how == "cut":
            del data[at:]
        else:
            data.insert(at, value)
        names, numbers = (bytes(data), flat) if in_names else (joined, bytes(data))
        same_files = [os.path.normpath(name) for name in names.split(b"\0")] == original  # an added "/" after one
        for processes in (1, 2, 3):
            assert rc.same_tree(names, numbers, processes) is (same_files and numbers == flat)
        assert _no_children()

    damaged()
