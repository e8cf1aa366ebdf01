"""subcheck: an independent checker and auditor for MLPerf submissions."""

__version__ = "0.1.0"
