"""Training logs are read by the one ``:::MLLOG`` reader, :mod:`checker.parsers.mllog`; these are its old names."""

from __future__ import annotations

from checker.parsers.mllog import REQUIRED_FIELDS, TOKEN, MllogFile, ParseError, Record, parse_file, parse_text

__all__ = ["REQUIRED_FIELDS", "TOKEN", "MllogFile", "ParseError", "Record", "parse_file", "parse_text"]
