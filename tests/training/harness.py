"""Helpers that mutate copied logs and run the checker, so each test case reads as one line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from checker.findings import Finding
from checker.training.run import TrainingReport, check_training

SYSTEM = "cloud-tpu-trillium-2048-maxtext"
TOKEN = ":::MLLOG "
DELETE = object()


def bench_dir(root: Path) -> Path:
    return root / "Google" / "results" / SYSTEM / "gpt3"


def system_json(root: Path) -> Path:
    return root / "Google" / "systems" / f"{SYSTEM}.json"


def logs(root: Path, runs: Iterable[int] = (0, 1, 2)) -> list[Path]:
    return [bench_dir(root) / f"result_{i}.txt" for i in runs]


def run(root: Path, version: str = "v4.1", **kw: Any) -> TrainingReport:
    return check_training(root, version, **kw)


def findings(report: TrainingReport, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code]


def edit(paths: Iterable[Path], fn: Callable[[list[str]], list[str]]) -> None:
    for path in paths:
        lines = path.read_text(encoding="latin-1").splitlines()
        path.write_text("\n".join(fn(lines)) + "\n", encoding="latin-1")


def _rec(line: str) -> dict[str, Any] | None:
    if TOKEN not in line:
        return None
    return json.loads(line.split(TOKEN, 1)[1])


def _dump(rec: dict[str, Any]) -> str:
    return TOKEN + json.dumps(rec)


def index(lines: list[str], key: str, nth: int = 0) -> int:
    hits = [i for i, ln in enumerate(lines) if (_rec(ln) or {}).get("key") == key]
    return hits[nth]


def set_field(key: str, value: Any, field: str = "value", nth: int | None = 0) -> Callable[[list[str]], list[str]]:
    """Set ``value`` (or a metadata field, or time_ms) of the nth (None: every) record with ``key``."""

    def fn(lines: list[str]) -> list[str]:
        hits = [i for i, ln in enumerate(lines) if (_rec(ln) or {}).get("key") == key]
        for i in hits if nth is None else [hits[nth]]:
            rec = _rec(lines[i])
            assert rec is not None
            target = rec["metadata"] if field.startswith("metadata.") else rec
            name = field.split(".", 1)[1] if field.startswith("metadata.") else field
            if value is DELETE:
                target.pop(name, None)
            elif callable(value):
                target[name] = value(target.get(name))
            else:
                target[name] = value
            lines[i] = _dump(rec)
        return lines

    return fn


def drop(key: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [ln for ln in lines if (_rec(ln) or {}).get("key") != key]


def duplicate(key: str) -> Callable[[list[str]], list[str]]:
    def fn(lines: list[str]) -> list[str]:
        i = index(lines, key)
        return lines[: i + 1] + [lines[i]] + lines[i + 1 :]

    return fn


def move_before(key: str, other: str) -> Callable[[list[str]], list[str]]:
    def fn(lines: list[str]) -> list[str]:
        line = lines.pop(index(lines, key))
        j = index(lines, other)
        return lines[:j] + [line] + lines[j:]

    return fn


def insert_after(key: str, text: str, nth: int = 0) -> Callable[[list[str]], list[str]]:
    def fn(lines: list[str]) -> list[str]:
        i = index(lines, key, nth)
        return lines[: i + 1] + [text] + lines[i + 1 :]

    return fn


def chain(*fns: Callable[[list[str]], list[str]]) -> Callable[[list[str]], list[str]]:
    def fn(lines: list[str]) -> list[str]:
        for f in fns:
            lines = f(lines)
        return lines

    return fn


def edit_json(path: Path, fn: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
