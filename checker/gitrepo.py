"""Run git on a repository that is not ours: read its objects, never write to it, never run its programs.

A reviewer may run ``subcheck ci`` on a tarball that carries its own ``.git``: its config can name an
fsmonitor hook, clean filters or an external diff, and a plain ``git diff`` refreshes the index. Every
git call goes through :class:`GitRepo`, which switches all of that off and keeps optional locks off.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

ZERO = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
GITLINK = "160000"
SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "core.pager=cat",
    "diff.external=",
    "gc.auto=0",
    "maintenance.auto=false",
    "protocol.allow=never",
    "submodule.recurse=false",
)
SAFE_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_PAGER": "cat",
    "LC_ALL": "C",
}


# Commands that read only objects and refs, never a work-tree file, so no clean or smudge filter can run: they
# need not ask the config which filters to blank (one git process less per run). Any other command gets them.
OBJECTS_ONLY = frozenset({"rev-parse", "ls-tree", "cat-file", "diff-tree", "config"})
_SHA = re.compile(r"[0-9a-f]{40}")


class GitChangeError(Exception):
    """The change cannot be computed (not a git repository, unknown revision, missing submodule): exit code 2."""


def _environment() -> dict[str, str]:
    """The caller's environment without any GIT_* variable (GIT_DIR, GIT_EXTERNAL_DIFF, ...), plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(SAFE_ENV)
    return env


class GitRepo:
    """One repository (a work tree, or a bare ``.git/modules/<name>`` folder) read through safe git calls."""

    def __init__(self, work_tree: Path | None, git_dir: Path | None = None, label: str = ".") -> None:
        self.work_tree = work_tree
        self.git_dir = git_dir
        self.label = label  # the repository's path inside the outermost one, for messages
        self.index_file: Path | None = None  # the index's path when already asked (see open_change)

    def command(self, *args: str) -> list[str]:
        where = ["-C", str(self.work_tree)] if self.work_tree else [f"--git-dir={self.git_dir}"]
        overrides = () if args[:1] and args[0] in OBJECTS_ONLY else self.filter_overrides
        config = [item for pair in SAFE_CONFIG + overrides for item in ("-c", pair)]
        return ["git", "--no-pager", *where, *config, *args]

    def run(self, *args: str, stdin: bytes | None = None, index: Path | None = None) -> bytes:
        """Output of one git command; a failure becomes GitChangeError with git's own message.

        ``index``: read (and refresh) this copy of the index instead of the repository's own.
        """
        env = _environment()
        if index is not None:
            env["GIT_INDEX_FILE"] = str(index)
        try:
            done = subprocess.run(self.command(*args), input=stdin, capture_output=True, env=env, check=False)
        except OSError as exc:
            raise GitChangeError(f"cannot run git: {exc}") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitChangeError(message[0] if message else f"git {args[0]} failed in {self.label}")
        return done.stdout

    def run_together(self, *calls: tuple[str, ...], stdin: dict[int, bytes] | None = None) -> list[bytes | None]:
        """Several independent git commands at once (each call's output, None where it failed): on two cores,
        three short git processes take the time of one or two.
        """
        return self.start(*calls, stdin=stdin).outputs()

    def start(self, *calls: tuple[str, ...], stdin: dict[int, bytes] | None = None) -> Started:
        """Start independent git commands; :meth:`Started.outputs` waits for them (the caller works meanwhile)."""
        processes: list[subprocess.Popen[bytes] | None] = []
        for number, args in enumerate(calls):
            feed = subprocess.PIPE if (stdin or {}).get(number) is not None else subprocess.DEVNULL
            try:
                processes.append(subprocess.Popen(self.command(*args), stdin=feed, stdout=subprocess.PIPE,
                                                  stderr=subprocess.DEVNULL, env=_environment()))  # fmt: skip
            except OSError:
                processes.append(None)
        return Started(processes, stdin or {})

    def ok(self, *args: str) -> bool:
        """Whether a git query succeeds (e.g. an object exists)."""
        try:
            self.run(*args)
        except GitChangeError:
            return False
        return True

    @cached_property
    def filter_overrides(self) -> tuple[str, ...]:
        """Blank every clean/smudge/process filter the config names, so comparing the work tree runs none."""
        where = ["-C", str(self.work_tree)] if self.work_tree else [f"--git-dir={self.git_dir}"]
        try:
            done = subprocess.run(["git", *where, *FILTER_QUERY], capture_output=True, env=_environment(), check=False)
        except OSError:
            return ()
        return blanked_filters(done.stdout)

    def know_filters(self, listing: bytes) -> None:
        """Take the answer of :data:`FILTER_QUERY` run beside other commands (its exit status 0 or 1: some
        filter, or none), so that the first command that reads the work tree need not wait for another git.
        """
        self.__dict__["filter_overrides"] = blanked_filters(listing)

    def resolve(self, revision: str) -> str:
        """The commit a revision names (``--end-of-options`` keeps ``--output=x`` from being an option)."""
        try:
            found = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
        except GitChangeError as exc:
            raise GitChangeError(f"unknown revision: {revision!r} in {self.label}") from exc
        return found.decode().strip()

    @contextmanager
    def scratch_index(self) -> Iterator[Path | None]:
        """A refreshed copy of the index outside the repository (None when it cannot be made).

        Comparing with the work tree needs fresh stat data; ``git diff`` would write it into the
        repository's index, so the refresh happens on a copy that is thrown away afterwards.
        """
        import shutil  # here: only a check of the work tree against the index copies it (a ci run imports less)

        holder = temporary_folder(self, "subcheck-index-")
        try:
            copy = holder / "index"
            try:
                source = self.index_file or Path(self.run("rev-parse", "--git-path", "index").decode().strip())
                # copy2 keeps the index's mtime: git's racy-entry check (a file edited in the same second as the
                # index was written is compared by content) must see the same times as on the original.
                shutil.copy2(source if source.is_absolute() else (self.work_tree or Path(".")) / source, copy)
                self.run("update-index", "-q", "--unmerged", "--ignore-missing", "--refresh", index=copy)
            except (GitChangeError, OSError):
                yield None  # unrefreshed: stat-dirty files count as changed, which only checks more
                return
            yield copy
        finally:
            shutil.rmtree(holder, ignore_errors=True)

    def has_commit(self, sha: str) -> bool:
        return self.ok("cat-file", "-e", f"{sha}^{{commit}}")

    def submodule(self, path: str, commits: list[str], at: str | None) -> GitRepo:
        """The repository of the submodule at ``path`` holding ``commits``, or GitChangeError saying what to do.

        Looked for in its checkout (``<work tree>/<path>``), then in ``.git/modules/<name>`` where
        the name comes from ``.gitmodules`` at commit ``at`` (or in the work tree).
        """
        label = path if self.label == "." else f"{self.label}/{path}"
        wanted = [c for c in commits if c != ZERO]
        for candidate in self._submodule_candidates(path, at, label):
            if all(candidate.has_commit(c) for c in wanted):
                return candidate
        shown = ", ".join(c[:12] for c in wanted)
        raise GitChangeError(
            f"the change touches submodule '{label}' (commit {shown}), but its objects are not in this clone; "
            "run `git submodule update --init --recursive` (or fetch the submodule's commits) and run ci again"
        )

    def _submodule_candidates(self, path: str, at: str | None, label: str) -> list[GitRepo]:
        found: list[GitRepo] = []
        if self.work_tree and (self.work_tree / path / ".git").exists():
            found.append(GitRepo(self.work_tree / path, label=label))
        for name in self._submodule_names(path, at):
            try:
                module = self.run("rev-parse", "--git-path", f"modules/{name}").decode().strip()
            except GitChangeError:
                continue
            folder = Path(module)
            if not folder.is_absolute() and self.work_tree is not None:
                folder = self.work_tree / folder
            if folder.is_dir():
                found.append(GitRepo(None, git_dir=folder.resolve(), label=label))
        return found

    def _submodule_names(self, path: str, at: str | None) -> list[str]:
        """Names ``.gitmodules`` gives the submodule at ``path`` (its path itself as a fallback)."""
        sources = [["--blob", f"{at}:.gitmodules"]] if at else []
        if self.work_tree and (self.work_tree / ".gitmodules").is_file():
            sources.append(["-f", str(self.work_tree / ".gitmodules")])
        names: list[str] = []
        for source in sources:
            try:
                listing = self.run("config", "-z", *source, "--get-regexp", r"^submodule\..*\.path$").decode()
            except GitChangeError:
                continue
            for record in filter(None, listing.split("\0")):
                key, _, value = record.partition("\n")
                if value == path:
                    names.append(key[len("submodule.") : -len(".path")])
        return [*dict.fromkeys(names), path]


FILTER_QUERY = ("config", "-z", "--get-regexp", r"^filter\.")  # every filter the config names (exit 1: none)


def blanked_filters(listing: bytes) -> tuple[str, ...]:
    """The ``-c`` settings that blank each filter named in ``git config -z --get-regexp ^filter.``'s output."""
    names = set()
    for record in listing.decode("utf-8", "replace").split("\0"):
        key = record.split("\n", 1)[0]
        if key.startswith("filter.") and key.count(".") >= 2:
            names.add(key[len("filter.") : key.rindex(".")])
    return tuple(
        f"filter.{name}.{part}" for name in sorted(names) for part in ("clean=", "smudge=", "process=")
    ) + tuple(f"filter.{name}.required=false" for name in sorted(names))


def open_repo(root: Path) -> tuple[GitRepo, str]:
    """The repository that holds ``root`` and the path of ``root`` inside it (``""`` at its top)."""
    root = root.resolve()
    if not root.is_dir():
        raise GitChangeError(f"{root} is not inside a git repository")
    probe = GitRepo(root, label=".")
    try:
        bare, top = probe.run("rev-parse", "--is-bare-repository", "--show-toplevel").decode().splitlines()[:2]
    except (GitChangeError, ValueError) as exc:
        if _is_bare(probe):
            raise GitChangeError(f"{root} is a bare git repository; CI needs a checkout") from exc
        raise GitChangeError(f"{root} is not inside a git repository") from exc
    if bare == "true" or not top:
        raise GitChangeError(f"{root} is a bare git repository; CI needs a checkout")
    top_path = Path(top).resolve()
    try:
        prefix = root.relative_to(top_path).as_posix()
    except ValueError as exc:
        raise GitChangeError(f"{root} is not inside the work tree {top_path}") from exc
    return GitRepo(top_path, label="."), "" if prefix == "." else prefix


class Started:
    """Git commands running; their outputs are collected once, in order (None where one failed)."""

    def __init__(self, processes: list[subprocess.Popen[bytes] | None], stdin: dict[int, bytes]) -> None:
        self.processes = processes
        self.stdin = stdin  # written when collected: a command that waits for it only waits

    def outputs(self) -> list[bytes | None]:
        return [out if status == 0 else None for status, out in self.finished()]

    def finished(self) -> list[tuple[int | None, bytes]]:
        """Each command's exit status and output (None and nothing where it could not start)."""
        results: list[tuple[int | None, bytes]] = []
        for number, process in enumerate(self.processes):
            if process is None:
                results.append((None, b""))
                continue
            out, _ = process.communicate(self.stdin.get(number))
            results.append((process.returncode, out))
        return results


def open_change(root: Path, revisions: tuple[str, ...]) -> tuple[GitRepo, str, list[str]]:
    """:func:`open_repo` and the commit each revision names, asked in one git call when that call answers plainly
    (else as before, one call each, so a bad revision or folder gets git's own message).
    """
    found = _open_at_once(root, revisions)
    if found is not None:
        return found
    repo, prefix = open_repo(root)
    return repo, prefix, [repo.resolve(revision) for revision in revisions]


def _open_at_once(root: Path, revisions: tuple[str, ...]) -> tuple[GitRepo, str, list[str]] | None:
    """One ``rev-parse``: bare or not, the top of the work tree, the index's path and each revision's commit.

    Anything unexpected (an error, a revision naming a range or looking like an option, a line too many) gives
    None and the careful path, so this never answers differently from :func:`open_repo` and ``resolve``.
    """
    if any(not revision or revision.startswith("-") for revision in revisions):
        return None
    root = root.resolve()
    if not root.is_dir():
        return None
    peeled = [f"{revision}^{{commit}}" for revision in revisions]
    try:
        out = GitRepo(root).run("rev-parse", "--is-bare-repository", "--show-toplevel", "--git-path", "index",
                                "--end-of-options", *peeled).decode("utf-8", "surrogateescape")  # fmt: skip
    except GitChangeError:
        return None
    lines = out.split("\n")
    if len(lines) < 4 or lines.pop() != "":
        return None
    bare, top, index, *shas = lines
    if shas[:1] == ["--end-of-options"]:  # some git versions echo it outside --verify
        shas.pop(0)
    if bare != "false" or not top or len(shas) != len(revisions) or not all(_SHA.fullmatch(s) for s in shas):
        return None
    top_path = Path(top).resolve()
    try:
        prefix = root.relative_to(top_path).as_posix()
    except ValueError:
        return None
    repo = GitRepo(top_path, label=".")
    repo.index_file = Path(index) if os.path.isabs(index) else root / index
    return repo, "" if prefix == "." else prefix, shas


def _is_bare(repo: GitRepo) -> bool:
    try:
        return repo.run("rev-parse", "--is-bare-repository").strip() == b"true"
    except GitChangeError:
        return False


def temporary_folder(repo: GitRepo, prefix: str) -> Path:
    """A new folder outside the repository (TMPDIR inside it would mean writing to the checked tree)."""
    import shutil
    import tempfile  # here: a run that writes no snapshot and no index copy does not import it (5 ms)

    holder = Path(tempfile.mkdtemp(prefix=prefix)).resolve()
    if repo.work_tree is not None and (holder == repo.work_tree or repo.work_tree in holder.parents):
        shutil.rmtree(holder, ignore_errors=True)
        raise GitChangeError(
            f"the temporary folder {holder} is inside the repository; set TMPDIR to a folder outside it"
        )
    return holder
