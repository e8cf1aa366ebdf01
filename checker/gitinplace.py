"""``ci --head REV`` without a snapshot, when the work tree already holds REV where the check reads.

A CI job checks out the revision it tests; writing that revision again into a temporary folder
(:mod:`checker.gitsnapshot`: thousands of files for a big submitter) then only costs time. The check runs in
place, as ``ci`` without ``--head`` does, only when the work tree is proven to hold ``head`` in every part the
snapshot would write (the root, its division folders and each touched submitter); any doubt writes the snapshot:

- git finds no difference between ``head``'s tree and the work tree under the checked root (``diff-index``,
  through the index's file status: a file whose status moved counts as changed, a racy one is compared by content);
- no index entry under the root is marked assume-unchanged or skip-worktree (git would not look at it) or unmerged;
- those folders hold exactly ``head``'s entries, of the same kinds (no untracked or ignored file, no empty or extra
  folder, no submodule), each file with its blob's size and executable bit (an end-of-line conversion changes
  the size);
- no file there has a filter, ident or working-tree-encoding attribute (the checkout may have rewritten it).

The check then reads the work tree, as ``ci`` without ``--head`` does. The touched submitters are walked for the
proof by the checks' own walk (:func:`checker.context.walk_submitter`), and the checks read that walk: each is walked
once, not twice.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING

from checker.discovery import DIVISIONS
from checker.gitdiff import Affected
from checker.gitrepo import FILTER_QUERY, GITLINK, GitChangeError, GitRepo, Started

if TYPE_CHECKING:
    from checker.context import Entry, Walk

CONVERSIONS = ("filter", "ident", "working-tree-encoding")


def holds_head(repo: GitRepo, prefix: str, commit: str, affected: Affected) -> bool:
    """Whether the work tree holds ``commit`` wherever checking ``affected`` under ``prefix`` reads."""
    return InPlace(repo, prefix, commit, affected).answer()


class InPlace:
    """:func:`holds_head` in two steps: git starts listing head's side when made, so that the caller can work (choose
    the round) while it runs; :meth:`answer` waits for it and compares. Any error is a no.
    """

    def __init__(self, repo: GitRepo, prefix: str, commit: str, affected: Affected) -> None:
        self.repo, self.prefix, self.commit = repo, prefix, commit
        self.top = f"{prefix}/" if prefix else ""
        self.candidates = sorted(f"{d}/{s}" for d, s in affected.submitters if d in DIVISIONS)
        self.listing: tuple[Started, bool] | None = None
        self.walks: dict[str, Walk] = {}  # submitter path -> its walk, when the answer is yes (the checks reuse it)
        if repo.work_tree is not None:
            try:
                self.listing = _list_head(repo, commit, self.top, self.candidates)
            except (GitChangeError, OSError, ValueError):
                self.listing = None

    def answer(self, ready: Callable[[], None] | None = None) -> bool:
        """Whether the work tree holds head; ``ready`` is called once git is at work and before the touched
        submitters are walked (:mod:`checker.context` is imported there: a caller importing in another thread joins
        it then).
        """
        repo, top = self.repo, self.top
        if repo.work_tree is None or self.listing is None:
            return False
        root = str(repo.work_tree / self.prefix if self.prefix else repo.work_tree)
        try:
            found = _region(repo, self.listing, top, self.candidates)
            if found is None:
                return False
            region, touched = found
            asked = _ask_git(repo, self.commit, top, region, touched)  # git works while the folders are compared
            walks: dict[str, Walk] = {}
            try:
                inside = tuple(f"{t}/" for t in touched)  # folders below a touched submitter: its walk judges them
                outer = {f: e for f, e in region.items() if not f.startswith(inside)}
                same = _same_entries(root, {f: e for f, e in outer.items() if f not in touched}, not self.prefix)
                if same:
                    if ready is not None:
                        ready()
                    walks = _walked(root, touched)
                    same = all(_walk_holds(root, walk, region, t) for t, walk in walks.items())
            finally:
                answers = asked.outputs() if asked is not None else None
            held = same and (asked is None or _git_agrees(answers or [], len(_checked_paths(top, region))))
        except (GitChangeError, OSError, ValueError):
            return False
        self.walks = {os.path.join(root, t): walk for t, walk in walks.items()} if held else {}
        return held


def _walked(root: str, submitters: list[str]) -> dict[str, Walk]:
    """Each touched submitter walked as the checks walk it (:func:`checker.context.walk_submitter`)."""
    from checker.context import walk_submitter

    return {s: walk_submitter(root, os.path.join(root, s)) for s in submitters}


def _walk_holds(root: str, walk: Walk, region: dict[str, Listing], submitter: str) -> bool:
    """The submitter's walk found exactly head's folders, each with head's names, kinds, sizes and executable bits."""
    found: dict[str, dict[str, Entry]] = {}
    for entry in walk.entries:
        if not entry.empty:  # an empty folder's marker; the folder itself is an entry of its parent
            found.setdefault(entry.rel.rpartition("/")[0], {})[entry.name] = entry
    for folder, entries in region.items():
        if folder == submitter or folder.startswith(f"{submitter}/"):
            listed = found.pop(folder, {})  # a folder the walk could not list has no entries
            if listed.keys() != entries.keys():
                return False
            if not all(_entry_holds(root, listed[name], mode, size) for name, (mode, size) in entries.items()):
                return False
    return not found  # no folder the walk listed that head does not have


def _entry_holds(root: str, entry: Entry, mode: str, size: int) -> bool:
    if mode == "040000" or entry.is_dir:
        return mode == "040000" and entry.is_dir
    if entry.is_link:  # the walk's stat followed it: the link itself is asked
        return mode == "120000" and _same_kind(os.lstat(os.path.join(root, entry.rel)), mode, size)
    if mode not in ("100644", "100755") or entry.mode is None:
        return False
    return _same_file(entry.mode, entry.size, mode, size)


Listing = dict[str, tuple[str, int]]  # name -> (mode, size); size 0 for folders and submodules


def _list_head(repo: GitRepo, commit: str, top: str, candidates: list[str]) -> tuple[Started, bool]:
    """Start listing head's side of the region (:func:`_region`), and, when not known yet, the filters git's config
    names (the commands that read the work tree need them next), as the last command; and whether it was asked.
    """
    calls = [("ls-tree", "-l", "-z", "--end-of-options", commit, "--", top or "."),
             ("ls-tree", "-l", "-z", "--end-of-options", commit, "--", *(f"{top}{d}/" for d in DIVISIONS))]  # fmt: skip
    if candidates:
        calls.append(
            ("ls-tree", "-l", "-z", "-r", "-t", "--end-of-options", commit, "--", *(top + c for c in candidates))
        )
    asks_filters = "filter_overrides" not in vars(repo)
    if asks_filters:
        calls.append(FILTER_QUERY)
    return repo.start(*calls), asks_filters


def _region(
    repo: GitRepo, listing: tuple[Started, bool], top: str, candidates: list[str]
) -> tuple[dict[str, Listing], list[str]] | None:
    """The folders the snapshot writes, relative to the root (``top`` is its path in the repository and a slash),
    with head's entries in each: the root and its division folders one level deep, each touched submitter whole;
    and the touched submitters. None when a submodule is among them (the snapshot follows it into another one).
    """
    finished = listing[0].finished()
    if listing[1]:
        status, filters = finished.pop()
        if status in (0, 1):  # 1: the config names no filter
            repo.know_filters(filters)
    outputs = [out if status == 0 else None for status, out in finished]
    if any(out is None for out in outputs):
        return None
    root, divisions = _entries(outputs[0] or b"", top), _entries(outputs[1] or b"", top)
    deep = _entries(outputs[2] or b"", top) if candidates else []
    folders: dict[str, Listing] = {"": {}}
    for rel, mode, size in root:
        if "/" not in rel:
            folders[""][rel] = (mode, size)
    present = [d for d in DIVISIONS if folders[""].get(d, ("", 0))[0] == "040000"]
    folders.update({d: {} for d in present})
    for rel, mode, size in divisions:
        parent, _, name = rel.rpartition("/")
        if parent in present:
            folders[parent][name] = (mode, size)
    touched = [c for c in candidates if folders.get(c.split("/")[0], {}).get(c.split("/")[1], ("", 0))[0] == "040000"]
    folders.update({t: {} for t in touched})
    below = tuple(f"{t}/" for t in touched)
    for rel, mode, size in deep:
        if below and rel.startswith(below):  # ``-t`` also lists the folders above what was asked
            parent, _, name = rel.rpartition("/")
            folders.setdefault(parent, {})[name] = (mode, size)
            if mode == "040000":
                folders.setdefault(rel, {})
    if any(mode == GITLINK for entries in folders.values() for mode, _ in entries.values()):
        return None
    return folders, touched


def _entries(out: bytes, top: str) -> list[tuple[str, str, int]]:
    """``ls-tree -l -z`` records as (path relative to the root, mode, size); entries outside the root dropped."""
    entries = []
    for record in filter(None, out.decode("utf-8", "surrogateescape").split("\0")):
        meta, _, path = record.partition("\t")
        mode, _kind, _sha, size = meta.split()
        if path.startswith(top):
            entries.append((path[len(top) :], mode, int(size) if size.isdigit() else 0))
    return entries


def _files(region: dict[str, Listing]) -> list[tuple[str, str]]:
    """Every file and link of the region: (path relative to the root, mode)."""
    return [
        (f"{folder}/{name}" if folder else name, mode)
        for folder, entries in region.items()
        for name, (mode, _) in entries.items()
        if mode != "040000"
    ]


def _same_entries(root: str, region: dict[str, Listing], allow_git: bool) -> bool:
    """Each folder holds exactly head's names, each of head's kind, size and executable bit."""
    for folder, entries in region.items():
        with os.scandir(os.path.join(root, folder) if folder else root) as listing:
            found = {entry.name: entry for entry in listing}
        if not folder and allow_git:
            found.pop(".git", None)  # the repository itself, at the top of its work tree
        if found.keys() != entries.keys():
            return False
        for name, (mode, size) in entries.items():
            entry = found[name]
            if mode == "040000":  # a folder's kind is in the listing itself: no stat for it
                if not entry.is_dir(follow_symlinks=False):
                    return False
            elif not _same_kind(entry.stat(follow_symlinks=False), mode, size):
                return False
    return True


def _same_kind(info: os.stat_result, mode: str, size: int) -> bool:
    if mode == "040000":
        return stat.S_ISDIR(info.st_mode)
    if mode == "120000":
        return stat.S_ISLNK(info.st_mode) and info.st_size == size
    if mode in ("100644", "100755"):
        return _same_file(info.st_mode, info.st_size, mode, size)
    return False


def _same_file(file_mode: int, file_size: int | None, mode: str, size: int) -> bool:
    """A regular file of head's size, executable exactly when head's mode says so (the two modes git records)."""
    executable = bool(file_mode & stat.S_IXUSR)
    return stat.S_ISREG(file_mode) and file_size == size and executable == (mode == "100755")


def _checked_paths(top: str, region: dict[str, Listing]) -> list[str]:
    """The files whose attributes are asked (links have none that convert)."""
    return [top + rel for rel, mode in _files(region) if mode != "120000"]


def _ask_git(repo: GitRepo, commit: str, top: str, region: dict[str, Listing], touched: list[str]) -> Started | None:
    """Start git on what only it can tell (None: nothing to ask, only folders, whose kinds are compared here):
    a difference from ``commit`` (diff-index), an entry it is told to skip (ls-files), a converting attribute.
    """
    files = _files(region)
    # the files of the root and division folders, and the touched submitters whole
    specs = [top + rel for rel, _ in files if rel.count("/") < 2] + [top + t for t in touched]
    if not specs:
        return None
    paths = _checked_paths(top, region)
    return repo.start(
        ("diff-index", "--quiet", "--ignore-submodules=all", "--no-ext-diff", "--no-textconv", "--end-of-options",
         commit, "--", *specs),
        ("ls-files", "-v", "-z", "--", *specs),
        ("check-attr", "-z", "--stdin", *CONVERSIONS),
        stdin={2: "".join(f"{path}\0" for path in paths).encode("utf-8", "surrogateescape")},
    )  # fmt: skip


def _git_agrees(answers: list[bytes | None], files: int) -> bool:
    """Git saw no difference, no entry it would not compare, and no converting attribute on any of ``files``."""
    if len(answers) != 3 or any(answer is None for answer in answers):
        return False  # a difference (diff-index --quiet exits 1), or git could not say
    _, flags, attributes = answers
    if any(not record.startswith(b"H ") for record in filter(None, (flags or b"").split(b"\0"))):
        return False  # assume-unchanged (h), skip-worktree (S), unmerged (M): git would not compare it
    values = (attributes or b"").split(b"\0")[2:-1:3]
    return len(values) == files * len(CONVERSIONS) and all(v in (b"unspecified", b"unset") for v in values)
