"""The submitter walk and the string-path probes the hot loops use instead of pathlib: same answers, fewer calls.

The walk (:func:`checker.context.walk_submitter`) is read by every tree-shape rule; the probes
(:func:`checker.discovery.is_file`, :func:`checker.discovery.is_dir`) must answer exactly as ``Path.is_file`` and
``Path.is_dir`` do, errors included, so that reports stay the same.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from checker.context import ResultContext, walk_submitter
from checker.discovery import ResultUnit, exists, is_dir, is_file
from checker.rounds import Round
from tests import trees
from tests.conftest import REPO
from tests.trees import Tree

tree = trees.tree


def _odd_entries(base: Path) -> dict[str, Path]:
    """A file, a folder, and what a damaged tree may hold instead: each a different pathlib answer or error."""
    (base / "file.txt").write_text("x\n")
    (base / "folder").mkdir()
    os.mkfifo(base / "fifo")
    (base / "loop").symlink_to("loop")
    (base / "broken").symlink_to("nowhere")
    (base / "to_folder").symlink_to("folder")
    return {
        "file": base / "file.txt",
        "folder": base / "folder",
        "fifo": base / "fifo",
        "loop": base / "loop",
        "broken": base / "broken",
        "link to folder": base / "to_folder",
        "missing": base / "absent",
        "through a file": base / "file.txt" / "below",
        "through a loop": base / "loop" / "below",
    }


@pytest.mark.parametrize("kind", ["file", "folder", "fifo", "loop", "broken", "link to folder", "missing",
                                  "through a file", "through a loop"])  # fmt: skip
def test_probes_answer_as_pathlib(tmp_path: Path, kind: str) -> None:
    path = _odd_entries(tmp_path)[kind]
    assert (is_file(str(path)), is_dir(str(path)), exists(str(path))) == (path.is_file(), path.is_dir(), path.exists())


def test_probes_answer_as_pathlib_for_a_nul_byte() -> None:
    assert (is_file("a\0b"), is_dir("a\0b"), exists("a\0b")) == (False, False, False) == (Path("a\0b").exists(),) * 3


PROBE = """
import sys
from pathlib import Path
from checker.discovery import exists, is_dir, is_file
def answer(f, arg):
    try:
        return repr(f(arg))
    except OSError as exc:
        return type(exc).__name__
path = sys.argv[1]
print(answer(is_file, path), answer(Path.is_file, Path(path)), answer(is_dir, path), answer(Path.is_dir, Path(path)),
      answer(exists, path), answer(Path.exists, Path(path)))
"""


def test_probes_raise_where_pathlib_raises(tmp_path: Path) -> None:
    """Behind a folder the user may not search, pathlib raises PermissionError (a rule crash: EN001, never a pass)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs setpriv and root to drop to an unprivileged user")
    tmp_path.chmod(0o755)
    closed = tmp_path / "closed"
    closed.mkdir()
    (closed / "file.txt").write_text("x\n")
    closed.chmod(0o644)  # listable, not searchable
    command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", PROBE]
    try:
        done = subprocess.run([*command, str(closed / "file.txt")], capture_output=True, text=True, cwd=REPO)
    finally:
        closed.chmod(0o755)
    assert done.stdout.split() == ["PermissionError"] * 6, done.stderr[-2000:]


def test_walk_names_every_entry_with_its_parts_below_the_submitter(tree: Tree) -> None:
    root, top = str(tree.root), str(tree.path(tree.sub))
    walked = walk_submitter(root, top)
    on_disk = set()
    for folder, dirs, files in os.walk(top):
        on_disk |= {os.path.relpath(os.path.join(folder, n), root) for n in dirs + files}
    assert {e.rel for e in walked.entries} == on_disk
    for entry in walked.entries:
        assert entry.below == tuple(entry.rel.split("/")[2:]) and entry.name == entry.below[-1]
    folders = {e.rel for e in walked.entries if e.is_dir}
    assert walked.usable_folders - {tree.sub} == folders  # a real tree has no empty folder


def test_walk_proves_folders_usable_only_by_reaching_through_them(tmp_path: Path) -> None:
    top = tmp_path / "closed" / "Acme"
    (top / "only_folders" / "leaf").mkdir(parents=True)
    (top / "only_folders" / "leaf" / "f.txt").write_text("x\n")
    (top / "empty").mkdir()
    (top / "links").mkdir()
    (top / "links" / "broken").symlink_to("nowhere")
    walked = walk_submitter(str(tmp_path), str(top))
    assert walked.usable_folders == {"closed/Acme", "closed/Acme/only_folders", "closed/Acme/only_folders/leaf"}
    empty = [e for e in walked.entries if e.empty]
    assert [(e.rel, e.below) for e in empty] == [("closed/Acme/empty", ("empty",))]


def test_walk_of_a_damaged_tree_ends_with_every_entry_named(tmp_path: Path) -> None:
    """A link loop, a FIFO and a dangling link: no hang, no error, each entry as the rules expect it."""
    top = tmp_path / "closed" / "Acme"
    top.mkdir(parents=True)
    _odd_entries(top)
    by_name = {e.name: e for e in walk_submitter(str(tmp_path), str(top)).entries}
    assert by_name["loop"].size is None and by_name["loop"].link_target == "loop" and by_name["loop"].is_link
    assert by_name["fifo"].mode is not None and stat.S_ISFIFO(by_name["fifo"].mode)
    assert by_name["to_folder"].is_link and not by_name["to_folder"].is_dir  # never followed into
    assert by_name["folder"].empty and by_name["broken"].link_target == "nowhere"


def _split_result(tmp_path: Path, names: list[str]) -> ResultContext:
    folder = tmp_path / "closed" / "Acme" / "measurements" / "sys" / "resnet" / "Offline"
    folder.mkdir(parents=True)
    for name in names:
        if name.endswith("/"):
            (folder / name).mkdir()
        else:
            (folder / name).write_text("{}")
    unit = ResultUnit(tmp_path, "closed", "Acme", "sys", "resnet", "Offline", "split")
    return ResultContext(Round.load("inference", "v4.1"), unit)


@pytest.mark.parametrize(
    ("names", "chosen"),
    [
        (["sys_Server.json", "sys_offline.json", "sys.json"], "sys_offline.json"),  # the scenario's, any case
        (["sys_b.json", "sys_a.json", "other.json"], "sys_a.json"),  # else the first by name
        (["sys.JSON", "sys_Offline.json/", "sysjson"], None),  # not a .json suffix, a folder, no suffix
    ],
)
def test_split_measurements_json_is_chosen_by_name(tmp_path: Path, names: list[str], chosen: str | None) -> None:
    ctx = _split_result(tmp_path, names)
    found = ctx.measurements_json_path
    assert (found.name if found else None) == chosen
    if found is not None:
        assert found == ctx.unit.measurements_dir / chosen
