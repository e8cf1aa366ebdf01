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
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from checker.discovery import DIVISIONS
from checker.gitdiff import Affected
from checker.gitrepo import GITLINK, GitChangeError, GitRepo

CONVERSIONS = ("filter", "ident", "working-tree-encoding")


def holds_head(repo: GitRepo, prefix: str, commit: str, affected: Affected) -> bool:
    """Whether the work tree holds ``commit`` wherever checking ``affected`` under ``prefix`` reads."""
    if repo.work_tree is None:
        return False
    root = repo.work_tree / prefix if prefix else repo.work_tree
    try:
        region = _region(_listing(repo, commit, prefix), affected)
        if region is None or not _same_entries(root, region, allow_git=not prefix):
            return False
        spec = prefix or "."
        if not repo.ok("diff-index", "--quiet", "--ignore-submodules=all", "--no-ext-diff", "--no-textconv",
                       "--end-of-options", commit, "--", spec):  # fmt: skip
            return False
        flags = repo.run("ls-files", "-v", "-z", "--", spec).decode("utf-8", "surrogateescape")
        if any(not record.startswith("H ") for record in filter(None, flags.split("\0"))):
            return False
        files = [f"{prefix}/{rel}" if prefix else rel for rel, (mode, _) in _files(region) if mode != "120000"]
        return not _converted(repo, files)
    except (GitChangeError, OSError, ValueError):
        return False


Listing = dict[str, tuple[str, int]]  # path relative to the root -> (mode, size)


def _listing(repo: GitRepo, commit: str, prefix: str) -> Listing:
    """Every entry of ``commit`` under ``prefix``: mode and size (0 for folders and submodules)."""
    out = repo.run("ls-tree", "-r", "-t", "-l", "-z", "--end-of-options", commit, "--", prefix or ".")
    cut = len(prefix) + 1 if prefix else 0
    entries: Listing = {}
    for record in filter(None, out.decode("utf-8", "surrogateescape").split("\0")):
        meta, _, path = record.partition("\t")
        mode, _kind, _sha, size = meta.split()
        if prefix and not path.startswith(prefix + "/"):
            continue  # the prefix's own folder entries
        entries[path[cut:]] = (mode, int(size) if size.isdigit() else 0)
    return entries


def _region(listing: Listing, affected: Affected) -> dict[str, Listing] | None:
    """The folders the snapshot writes (relative to the root) with the entries head has in each; None when a
    submodule is among them (the snapshot follows it into another repository).
    """
    divisions = {name for name in DIVISIONS if listing.get(name, ("", 0))[0] == "040000"}
    folders: dict[str, Listing] = {"": {}}
    folders.update({name: {} for name in divisions})
    touched = {f"{d}/{s}" for d, s in affected.submitters if d in divisions}
    for path, entry in listing.items():
        parent, _, name = path.rpartition("/")
        parts = path.split("/")
        inside = len(parts) <= 2 and parent in folders or "/".join(parts[:2]) in touched and len(parts) > 2
        if not inside:
            continue
        if entry[0] == GITLINK:
            return None
        folders.setdefault(parent, {})[name] = entry
    for path in touched:
        if listing.get(path, ("", 0))[0] == "040000":
            folders.setdefault(path, {})
    for path, entry in listing.items():  # every folder below a touched submitter, even one holding only folders
        if entry[0] == "040000" and any(path.startswith(t + "/") for t in touched):
            folders.setdefault(path, {})
    return folders


def _files(region: dict[str, Listing]) -> list[tuple[str, tuple[str, int]]]:
    return [
        (f"{folder}/{name}" if folder else name, entry)
        for folder, entries in region.items()
        for name, entry in entries.items()
        if entry[0] != "040000"
    ]


def _same_entries(root: Path, region: dict[str, Listing], allow_git: bool) -> bool:
    """Each folder holds exactly head's names, each of head's kind, size and executable bit."""
    for folder, entries in region.items():
        where = root / folder if folder else root
        with os.scandir(where) as listing:
            names = {entry.name for entry in listing}
        if not folder and allow_git:
            names.discard(".git")  # the repository itself, at the top of its work tree
        if names != set(entries):
            return False
        for name, (mode, size) in entries.items():
            info = os.lstat(where / name)
            if not _same_kind(info, mode, size):
                return False
    return True


def _same_kind(info: os.stat_result, mode: str, size: int) -> bool:
    if mode == "040000":
        return stat.S_ISDIR(info.st_mode)
    if mode == "120000":
        return stat.S_ISLNK(info.st_mode) and info.st_size == size
    if mode in ("100644", "100755"):
        executable = bool(info.st_mode & stat.S_IXUSR)
        return stat.S_ISREG(info.st_mode) and info.st_size == size and executable == (mode == "100755")
    return False


def _converted(repo: GitRepo, files: list[str]) -> bool:
    """Whether any file has an attribute that makes its checkout differ from its blob (filter, ident, encoding)."""
    if not files:
        return False
    paths = "".join(f"{path}\0" for path in files).encode("utf-8", "surrogateescape")
    out = repo.run("check-attr", "-z", "--stdin", *CONVERSIONS, stdin=paths).decode("utf-8", "surrogateescape")
    fields = out.split("\0")
    values = fields[2:-1:3]
    return len(values) != len(files) * len(CONVERSIONS) or any(v not in ("unspecified", "unset") for v in values)
