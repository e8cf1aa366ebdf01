"""Parser for LoadGen ``mlperf.conf``/``user.conf``: ``model.scenario.key = value`` lines, ``#`` comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from checker.parsers.text import ReadFailure, read_text

CONF_LIMIT = 1 << 20  # real ones are a few KiB; the round's ``limits.conf`` overrides


@dataclass(frozen=True)
class ConfSetting:
    model: str
    scenario: str
    key: str
    value: str
    line: int


@dataclass
class ConfFile:
    path: Path
    settings: list[ConfSetting] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    read_error: str | None = None
    read_kind: ReadFailure | None = None

    def lookup(self, key: str, model: str, scenario: str) -> ConfSetting | None:
        """The setting LoadGen would apply: later lines win, and exact names beat ``*``."""
        best: tuple[int, int, ConfSetting] | None = None
        for setting in self.settings:
            if setting.key != key:
                continue
            if setting.model not in ("*", model) or setting.scenario not in ("*", scenario):
                continue
            rank = (setting.model != "*") + (setting.scenario != "*")
            if best is None or (rank, setting.line) >= best[:2]:
                best = (rank, setting.line, setting)
        return best[2] if best else None


def parse_conf_text(path: Path, text: str) -> ConfFile:
    settings, malformed = _parse_lines(text)
    return ConfFile(path, list(settings), list(malformed))


@lru_cache(maxsize=256)
def _parse_lines(text: str) -> tuple[tuple[ConfSetting, ...], tuple[tuple[int, str], ...]]:
    """Settings and malformed lines of a conf text; memoised by content, as most results carry the same files."""
    settings: list[ConfSetting] = []
    malformed: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        parts = name.strip().rsplit(".", 2)  # model names may hold dots (wan-2.2-t2v-a14b.*.key)
        if not sep or len(parts) != 3 or not all(parts):
            malformed.append((number, "expected 'model.scenario.key = value'"))
            continue
        settings.append(ConfSetting(parts[0], parts[1], parts[2], value.strip(), number))
    return tuple(settings), tuple(malformed)


def parse_conf(path: Path, limit: int = CONF_LIMIT) -> ConfFile:
    """Read (bounded, strict UTF-8) and parse a conf file; an empty one is valid (LoadGen applies defaults)."""
    text_file = read_text(path, limit, allow_empty=True, strict=True)
    if not text_file.ok:
        conf = ConfFile(path)
        conf.read_error, conf.read_kind = text_file.error, text_file.kind
        return conf
    return parse_conf_text(path, text_file.text)
