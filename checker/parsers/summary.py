"""Parser for LoadGen's human-readable ``mlperf_log_summary.txt`` (``Name : value`` lines)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from checker.parsers.text import ReadFailure, read_text

SUMMARY_LIMIT = 16 << 20  # real summaries are a few KiB; the round's ``limits.summary_log`` overrides
# Characters that make ``str.splitlines``/``str.strip`` differ from splitting at "\n" and stripping " \t" (ASCII).
_UNPLAIN = ("\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x1f")
# A line with a field: a name (not blank, no "=") before its first colon; linear, no nested repetition.
_ANY_FIELD = re.compile(r"^[ \t]*[^:\n= \t][^:\n=]*:", re.MULTILINE)


class SummaryLog:
    """Fields of a summary log by their printed name; first occurrence wins.

    A rule asks for a few fields of each of thousands of summaries: on plain text (ASCII, lines ended by LF)
    :meth:`get` finds one field with a search; ``fields``/``lines`` parse every line when first asked for.
    """

    def __init__(
        self,
        path: Path,
        fields: dict[str, str] | None = None,
        lines: dict[str, int] | None = None,
        *,
        text: str = "",
    ) -> None:
        self.path = path
        self.read_error: str | None = None
        self.read_kind: ReadFailure | None = None
        self.bad_bytes_at: int | None = None
        self._text = text
        self._plain = text.isascii() and not any(odd in text for odd in _UNPLAIN)
        self._fields = fields
        self._lines = lines
        self._found: dict[str, tuple[str | None, int | None]] = {}
        if fields is None and not self._plain:  # text the searches would misread: parse it now, line by line
            self._parse()

    def _parse(self) -> None:
        if self._fields is None:
            self._fields, self._lines = _parse_lines(self._text)

    @property
    def fields(self) -> dict[str, str]:
        self._parse()
        return self._fields  # type: ignore[return-value]

    @property
    def lines(self) -> dict[str, int]:
        self._parse()
        return self._lines if self._lines is not None else {}

    def __repr__(self) -> str:
        return f"SummaryLog({str(self.path)!r}, read_error={self.read_error!r})"

    def get(self, name: str) -> str | None:
        return self._find(name)[0]

    def line_of(self, name: str) -> int | None:
        return self._find(name)[1]

    def _find(self, name: str) -> tuple[str | None, int | None]:
        """The field's value and line: searched for in plain text, else from the parsed lines."""
        known = self._found.get(name)
        if known is not None:
            return known
        pattern = _field_pattern(name)
        if self._fields is not None or pattern is None:
            return self.fields.get(name), self.lines.get(name)
        match = pattern.search(self._text)
        known = (None, None) if match is None else (match[1].strip(" \t"), self._text.count("\n", 0, match.start()) + 1)
        self._found[name] = known
        return known

    def number(self, name: str) -> float | None:
        """The field as a float, or None when absent or not a number."""
        value = self.get(name)
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    @property
    def result_is(self) -> str | None:
        return self.get("Result is")

    @property
    def scenario(self) -> str | None:
        return self.get("Scenario")

    def has_fields(self) -> bool:
        """Whether any line is a ``Name : value`` field."""
        if self._fields is not None:
            return bool(self._fields)
        return _ANY_FIELD.search(self._text) is not None


@lru_cache(maxsize=64)  # the few names rules ask for
def _field_pattern(name: str) -> re.Pattern[str] | None:
    """The first line whose text before its first colon is ``name`` between blanks, the value up to the line end;
    None for a name no field can have (blank, not stripped, holding a colon, "=" or line break).
    """
    if not name or name != name.strip() or not name.isascii() or any(c in name for c in ":=\n"):
        return None
    return re.compile(rf"^[ \t]*{re.escape(name)}[ \t]*:([^\n]*)", re.MULTILINE)


def _parse_lines(text: str) -> tuple[dict[str, str], dict[str, int]]:
    """Every ``Name : value`` line, first occurrence of a name wins (the reference for :meth:`SummaryLog.get`)."""
    fields: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        # Split at the first colon by hand: a regex here backtracks badly on long runs of spaces.
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name or "=" in name or line.lstrip().startswith("="):
            continue
        value = value.strip()
        if name not in fields:
            fields[name] = value
            lines[name] = number
    return fields, lines


def parse_summary_text(path: Path, text: str) -> SummaryLog:
    return SummaryLog(path, text=text)


def parse_summary_log(path: Path, limit: int = SUMMARY_LIMIT) -> SummaryLog:
    """Read (bounded) and parse a summary; a file without any ``Name : value`` line is ``bad_format``."""
    text_file = read_text(path, limit)
    if not text_file.ok:
        log = SummaryLog(path)
        log.read_error, log.read_kind = text_file.error, text_file.kind
        return log
    log = parse_summary_text(path, text_file.text)
    log.bad_bytes_at = text_file.bad_bytes_at
    if not log.has_fields():
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
