"""Truncate ``mlperf_log_accuracy.json`` the way MLPerf's ``truncate_accuracy_log.py`` does.

Submissions keep only the first and last 4096 characters of the log and record the sha256 of the
original in ``accuracy.txt`` as ``hash=<hex>``, so the full log can later be matched to the claim.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

VIEWABLE_SIZE = 4096
MAX_ACCURACY_LOG_SIZE = 10 * 1024
ELLIPSIS = "\n\n...\n\n"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def truncated_text(text: str) -> str:
    """Keep the first and last 4096 chars around a blank-line ellipsis; short logs stay whole."""
    if len(text) < VIEWABLE_SIZE:
        return text
    return text[:VIEWABLE_SIZE] + ELLIPSIS + text[-VIEWABLE_SIZE:]


def append_hash(accuracy_txt: Path, digest: str) -> None:
    """Append a blank line and ``hash=<hex>`` exactly as the official script does."""
    with open(accuracy_txt, "a", encoding="utf-8") as fh:
        fh.write(f"\nhash={digest}\n")


def truncate_accuracy_log(accuracy_json: Path, accuracy_txt: Path | None = None) -> str:
    """Hash the log, append the hash to ``accuracy_txt`` (if given), truncate in place; return hash."""
    digest = sha256_file(accuracy_json)
    if accuracy_txt is not None:
        append_hash(accuracy_txt, digest)
    text = accuracy_json.read_text(encoding="utf-8")
    accuracy_json.write_text(truncated_text(text), encoding="utf-8")
    return digest


def read_hash(accuracy_txt: Path) -> str | None:
    for line in accuracy_txt.read_text(encoding="utf-8").splitlines():
        if line.startswith("hash="):
            return line[len("hash=") :].strip()
    return None
