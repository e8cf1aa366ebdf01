"""Which Endpoints round a submission is: the round whose published seed sets its points bind (§4.6).

A seed set is published for one cohort and rotated after it, so the ``seed_set`` a point.yaml names and the seeds
it ran with tell the rounds apart the way LoadGen's seeds tell inference rounds apart.
"""

from __future__ import annotations

from pathlib import Path

from checker import ruleset
from checker.endpoints.discovery import find_submissions
from checker.parsers.endpoints import read_yaml


def seed_sets_in(path: Path, most: int = 50) -> set[str]:
    """The seed-set ids the first ``most`` point.yaml files below ``path`` bind."""
    named: set[str] = set()
    seen = 0
    for sub in find_submissions(path):
        for point in sorted((sub / "results").glob("*/*/r*/point.yaml")):
            seen += 1
            data = read_yaml(point, 1 << 20).data or {}
            if isinstance(data.get("seed_set"), str):
                named.add(data["seed_set"])
            if seen >= most:
                return named
    return named


def rounds_for(path: Path) -> tuple[list[str], set[str]]:
    """The Endpoints rounds whose seed sets include every set the tree binds, and those sets."""
    named = seed_sets_in(path)
    known = ruleset.available_versions("endpoints")
    fits = [v for v in known if named and named <= set(ruleset.load("endpoints", v)["seed_sets"])]
    return fits, named


def client_rounds(submitters: list[Path], most: int = 50) -> tuple[list[str], int]:
    """Inference rounds that accept Endpoints-client results and whose sample-index and schedule seeds every
    client run below ``submitters`` carries (in its summary's run_config), and how many runs were read.
    """
    from checker.parsers.endpoints import read_json

    pairs: set[tuple[object, object]] = set()
    read = 0
    for sub in submitters:
        for path in sorted((sub / "results").glob("*/*/*/performance/result_summary.json"))[:most]:
            config = (read_json(path).data or {}).get("run_config")
            if isinstance(config, dict):
                pairs.add((config.get("dataloader_random_seed"), config.get("scheduler_random_seed")))
                read += 1
    fits = []
    for version in ruleset.available_versions("inference"):
        rules = ruleset.load("inference", version)
        seeds = rules.get("seeds") or {}
        if (
            "endpoints" in rules
            and pairs
            and pairs == {(seeds.get("sample_index_rng_seed"), seeds.get("schedule_rng_seed"))}
        ):
            fits.append(version)
    return fits, read
