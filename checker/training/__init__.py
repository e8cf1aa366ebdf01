"""MLPerf Training suite: mllog parsing, log/package/system/RCP/sanity rules and time-to-train scores."""

from checker.training.discovery import detect_training_tree

__all__ = ["detect_training_tree"]
