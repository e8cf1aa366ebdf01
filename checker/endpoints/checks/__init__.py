"""Endpoints rule families; importing this package registers every Endpoints rule (suite ``endpoints``).

EP0: files and layout (§1, §8.1, §8.3). EP1: per-point metric consistency (§9.1, §12, §14). EP2: the Pareto
curve (§5, §7, §9). EP3: accuracy (§4.3, §15). EP4: consistency across points and the system (§4.5.2, §4.6, §8.5).
"""

from checker.endpoints.checks import accuracy, consistency, metrics, pareto, structure  # noqa: F401
