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

from checker.discovery import DIVISIONS

UNIT_FOLDERS = ("results", "measurements", "compliance")
ResultKey = tuple[str, str, str, str, str]  # division, submitter, system, benchmark, scenario folder
SystemKey = tuple[str, str, str]  # division, submitter, system
SubmitterKey = tuple[str, str]


class GitChangeError(Exception):
    """The change cannot be computed (not a git repository, unknown revision): exit code 2."""


@dataclass(frozen=True)
class Change:
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
    """Files changed from ``base`` to ``head`` (default: the working tree, untracked files included)."""
    import git  # GitPython is only needed here; rule modules import this file for its types

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitChangeError(f"{root} is not inside a git repository") from exc
    if repo.working_tree_dir is None:
        raise GitChangeError(f"{root} is a bare git repository; CI needs a checkout")
    top = Path(repo.working_tree_dir).resolve()
    try:
        prefix = root.resolve().relative_to(top).as_posix()
    except ValueError as exc:
        raise GitChangeError(f"{root} is not inside the work tree {top}") from exc
    prefix = "" if prefix == "." else prefix
    try:
        base_commit = repo.commit(base)
        diffs = base_commit.diff(repo.commit(head) if head else None)
    except (git.BadName, git.BadObject, git.GitCommandError, ValueError) as exc:
        raise GitChangeError(f"unknown revision: {exc}") from exc
    changes: list[Change] = []
    for diff in diffs:
        old, new = diff.a_path, diff.b_path
        if diff.renamed_file and old and new:
            change = _rename(old, new, prefix)
        elif diff.deleted_file and old:
            change = _one("D", old, prefix)
        elif diff.new_file and new:
            change = _one("A", new, prefix)
        else:
            change = _one("M", new or old or "", prefix)
        if change:
            changes.append(change)
    if head is None:
        # `ls-files --others` lists untracked files without the full status scan `untracked_files` runs
        listing = repo.git.ls_files("--others", "--exclude-standard", "-z")
        for path in filter(None, listing.split("\0")):
            change = _one("A", path, prefix)
            if change:
                changes.append(change)
    return changes


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
