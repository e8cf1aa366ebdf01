"""Training logs are read by the one ``:::MLLOG`` reader, :mod:`checker.parsers.mllog`; these are its old names."""

from __future__ import annotations

from checker.parsers.mllog import TOKEN, MllogFile, parse_file, parse_text
from checker.parsers.mllog_records import REQUIRED_FIELDS, ParseError, Record

__all__ = ["REQUIRED_FIELDS", "TOKEN", "MllogFile", "ParseError", "Record", "parse_file", "parse_text"]
