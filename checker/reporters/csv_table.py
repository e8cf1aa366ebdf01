"""The results table as CSV, with the official checker's columns for the round (built with pandas)."""

from __future__ import annotations

from typing import Any, TextIO

from checker.reporters import reporter


def results_frame(report: Any) -> Any:
    """Rows in the report's column order (the official table's columns, then Valid and Findings) as a DataFrame."""
    import pandas as pd  # imported here: pandas costs a quarter second at start-up, and only tables need it

    return pd.DataFrame(report.rows, columns=report.columns or None)


@reporter("csv")
def write_csv(report: Any, out: TextIO) -> None:
    results_frame(report).to_csv(out, index=False, lineterminator="\n")
