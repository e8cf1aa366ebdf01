"""The tarball for the results chair, as the official ``pack_submission.sh`` describes, but reproducible.

Official: ``tar -cvzf - closed/ open/ | openssl enc -e -aes256 -out mlperf_submission_<SUBMITTER>.tar.gz``
and ``sha1sum`` of it into ``mlperf_submission_<SUBMITTER>.sha1``. Here the division folders go in
name order with owner root/0, time 0 and modes 0644/0755 (0755 for files with an execute bit), and
gzip records no name or time, so the same tree gives the same bytes. Encryption is optional and uses
``openssl enc -e -aes256`` as the official script does, so its ``--unpack`` still works.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

from checker.discovery import DIVISIONS
from checker.prepare.copy import PrepareError

PASSWORD_ENV = "SUBCHECK_PACK_PASSWORD"  # else openssl asks on the terminal, as the official script does


def names(submitter: str) -> tuple[str, str]:
    return f"mlperf_submission_{submitter}.tar.gz", f"mlperf_submission_{submitter}.sha1"


def _members(root: Path) -> list[str]:
    """Division folders and everything below them, relative to ``root``, in a fixed order."""
    found: list[str] = []

    def walk(rel: str) -> None:
        found.append(rel)
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            for name in sorted(os.listdir(path)):
                walk(f"{rel}/{name}")

    for division in sorted(d for d in DIVISIONS if (root / d).is_dir()):
        walk(division)
    return found


def _info(root: Path, rel: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(rel)
    mode = os.lstat(root / rel).st_mode
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    if stat.S_ISLNK(mode):
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, os.readlink(root / rel), 0o777
    elif stat.S_ISDIR(mode):
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size = os.lstat(root / rel).st_size
        info.mode = 0o755 if mode & 0o111 else 0o644
    return info


def write_tarball(root: Path, target: Path) -> None:
    """A gzip'd tar of the division folders under ``root``: same tree, same bytes."""
    with open(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for rel in _members(root):
                info = _info(root, rel)
                if info.isreg():
                    with open(root / rel, "rb") as fh:
                        tar.addfile(info, fh)
                else:
                    tar.addfile(info)


def encrypt(plain: Path, target: Path) -> None:
    """``openssl enc -e -aes256`` (the official script's cipher and key derivation); exit 2 without openssl."""
    tool = shutil.which("openssl")
    if tool is None:
        raise PrepareError("--encrypt needs the openssl command; install it or pack without --encrypt")
    command = [tool, "enc", "-e", "-aes256", "-in", str(plain), "-out", str(target)]
    if os.environ.get(PASSWORD_ENV):
        command += ["-pass", f"env:{PASSWORD_ENV}"]
    done = subprocess.run(command, check=False)  # noqa: S603 - fixed argument list, no shell
    if done.returncode != 0:
        raise PrepareError(f"openssl could not encrypt the tarball (exit {done.returncode})")


def sha1_line(path: Path) -> str:
    """What ``sha1sum NAME`` prints in the folder of ``path``; the official ``--unpack`` compares against it."""
    digest = hashlib.sha1(usedforsecurity=False)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"{digest.hexdigest()}  {path.name}\n"


def pack(root: Path, dest: Path, submitter: str, encrypted: bool) -> tuple[Path, Path]:
    """Write the tarball (encrypted when asked) and its sha1 file into ``dest``; refuse to overwrite."""
    tar_name, sha_name = names(submitter)
    tarball, sha_file = dest / tar_name, dest / sha_name
    for path in (tarball, sha_file):
        if path.exists() or path.is_symlink():
            raise PrepareError(f"{path} exists; move it away or pack into another folder (--pack-dir)")
    if encrypted:
        plain = dest / (tar_name + ".plain")
        write_tarball(root, plain)
        try:
            encrypt(plain, tarball)
        finally:
            plain.unlink(missing_ok=True)
    else:
        write_tarball(root, tarball)
    sha_file.write_text(sha1_line(tarball), encoding="utf-8")
    return tarball, sha_file
