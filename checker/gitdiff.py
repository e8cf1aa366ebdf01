"""From a git change to the parts of a submission tree it touches: results, systems, submitters, paths.

CI on a results repository should re-check only what a push changed. Git names files; this module
maps each changed file to the result unit (``<division>/<submitter>/results/<system>/<benchmark>/
<scenario>``, also reached through ``measurements/`` and ``compliance/`` in the split layout) or the
system description it belongs to, so the incremental runner knows what to check and which findings
concern the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from checker.discovery import DIVISIONS
from checker.gitrepo import EMPTY_TREE, GITLINK, ZERO, GitChangeError, GitRepo, open_change

__all__ = ["Affected", "Change", "GitChangeError", "affected_by", "changed_files", "changes_between", "repo_changes"]

UNIT_FOLDERS = ("results", "measurements", "compliance")
ResultKey = tuple[str, str, str, str, str]  # division, submitter, system, benchmark, scenario folder
SystemKey = tuple[str, str, str]  # division, submitter, system
SubmitterKey = tuple[str, str]


MAX_SUBMODULE_DEPTH = 8


class Change(NamedTuple):  # a NamedTuple: a frozen dataclass costs a millisecond of every run's start
    """One changed file, relative to the checked root; ``old_path`` is set for renames."""

    status: str  # A added, M modified, D deleted, R renamed (T type change counts as M)
    path: str
    old_path: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path,) if self.old_path is None else (self.old_path, self.path)


def _relative(path: str, prefix: str) -> str | None:
    """A repository path relative to the checked root; None when outside it."""
    if not prefix:
        return path
    return path[len(prefix) + 1 :] if path.startswith(prefix + "/") else None


def changed_files(root: Path, base: str, head: str | None = None) -> list[Change]:
    """Files changed from ``base`` to ``head`` (default: the working tree, untracked files included).

    Submodule pointer changes are followed into the submodule; git runs read-only (see gitrepo).
    """
    repo, prefix, commits = open_change(root, (base, head) if head else (base,))
    return changes_between(repo, prefix, commits[0], commits[1] if head else None)


def changes_between(repo: GitRepo, prefix: str, old: str, new: str | None) -> list[Change]:
    """:func:`changed_files` of an opened repository, from commit ``old`` to ``new`` (None: the work tree)."""
    changes: list[Change] = []
    for change in repo_changes(repo, old, new, prefix):
        mapped = (
            _rename(change.old_path, change.path, prefix)
            if change.old_path
            else _one(change.status, change.path, prefix)
        )
        if mapped:
            changes.append(mapped)
    return changes


def repo_changes(repo: GitRepo, old: str, new: str | None, pathspec: str = "", depth: int = 0) -> list[Change]:
    """Changes from tree-ish ``old`` to ``new`` (None: the work tree) in one repository, submodules followed."""
    if depth > MAX_SUBMODULE_DEPTH:
        raise GitChangeError(f"submodules nested deeper than {MAX_SUBMODULE_DEPTH} levels in {repo.label}")
    # plumbing only: `git diff` would refresh and write the repository's index
    options = ["-r", "-z", "-M", "--no-abbrev", "--no-ext-diff", "--no-textconv", "--ignore-submodules=dirty"]
    tail = ["--end-of-options", old, *([new] if new else []), "--", pathspec or "."]
    if new is None:  # the two listings run while the index is refreshed and compared
        spec = pathspec or "."
        listings = repo.start(
            ("ls-files", "-s", "-z", "--", spec), ("ls-files", "--others", "--exclude-standard", "-z", "--", spec)
        )
        try:
            with repo.scratch_index() as index:
                raw = repo.run("diff-index", *options, *tail, index=index)
        finally:
            staged, others = listings.outputs()
    else:
        raw = repo.run("diff-tree", *options, *tail)
    changes: list[Change] = []
    for meta, paths in _raw_entries(raw):
        old_mode, new_mode, old_sha, new_sha, status = meta
        if GITLINK not in (old_mode, new_mode):
            changes.append(_plain(status, paths))
            continue
        path = paths[-1]
        changes += _submodule_changes(repo, path, (old_mode, new_mode, old_sha, new_sha), old, new, depth)
    if new is None:
        changes += _dirty_submodules(repo, pathspec, changes, depth, staged)
        if others is None:  # it failed: once more, for git's own message
            others = repo.run("ls-files", "--others", "--exclude-standard", "-z", "--", pathspec or ".")
        changes += [Change("A", path) for path in filter(None, others.decode().split("\0"))]
    return changes


def _dirty_submodules(
    repo: GitRepo, pathspec: str, seen: list[Change], depth: int, staged: bytes | None = None
) -> list[Change]:
    """Work-tree mode: changes inside checked-out submodules whose recorded commit did not move (``staged``: the
    ``ls-files -s`` listing when already taken).
    """
    if staged is None:
        staged = repo.run("ls-files", "-s", "-z", "--", pathspec or ".")
    listing = staged.decode("utf-8", "surrogateescape")
    out: list[Change] = []
    for record in filter(None, listing.split("\0")):
        meta, _, path = record.partition("\t")
        mode, sha = meta.split()[:2]
        if mode != GITLINK or repo.work_tree is None or not (repo.work_tree / path / ".git").exists():
            continue
        if any(c.path == path or c.path.startswith(path + "/") for c in seen):
            continue  # its pointer moved: already followed
        sub = repo.submodule(path, [sha], None)
        for change in repo_changes(sub, sha, None, "", depth + 1):
            old = f"{path}/{change.old_path}" if change.old_path else None
            out.append(Change(change.status, f"{path}/{change.path}", old))
    return out


def _raw_entries(output: bytes) -> list[tuple[list[str], list[str]]]:
    """``git diff --raw -z`` records: ([old mode, new mode, old sha, new sha, status], [path(s)])."""
    tokens = output.decode("utf-8", "surrogateescape").split("\0")
    entries: list[tuple[list[str], list[str]]] = []
    i = 0
    while i < len(tokens) and tokens[i].startswith(":"):
        meta = tokens[i][1:].split()
        count = 2 if meta[4][:1] in ("R", "C") else 1
        entries.append((meta, tokens[i + 1 : i + 1 + count]))
        i += 1 + count
    return entries


def _plain(status: str, paths: list[str]) -> Change:
    kind = status[:1]
    if kind == "R":
        return Change("R", paths[1], paths[0])
    if kind in ("A", "C"):
        return Change("A", paths[-1])
    return Change("D", paths[0]) if kind == "D" else Change("M", paths[0])


def _submodule_changes(
    repo: GitRepo, path: str, modes: tuple[str, str, str, str], old: str, new: str | None, depth: int
) -> list[Change]:
    """A gitlink entry: diff the two submodule commits inside the submodule, paths under ``path``."""
    old_mode, new_mode, old_sha, new_sha = modes
    out: list[Change] = []
    old_link, new_link = old_mode == GITLINK, new_mode == GITLINK
    if not old_link and old_mode != "000000":
        out.append(Change("D", path))  # a file or link replaced by a submodule
    if not new_link and new_mode != "000000":
        out.append(Change("A", path))  # a submodule replaced by a file or link
    at = new or old
    if new is None and new_link and repo.work_tree and (repo.work_tree / path / ".git").exists():
        sub_new: str | None = None  # the submodule's own work tree
        needed = [old_sha] if old_link else []
    else:
        sub_new = new_sha if new_link else EMPTY_TREE
        needed = [c for c, link in ((old_sha, old_link), (new_sha, new_link)) if link]
    if new is None and new_link and sub_new == ZERO:
        raise GitChangeError(f"submodule '{path}' changed in the work tree but is not checked out; check it out")
    sub = repo.submodule(path, needed, at)
    inner = repo_changes(sub, old_sha if old_link else EMPTY_TREE, sub_new, "", depth + 1)
    for change in inner:
        out.append(
            Change(
                change.status,
                f"{path}/{change.path}",
                f"{path}/{change.old_path}" if change.old_path else None,
            )
        )
    return out


def _one(status: str, path: str, prefix: str) -> Change | None:
    rel = _relative(path, prefix)
    return Change(status, rel) if rel else None


def _rename(old: str, new: str, prefix: str) -> Change | None:
    old_rel, new_rel = _relative(old, prefix), _relative(new, prefix)
    if old_rel and new_rel:
        return Change("R", new_rel, old_rel)
    return Change("D", old_rel) if old_rel else (Change("A", new_rel) if new_rel else None)


@dataclass
class Affected:
    """What a change touches; the incremental runner checks exactly these and filters findings by them."""

    paths: set[str] = field(default_factory=set)  # every changed path, old and new names
    removed: set[str] = field(default_factory=set)  # paths gone at head (deleted, or renamed away)
    moved_to: dict[str, str] = field(default_factory=dict)  # old path -> new path
    submitters: set[SubmitterKey] = field(default_factory=set)
    results: set[ResultKey] = field(default_factory=set)  # results whose own files changed
    result_statuses: dict[ResultKey, set[str]] = field(default_factory=dict)
    system_jsons: set[SystemKey] = field(default_factory=set)  # systems/<system>.json changed
    systems: set[SystemKey] = field(default_factory=set)  # systems whose results/ folder changed
    whole_submitters: set[SubmitterKey] = field(default_factory=set)  # model_mapping.json changed
    code: set[tuple[str, str, str]] = field(default_factory=set)  # (division, submitter, code/<name>)

    @property
    def ancestors(self) -> set[str]:
        """Folders that contain a changed path, from ``<division>/<submitter>/<folder>/<name>`` down."""
        found: set[str] = set()
        for path in self.paths:
            parents = PurePosixPath(path).parents
            found.update(p.as_posix() for p in parents if len(p.parts) >= 4)
        return found


def affected_by(changes: list[Change]) -> Affected:
    """Map changed files to result units, system descriptions and submitters."""
    affected = Affected()
    for change in changes:
        affected.paths.update(change.paths)
        if change.status == "D":
            affected.removed.add(change.path)
        if change.old_path:
            affected.removed.add(change.old_path)
            affected.moved_to[change.old_path] = change.path
        for path in change.paths:
            status = "D" if path in affected.removed else change.status
            _map_path(affected, path, status)
    return affected


def _map_path(affected: Affected, path: str, status: str) -> None:
    parts = path.split("/")
    if len(parts) < 3 or parts[0] not in DIVISIONS:
        return
    division, submitter, folder = parts[0], parts[1], parts[2]
    affected.submitters.add((division, submitter))
    if folder in UNIT_FOLDERS and len(parts) >= 6:
        key = (division, submitter, parts[3], parts[4], parts[5])
        affected.results.add(key)
        affected.result_statuses.setdefault(key, set()).add(status)
        affected.systems.add((division, submitter, parts[3]))
    elif folder in UNIT_FOLDERS and len(parts) >= 5:
        affected.systems.add((division, submitter, parts[3]))
    elif folder == "systems" and len(parts) == 4 and parts[3].endswith(".json"):
        affected.system_jsons.add((division, submitter, parts[3][: -len(".json")]))
    elif folder == "model_mapping.json" and len(parts) == 3:
        affected.whole_submitters.add((division, submitter))
    elif folder in ("code", "src") and len(parts) >= 5:
        affected.code.add((division, submitter, parts[3]))
