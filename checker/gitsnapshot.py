"""The tree of one commit, written from git objects into a temporary folder, for ``subcheck ci --head``.

``ci --base A --head B`` must judge B, not the work tree: a bad commit followed by an uncommitted
fix is still a bad commit. What the incremental run reads is written from B's objects (submodules
followed): the root and division listings the tree rules look at, and every affected submitter. File
modes and symbolic links are written as the blobs say. Only files a kept finding can depend on get
their content (the changed files, the submitter's own files, ``systems/``, and every result of a
touched system); every other file is a sparse file of the blob's size, so names, sizes and empty
folders are still right for the submitter-wide rules, whose findings are kept only for changed paths.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from checker.discovery import DIVISIONS
from checker.gitdiff import UNIT_FOLDERS, Affected
from checker.gitrepo import GITLINK, GitChangeError, GitRepo, open_repo, temporary_folder

MAX_DEPTH = 8


@dataclass(frozen=True)
class Node:
    """A tree inside some repository: the repository, the tree's id, the commit read and the tree's path in it."""

    repo: GitRepo
    tree: str
    commit: str
    path: str  # the tree's path inside ``repo`` ("" at its top)
    depth: int = 0


@dataclass(frozen=True)
class Entry:
    mode: str
    kind: str  # blob, tree or commit
    sha: str
    size: int
    path: str  # relative to the listed tree


@contextmanager
def snapshot(
    root: Path, head: str, affected: Affected, opened: tuple[GitRepo, str, str] | None = None
) -> Iterator[Path]:
    """Write what checking ``affected`` at revision ``head`` reads into a temporary folder; yield its root.

    ``opened``: the repository, the root's path in it and ``head``'s commit, when the caller has them already.
    """
    if opened is None:
        repo, prefix = open_repo(root)
        commit = repo.resolve(head)
    else:
        repo, prefix, commit = opened
    holder = temporary_folder(repo, "subcheck-ci-")
    try:
        dest = holder / "tree"
        dest.mkdir()
        Writer(affected).write(Node(repo, _tree_of(repo, commit), commit, ""), prefix, dest)
        yield dest
    finally:
        shutil.rmtree(holder, ignore_errors=True)


def _tree_of(repo: GitRepo, commit: str) -> str:
    return repo.run("rev-parse", "--verify", "--end-of-options", f"{commit}^{{tree}}").decode().strip()


def _safe_name(name: str) -> str:
    """A name git could check out here; anything else (``..``, ``.git``, a slash) stops the run."""
    if name in ("", ".", "..") or "/" in name or "\0" in name or name.lower() == ".git":
        raise GitChangeError(f"refusing to write an unsafe path name from git: {name!r}")
    return name


class Writer:
    """Writes the parts of one commit's tree that the incremental check of ``affected`` reads."""

    def __init__(self, affected: Affected) -> None:
        self.affected = affected
        self.full_systems = {(d, s, sy) for d, s, sy in affected.systems | affected.system_jsons}
        self.full_systems |= {k[:3] for k in affected.results}

    def write(self, top: Node, prefix: str, dest: Path) -> None:
        root = self._walk(top, prefix)
        if root is None:
            raise GitChangeError(f"the checked folder '{prefix}' does not exist at the head revision")
        listing = self._write_level(root, dest)
        for division in DIVISIONS:
            entry = listing.get(division)
            if entry is None or entry.kind == "blob":
                continue
            node = self._child(root, entry)
            below = self._write_level(node, dest / division)
            for submitter in sorted(s for d, s in self.affected.submitters if d == division):
                sub_entry = below.get(submitter)
                if sub_entry is not None and sub_entry.kind != "blob":
                    rel = f"{division}/{submitter}"
                    self._write_all(self._child(node, sub_entry), dest / division / submitter, rel)

    # --- reading trees ----------------------------------------------------------------------------
    def _list(self, node: Node, recursive: bool) -> list[Entry]:
        args = ["ls-tree", "-z", "-l", *(["-r", "-t"] if recursive else []), "--end-of-options", node.tree]
        entries = []
        for record in filter(None, node.repo.run(*args).decode("utf-8", "surrogateescape").split("\0")):
            meta, _, path = record.partition("\t")
            mode, kind, sha, size = meta.split()
            for part in path.split("/"):
                _safe_name(part)
            entries.append(Entry(mode, kind, sha, int(size) if size.isdigit() else 0, path))
        return entries

    def _child(self, node: Node, entry: Entry) -> Node:
        """The tree an entry names; a gitlink opens the submodule at its commit."""
        path = f"{node.path}/{entry.path}" if node.path else entry.path
        if entry.kind == "tree":
            return Node(node.repo, entry.sha, node.commit, path, node.depth)
        if node.depth >= MAX_DEPTH:
            raise GitChangeError(f"submodules nested deeper than {MAX_DEPTH} levels at {path}")
        sub = node.repo.submodule(path, [entry.sha], node.commit)
        return Node(sub, _tree_of(sub, entry.sha), entry.sha, "", node.depth + 1)

    def _walk(self, node: Node, prefix: str) -> Node | None:
        for name in filter(None, prefix.split("/")):
            entry = next((e for e in self._list(node, False) if e.path == name), None)
            if entry is None or entry.kind == "blob":
                return None
            node = self._child(node, entry)
        return node

    # --- writing ----------------------------------------------------------------------------------
    def _write_level(self, node: Node, dest: Path) -> dict[str, Entry]:
        """One folder without its subfolders' contents: files in full, subfolders empty."""
        dest.mkdir(exist_ok=True)
        entries = self._list(node, False)
        self._write_files(node.repo, dest, [e for e in entries if e.kind == "blob"])
        for entry in entries:
            if entry.kind != "blob":
                (dest / entry.path).mkdir(exist_ok=True)
        return {e.path: e for e in entries}

    def _write_all(self, node: Node, dest: Path, rel: str) -> None:
        """A whole folder, submodules followed; content only where ``_needs_content`` says."""
        dest.mkdir(exist_ok=True)
        blobs: list[Entry] = []
        full: set[str] = set()
        for entry in self._list(node, True):
            target = dest / entry.path
            if entry.kind == "tree":
                target.mkdir(parents=True, exist_ok=True)
            elif entry.kind == "commit" or entry.mode == GITLINK:
                self._write_all(self._child(node, entry), target, f"{rel}/{entry.path}")
            else:
                blobs.append(entry)
                if entry.mode == "120000" or self._needs_content(f"{rel}/{entry.path}"):
                    full.add(entry.path)
        self._write_files(node.repo, dest, blobs, full)

    def _needs_content(self, rel: str) -> bool:
        """Whether a finding that is kept can depend on this file's bytes (else its size is enough)."""
        if rel in self.affected.paths:
            return True
        parts = rel.split("/")
        division, submitter, folder = parts[0], parts[1], parts[2]
        if len(parts) == 3 or (division, submitter) in self.affected.whole_submitters:
            return True
        if folder in UNIT_FOLDERS:
            if len(parts) >= 5 and (division, submitter, parts[3]) in self.full_systems:
                return True
            return len(parts) >= 5 and (division, submitter, parts[4]) in self.affected.code
        if folder in ("code", "src"):
            return len(parts) >= 4 and (division, submitter, parts[3]) in self.affected.code
        return True  # systems/, documentation/ and the like: small, and read by system rules

    def _write_files(self, repo: GitRepo, dest: Path, blobs: list[Entry], full: set[str] | None = None) -> None:
        """Write blobs: content from one ``cat-file --batch`` for those in ``full`` (all when None)."""
        wanted = [b for b in blobs if full is None or b.path in full]
        contents = _cat(repo, sorted({b.sha for b in wanted}))
        for blob in blobs:
            try:
                self._write_one(dest / blob.path, blob, contents if full is None or blob.path in full else {})
            except (OSError, ValueError) as exc:
                raise GitChangeError(f"cannot write {blob.path} of {repo.label} to a temporary folder: {exc}") from exc

    @staticmethod
    def _write_one(target: Path, blob: Entry, contents: dict[str, bytes]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if blob.mode == "120000":
            os.symlink(contents[blob.sha], target)
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags, 0o755 if blob.mode == "100755" else 0o644)
        with os.fdopen(fd, "wb") as stream:
            if blob.sha in contents:
                stream.write(contents[blob.sha])
            else:
                stream.truncate(blob.size)  # sparse: right size, no content read


def _cat(repo: GitRepo, shas: list[str]) -> dict[str, bytes]:
    """Blob contents by id, read in one ``git cat-file --batch``."""
    if not shas:
        return {}
    out, pos, found = repo.run("cat-file", "--batch", stdin="".join(f"{sha}\n" for sha in shas).encode()), 0, {}
    for sha in shas:
        end = out.find(b"\n", pos)
        header = out[pos:end].split()
        if end < 0 or len(header) != 3 or header[1] != b"blob":
            raise GitChangeError(f"git object {sha} is missing or not a file in {repo.label}")
        size = int(header[2])
        found[sha] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return found
