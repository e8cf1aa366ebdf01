r"""Make text from the checked tree safe to print in any report format.

File names come from ``os.fsdecode``: bytes that are not UTF-8 arrive as lone surrogates
(``'\udcff'``), which no UTF-8 stream can write, and names may hold control characters that fake
lines in a log, recolour a terminal or make XML ill-formed. Every reporter passes paths, messages,
values and table cells through :func:`printable`, so one name reads the same in every format.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, TextIO
from urllib.parse import quote

# Characters that are not control characters by category but still reorder or break lines when shown.
_INVISIBLE = frozenset("\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufffe\uffff")
# A cell a spreadsheet would run as a formula (OWASP "CSV injection"), unless it is a plain number.
_FORMULA_START = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"  # compiled (once) by the CSV cells that need it


def _escape(char: str) -> str:
    """One unsafe character as a backslash escape; a surrogate escape becomes the byte it stands for."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def _unsafe(char: str) -> bool:
    return char in _INVISIBLE or unicodedata.category(char) in ("Cc", "Cs")


def printable(value: Any, keep: str = "") -> str:
    r"""``value`` as text without control characters or lone surrogates (escaped as ``\xNN``/``\uNNNN``).

    ``keep`` names characters a format escapes its own way (GitHub commands encode CR and LF).
    The result is valid UTF-8 and XML 1.0 character data.
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():
        return text
    return "".join(_escape(c) if c not in keep and _unsafe(c) else c for c in text)


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: formula-like strings get a leading quote, numbers stay."""
    if not isinstance(value, str):
        return value
    text = printable(value)
    if text.startswith(_FORMULA_START) and not re.fullmatch(_NUMBER, text):
        return "'" + text
    return text


def uri_path(path: str) -> str:
    """A relative path as a URI reference: the file's original bytes, percent-encoded where needed."""
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that os.fsdecode cannot have made
        raw = path.encode("utf-8", "backslashreplace")
    return quote(raw, safe="/")


def write_safely(out: TextIO, text: str, errors: str = "backslashreplace") -> None:
    """Write ``text``; characters the stream's encoding lacks (an ASCII terminal) are escaped, not fatal."""
    encoding = getattr(out, "encoding", None)
    if encoding:
        try:
            text.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            try:
                text = text.encode(encoding, errors).decode(encoding)
            except LookupError:
                pass
    out.write(text)
