"""The results table as CSV, with the official checker's columns for the round (built with pandas).

Cells are made printable and neutralised for spreadsheets: a system name such as
``=HYPERLINK(...)`` is written as ``'=HYPERLINK(...)`` so opening the table runs nothing.
"""

from __future__ import annotations

from typing import Any, TextIO

from checker.reporters import reporter
from checker.reporters.safe import spreadsheet_cell, write_safely


def results_frame(report: Any) -> Any:
    """Rows in the report's column order (the official table's columns, then Valid and Findings) as a DataFrame."""
    import pandas as pd  # imported here: pandas costs a quarter second at start-up, and only tables need it

    rows = [{k: spreadsheet_cell(v) for k, v in row.items()} for row in report.rows]
    return pd.DataFrame(rows, columns=report.columns or None)


@reporter("csv")
def write_csv(report: Any, out: TextIO) -> None:
    write_safely(out, results_frame(report).to_csv(index=False, lineterminator="\n"))
