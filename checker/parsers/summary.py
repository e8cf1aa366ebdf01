"""Parser for LoadGen's human-readable ``mlperf_log_summary.txt`` (``Name : value`` lines)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from checker.parsers.text import ReadFailure, read_text

SUMMARY_LIMIT = 16 << 20  # real summaries are a few KiB; the round's ``limits.summary_log`` overrides


@dataclass
class SummaryLog:
    """Fields of a summary log by their printed name; first occurrence wins."""

    path: Path
    fields: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    read_error: str | None = None
    read_kind: ReadFailure | None = None
    bad_bytes_at: int | None = None

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    def number(self, name: str) -> float | None:
        """The field as a float, or None when absent or not a number."""
        value = self.fields.get(name)
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    @property
    def result_is(self) -> str | None:
        return self.fields.get("Result is")

    @property
    def scenario(self) -> str | None:
        return self.fields.get("Scenario")


def parse_summary_text(path: Path, text: str) -> SummaryLog:
    log = SummaryLog(path)
    for number, line in enumerate(text.splitlines(), start=1):
        # Split at the first colon by hand: a regex here backtracks badly on long runs of spaces.
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name or "=" in name or line.lstrip().startswith("="):
            continue
        value = value.strip()
        if name not in log.fields:
            log.fields[name] = value
            log.lines[name] = number
    return log


def parse_summary_log(path: Path, limit: int = SUMMARY_LIMIT) -> SummaryLog:
    """Read (bounded) and parse a summary; a file without any ``Name : value`` line is ``bad_format``."""
    text_file = read_text(path, limit)
    if not text_file.ok:
        log = SummaryLog(path)
        log.read_error, log.read_kind = text_file.error, text_file.kind
        return log
    log = parse_summary_text(path, text_file.text)
    log.bad_bytes_at = text_file.bad_bytes_at
    if not log.fields:
        log.read_error, log.read_kind = "file has no 'Name : value' lines", ReadFailure.bad_format
    elif not _complete(text_file.text):
        # LoadGen always ends a summary with its error count; without it the file was cut short or edited.
        log.read_error = "file is truncated: no closing 'errors encountered during test' line"
        log.read_kind = ReadFailure.bad_format
    return log


def _complete(text: str) -> bool:
    """LoadGen's last line: ``No errors encountered during test.`` or ``N errors encountered during test.``."""
    last = text.rstrip()[-200:].rsplit("\n", 1)[-1]
    return last.endswith(("error encountered during test.", "errors encountered during test."))
