"""Round detections remembered by what they read, so that ``subcheck ci`` need not read the same logs every push.

Detecting an inference round reads the header of up to 200 LoadGen logs and loads every bundled round: two
fifths of a one-result ``ci``. A detection is stored under a key made of everything it read and the code that
read it: the folder asked about, the submitters found, each sampled log's path and status (inode, size, mode,
modification and status-change time: any write moves the status-change time, which no user can set back), the
text of every bundled inference rule file, and the files of the detection code. A changed, added or removed log,
submitter or rule file is a new key, so the logs are read again. Only a detection that found a round is stored:
conflicting evidence is read again every time, and fails again. A log changed in the last second is too fresh
to trust its times (a second write in the same clock tick can keep them), so nothing is stored then.

An entry that is damaged, foreign or of another key is ignored and replaced. Entries live in the user's cache
(:func:`checker.cache.cache_dir`), never in a checked tree. Off unless a command turns it on (``ci``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from checker.entries import cache_root, read_keyed, write_atomically

FORMAT = 1
_MAGIC = b"subcheck-round-detection\n"
_LIMIT = 1 << 16  # an entry is a round name and one line of evidence
_FRESH_NS = 1_000_000_000  # a file written this recently may change again within its clock tick
_ENABLED = [False]
_CODE = ("detect.py", "detect_memo.py", "ruleset.py", "parsers/mllog.py", "parsers/text.py")  # what reads the logs
_SCHEMAS = ("ruleset.inference.schema.json", "ruleset.schema.json")  # what every round loaded is validated by


def use(enabled: bool) -> bool:
    """Turn the memo on or off for this process; returns what it was."""
    previous, _ENABLED[0] = _ENABLED[0], enabled
    return previous


def remembered(
    path: Path, submitters: Sequence[Path], logs: Sequence[Path], detect: Callable[[], tuple[str, str]]
) -> tuple[str, str]:
    """``detect()`` (a round and its evidence), or what it gave before for exactly these files."""
    if not _ENABLED[0] or not logs:
        return detect()
    try:
        key, newest, versions = _key(path, submitters, logs)
    except (OSError, ValueError):  # a log that vanished, a name that cannot be encoded: read as usual
        return detect()
    found = _read(key)
    if found is not None and found[0] in versions:
        return found
    answer = detect()
    if newest < time.time_ns() - _FRESH_NS:
        _write(key, answer)
    return answer


def _key(path: Path, submitters: Sequence[Path], logs: Sequence[Path]) -> tuple[str, int, list[str]]:
    """The key of one detection, the newest time among the logs it reads, and the rounds it can name."""
    from checker.ruleset import available_versions, data_dir

    digest = hashlib.blake2b(digest_size=24)
    newest = 0

    def add(text: str) -> None:
        digest.update(text.encode("utf-8", "surrogateescape") + b"\0")

    add(f"{FORMAT}\0{path}\0{len(submitters)}")
    for submitter in submitters:
        add(str(submitter))
    for log in logs:
        info = os.stat(log)
        newest = max(newest, info.st_mtime_ns, info.st_ctime_ns)
        add(f"{log}\0{info.st_ino}\0{info.st_size}\0{info.st_mode}\0{info.st_mtime_ns}\0{info.st_ctime_ns}")
    rules = data_dir("rules") / "inference"  # a bundled round extends only its siblings (tests/test_detect_memo.py)
    versions = available_versions("inference")
    for version in versions:
        add(version)
        digest.update((rules / f"{version}.yaml").read_bytes())
    package, schemas = Path(__file__).resolve().parent, data_dir("schemas")
    for name, where in [(name, package) for name in _CODE] + [(name, schemas) for name in _SCHEMAS]:
        try:
            info = os.stat(where / name)
        except FileNotFoundError:
            add(f"{name}\0absent")
            continue
        add(f"{name}\0{info.st_size}\0{info.st_mtime_ns}")
    return digest.hexdigest(), newest, versions


def _entry(key: str) -> str:
    return os.path.join(cache_root(), "round-detection", key[:2], key)


def _read(key: str) -> tuple[str, str] | None:
    stored = read_keyed(_entry(key), _MAGIC + key.encode() + b"\n", _LIMIT)
    if stored is None:
        return None
    try:
        data = json.loads(stored)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, list) or len(data) != 2 or not all(isinstance(v, str) and v for v in data):
        return None
    return data[0], data[1]


def _write(key: str, answer: tuple[str, str]) -> None:
    write_atomically(_entry(key), _MAGIC + key.encode() + b"\n" + json.dumps(list(answer)).encode())
