"""Write files of a bare git directory (the fetched mlcommons/inference mirror) at a revision into a folder.

``git archive`` stops at the first blob a fetched snapshot lacks (its largest files); this writes every file that is
there and returns the paths it could not write, so that an official tool or sample tree can be used outside the
repository without the missing traces.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

DEFAULT_GIT_DIR = Path("/work/.mirror/mlcommons+inference/repo")
SAMPLE_1 = "tools/submission/directory_structure_samples/sample_1"


def git_dir() -> Path:
    """The mirror of mlcommons/inference: ``INFERENCE_GITDIR``, else the workplace's default."""
    return Path(os.environ.get("INFERENCE_GITDIR", DEFAULT_GIT_DIR))


def extract(repo: Path, rev: str, dest: Path, pathspec: str, strip: str = "") -> list[str]:
    """Write the blobs under ``pathspec`` at ``rev`` into ``dest`` (``strip`` removed from each path); the missing."""
    listing = subprocess.run(
        ["git", "--git-dir", str(repo), "ls-tree", "-r", "-z", rev, "--", pathspec], check=True, capture_output=True
    ).stdout.split(b"\0")
    entries = []
    for line in filter(None, listing):
        meta, path = line.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob":
            entries.append((mode, sha, path.decode()))
    missing: list[str] = []
    with subprocess.Popen(
        ["git", "--git-dir", str(repo), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as batch:
        assert batch.stdin is not None and batch.stdout is not None
        for mode, sha, path in entries:
            batch.stdin.write(sha + b"\n")
            batch.stdin.flush()
            header = batch.stdout.readline().split()
            if len(header) < 3 or header[1] == b"missing":
                missing.append(path)
                continue
            data = batch.stdout.read(int(header[2]))
            batch.stdout.read(1)
            out = dest / path.removeprefix(strip).lstrip("/")
            out.parent.mkdir(parents=True, exist_ok=True)
            if mode == b"120000":
                continue  # a link could point out of the folder: not written
            out.write_bytes(data)
            if mode == b"100755":
                out.chmod(0o755)
        batch.stdin.close()
    return missing


def sample_1(dest: Path, rev: str = "HEAD") -> Path | None:
    """The official ``directory_structure_samples/sample_1`` tree written to ``dest``; None without the mirror."""
    repo = git_dir()
    if not repo.is_dir():
        return None
    extract(repo, rev, dest, SAMPLE_1, strip=SAMPLE_1)
    return dest
