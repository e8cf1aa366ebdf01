"""Reference system-under-test for subcheck, driven by real MLPerf LoadGen.

It exists so the checker has honest, reproducible LoadGen logs to test against
(``fixtures/``) and so ``subcheck reproduce`` can re-run a claimed result.
"""

__all__ = ["SCENARIOS", "MODES"]

SCENARIOS: tuple[str, ...] = ("Offline", "SingleStream", "MultiStream", "Server")
MODES: tuple[str, ...] = ("PerformanceOnly", "AccuracyOnly")
