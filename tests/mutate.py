"""Helpers for rule tests: run the engine in-process on a mutated copy of real results, and edit files.

Every helper edits a writable copy (see ``tests.conftest.copy_submitter``), never the shared data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from checker.context import clear_caches
from checker.discovery import discover
from checker.engine import Report, Selection, run_checks
from checker.findings import Finding
from checker.registry import load_all
from checker.rounds import Round

MARKER = ":::MLLOG "
_UNSET = object()

# The ConnectTechInc copy (``ctt_tree``): one edge system, gptj-99 SingleStream and Offline.
CTT = "closed/ConnectTechInc"
CTT_SYSTEM = f"{CTT}/systems/Orin_TRT.json"
CTT_RESULTS = f"{CTT}/results/Orin_TRT/gptj-99"
CTT_MEASUREMENTS = f"{CTT}/measurements/Orin_TRT/gptj-99"


def perf_detail(scenario: str = "Offline", base: str = CTT_RESULTS) -> str:
    return f"{base}/{scenario}/performance/run_1/mlperf_log_detail.txt"


def perf_summary(scenario: str = "Offline", base: str = CTT_RESULTS) -> str:
    return f"{base}/{scenario}/performance/run_1/mlperf_log_summary.txt"


def report(root: Path, codes: tuple[str, ...] = (), version: str = "v4.1") -> Report:
    """Check ``root`` in-process with only ``codes`` enabled (all when empty)."""
    load_all()
    # The engine caches parsed system JSON per path for the whole process; tests rewrite files in place.
    clear_caches()
    rules = Round.load("inference", version)
    return run_checks(discover(root, rules["layout"]), rules, jobs=1, selection=Selection(codes, ()))


def findings(root: Path, code: str, version: str = "v4.1") -> list[Finding]:
    """The findings of exactly ``code`` (the engine's selection is a prefix match)."""
    return [f for f in report(root, (code,), version).findings if f.code == code]


def only(root: Path, code: str, version: str = "v4.1") -> Finding:
    found = findings(root, code, version)
    assert len(found) == 1, [f.to_record() for f in found]
    return found[0]


# --- detail logs --------------------------------------------------------------------------------------
def _records(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def line_of(path: Path, key: str) -> int:
    """1-based line of the first record with ``key``."""
    for number, line in enumerate(_records(path), start=1):
        if line.startswith(MARKER) and json.loads(line[len(MARKER) :]).get("key") == key:
            return number
    raise KeyError(key)


def set_record(path: Path, key: str, value: Any = _UNSET, *, metadata: dict[str, Any] | None = None) -> int:
    """Change the first ``key`` record's value (and/or metadata) in a detail log; returns its line number."""
    lines = _records(path)
    for index, line in enumerate(lines):
        if not line.startswith(MARKER):
            continue
        record = json.loads(line[len(MARKER) :])
        if record.get("key") != key:
            continue
        if value is not _UNSET:
            record["value"] = value
        if metadata:
            record.setdefault("metadata", {}).update(metadata)
        lines[index] = MARKER + json.dumps(record)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return index + 1
    raise KeyError(key)


def drop_record(path: Path, key: str) -> int:
    """Delete every ``key`` record; returns the line the first one was on."""
    lines = _records(path)
    keep, first = [], None
    for number, line in enumerate(lines, start=1):
        if line.startswith(MARKER) and json.loads(line[len(MARKER) :]).get("key") == key:
            first = first or number
            continue
        keep.append(line)
    if first is None:
        raise KeyError(key)
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return first


def add_record(path: Path, key: str, value: Any, *, after: str | None = None) -> int:
    """Insert a LoadGen-style record (after the ``after`` record, or at the end); returns its line."""
    lines = _records(path)
    record = {
        "key": key,
        "value": value,
        "time_ms": 0.0,
        "namespace": "mlperf::logging",
        "event_type": "POINT_IN_TIME",
        "metadata": {"is_error": False, "is_warning": False},
    }
    position = line_of(path, after) if after else len(lines)
    lines.insert(position, MARKER + json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return position + 1


def get_record(path: Path, key: str) -> Any:
    for line in _records(path):
        if line.startswith(MARKER):
            record = json.loads(line[len(MARKER) :])
            if record.get("key") == key:
                return record.get("value")
    raise KeyError(key)


# --- summaries, JSON, folders ---------------------------------------------------------------------------
def set_summary(path: Path, name: str, value: str) -> int:
    """Rewrite the first ``Name : value`` line of a summary log; returns its line number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        head, sep, _ = line.partition(":")
        if sep and head.strip() == name:
            lines[index] = f"{head}: {value}"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return index + 1
    raise KeyError(name)


def edit_json(path: Path, drop: tuple[str, ...] = (), **changes: Any) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in drop:
        del data[key]
    data.update(changes)
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")
    return data


def move_division(root: Path, submitter: str, source: str, target: str) -> None:
    """Move ``<source>/<submitter>`` to ``<target>/<submitter>`` and fix ``division`` in its systems."""
    (root / target).mkdir(exist_ok=True)
    shutil.move(str(root / source / submitter), str(root / target / submitter))
    (root / source).rmdir()
    for system in (root / target / submitter / "systems").glob("*.json"):
        edit_json(system, division=target)


def rename_scenario(root: Path, submitter: str, system: str, benchmark: str, old: str, new: str) -> None:
    """Rename a scenario folder everywhere it appears (results, measurements, compliance)."""
    for part in ("results", "measurements", "compliance"):
        folder = root / submitter / part / system / benchmark / old
        if folder.is_dir():
            folder.rename(folder.with_name(new))


def copy_system(tmp_path: Path, division: str, submitter: str, system: str) -> Path:
    """Copy one system of a real v4.1 submitter (its description, results, measurements, compliance, code)."""
    from tests.conftest import require_data

    source = require_data("inference-v4.1", division, submitter)
    root = tmp_path / "tree"
    target = root / division / submitter
    for part in ("results", "measurements", "compliance"):
        if (source / part / system).is_dir():
            shutil.copytree(source / part / system, target / part / system)
    if (source / "code").is_dir():
        shutil.copytree(source / "code", target / "code")
    (target / "systems").mkdir(parents=True)
    shutil.copy(source / "systems" / f"{system}.json", target / "systems" / f"{system}.json")
    for path in root.rglob("*"):  # the shared data is read-only; copies must be writable
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root
