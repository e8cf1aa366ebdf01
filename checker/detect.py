"""Tell which round a tree was made for, from the tree itself, so that leaving out ``--version`` never
judges a v4.1 tree by the newest round's rules.

Inference: each sampled ``performance/run_1/mlperf_log_detail.txt`` votes with its LoadGen release
(``loadgen_version``, matched against each rule file's ``loadgen_releases``) and its
``effective_qsl_rng_seed`` (matched against each rule file's ``seeds``). Rounds that share a LoadGen
release (LoadGen 6.0 ships the v6.1 seeds) are told apart by the seed; a log whose seed names a round
its LoadGen release does not list still counts for the seed's round, since LoadGen releases lag
rounds but seeds are unique to one round; a log with an unknown seed (overridden) counts for every
round its release fits. The round with the most votes wins when fewer than ``MINORITY`` of the
sampled logs disagree (the minority is named in the evidence); a tie, a larger minority or no
readable log raises :class:`RoundDetectionError`.

Training: the logs carry no ruleset version, so a round is the one whose benchmark list holds every
benchmark the tree has (``submission_benchmark`` of one log per benchmark folder, else the folder name).

A results repository may pin its round in ``.subcheck.yaml`` (``version: v4.1``, optional ``suite:``);
a pin wins, and the evidence says when the logs point elsewhere.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from checker import detect_memo, ruleset
from checker.discovery import DIVISIONS, DiscoveryError, locate_root
from checker.parsers.mllog import read_header_value
from checker.parsers.text import read_head_lines, read_text

PIN_FILE = ".subcheck.yaml"
PIN_CAP = 64 * 1024  # a pin is two lines; anything larger is not one (our other inputs: INPUT_CAP)
PIN_KEYS = frozenset({"version", "suite"})
SUITES = ("inference", "training", "endpoints")
MAX_LOGS = 200  # logs read at most; spread over submitters so one large submitter cannot outvote the rest
MINORITY = 0.05  # a share of disagreeing logs below this is named in the evidence, not fatal
SEED_LINES = 96  # effective_qsl_rng_seed sits on lines 45-61 of real v4.1 logs
TRAINING_LINES = 64  # submission_benchmark is logged before init_stop, within the first lines
_RELEASE = re.compile(r"^\s*(\d+)\.(\d+)")
_RESULT = re.compile(r"^result_.*\.txt$")
_TRAINING_MARKER = ":::MLLOG "


class Detection(NamedTuple):  # a NamedTuple: a frozen dataclass costs a millisecond of every run's start
    """The round to judge a tree by, and a one-line reason a person can check."""

    version: str
    evidence: str


class RoundDetectionError(Exception):
    """The round cannot be told from the tree; the message names the candidates and says to pass --version."""


class Pin(NamedTuple):
    """A validated ``.subcheck.yaml``."""

    path: Path
    version: str
    suite: str | None


def detect_round(root: Path, suite: str) -> Detection:
    """The round of the tree at ``root`` (a results root, a division or a submitter folder) for ``suite``."""
    if suite not in SUITES:
        raise RoundDetectionError(f"unknown suite {suite!r}: expected one of {', '.join(SUITES)}")
    root = Path(root)
    pin = find_pin(root, suite)
    detector = {"inference": _detect_inference, "training": _detect_training}.get(suite, _detect_endpoints)
    if pin is None:
        return detector(root)
    try:
        found: Detection | None = detector(root)
    except RoundDetectionError:
        found = None
    where = f"pinned to {pin.version} by {pin.path}"
    if found is None:
        return Detection(pin.version, where)
    if found.version == pin.version:
        return Detection(pin.version, f"{where}, as the tree shows ({found.evidence})")
    return Detection(pin.version, f"{where}, although the tree points to {found.version} ({found.evidence})")


# --- the pin file -------------------------------------------------------------------------------------------


def find_pin(path: Path, suite: str) -> Pin | None:
    """The nearest ``.subcheck.yaml`` from ``path`` up to its results root (never above it), validated."""
    for folder in _pin_folders(Path(path).resolve(), suite):
        file = folder / PIN_FILE
        if file.exists() or file.is_symlink():  # a pin that is a folder, a FIFO or a broken link is an error
            return read_pin(file, suite)
    return None


def _pin_folders(path: Path, suite: str) -> list[Path]:
    """``path`` and the folders between it and the tree's root, where a repository keeps its pin."""
    if suite == "training":
        return [path, path.parent] if _is_training_submitter(path) else [path]
    if suite == "endpoints":
        return [path]
    try:
        root = locate_root(path)[0]
    except DiscoveryError:
        return [path]
    folders = [path]
    while folders[-1] != root and folders[-1].parent != folders[-1]:
        folders.append(folders[-1].parent)
    return folders


def read_pin(file: Path, suite: str) -> Pin:
    """Parse and validate a pin file; anything unexpected raises, since a pin silently ignored misjudges a tree."""
    text = read_text(file, PIN_CAP, allow_empty=True, strict=True)  # bounded; a FIFO or device is refused
    if not text.ok:
        raise RoundDetectionError(f"{file}: cannot read the round pin: {text.error}")
    import yaml  # here, not at the top: a tree without a pin (most) needs no parser

    try:
        data = yaml.safe_load(text.text)
    except yaml.YAMLError as exc:
        raise RoundDetectionError(f"{file}: cannot read the round pin: {exc}") from exc
    if not isinstance(data, dict):
        raise RoundDetectionError(f"{file}: a round pin must be a mapping such as 'version: v4.1'")
    unknown = sorted(str(k) for k in data if k not in PIN_KEYS)
    if unknown:
        raise RoundDetectionError(f"{file}: unknown key(s) {', '.join(unknown)}; allowed: suite, version")
    pinned_suite = data.get("suite")
    if pinned_suite is not None and pinned_suite not in SUITES:
        raise RoundDetectionError(f"{file}: suite must be one of {', '.join(SUITES)}, not {pinned_suite!r}")
    if pinned_suite is not None and pinned_suite != suite:
        raise RoundDetectionError(f"{file}: pins suite {pinned_suite}, but the tree is being checked as {suite}")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise RoundDetectionError(
            f'{file}: version must be a quoted round name such as "v4.1" (YAML reads 4.1 as a number), '
            f"found {version!r}"
        )
    version = version.strip() if version.strip().startswith("v") else f"v{version.strip()}"
    known = ruleset.available_versions(suite)
    if version not in known:
        raise RoundDetectionError(f"{file}: unknown {suite} round {version}; known: {', '.join(known)}")
    return Pin(file, version, pinned_suite)


# --- inference -----------------------------------------------------------------------------------------------


class _InferenceRound(NamedTuple):
    version: str
    releases: frozenset[str]
    qsl_seed: int | None


def _inference_rounds() -> list[_InferenceRound]:
    rounds = []
    for version in ruleset.available_versions("inference"):
        data = ruleset.load("inference", version)
        seed = (data.get("seeds") or {}).get("qsl_rng_seed")
        rounds.append(_InferenceRound(version, frozenset(data.get("loadgen_releases") or ()), seed))
    return rounds


def _detect_inference(path: Path) -> Detection:
    try:
        submitters = _inference_submitters(path)
    except DiscoveryError as exc:
        raise RoundDetectionError(f"cannot tell the round: {exc}; pass --version") from exc
    logs = list(itertools.islice(_round_robin([_detail_logs(s) for s in submitters]), MAX_LOGS))
    if not logs:
        from checker.endpoints.detect import client_rounds

        fits, read = client_rounds(submitters)
        if len(fits) == 1:
            return Detection(fits[0], f"seeds of {read} Endpoints-client runs (no LoadGen logs)")
    found = detect_memo.remembered(path, submitters, logs, lambda: _vote(path, submitters, logs))
    return Detection(*found)


def _vote(path: Path, submitters: list[Path], logs: list[Path]) -> tuple[str, str]:
    """The round the sampled logs vote for, and the evidence (raises when they do not agree)."""
    rounds = _inference_rounds()
    votes: Counter[frozenset[str]] = Counter()
    seen: Counter[str] = Counter()  # "LoadGen 4.1", "v4.1 seeds": what the evidence string reports
    unreadable = 0
    for log in logs:
        version, _ = read_header_value(log, "loadgen_version")
        release = _release(version)
        if release is None:
            unreadable += 1
            continue
        seed, _ = read_header_value(log, "effective_qsl_rng_seed", max_lines=SEED_LINES)
        votes[_candidates(release, seed, rounds)] += 1
        seen[f"LoadGen {release}"] += 1
        seed_round = next((r.version for r in rounds if isinstance(seed, int) and r.qsl_seed == seed), "no round's")
        seen[f"{seed_round} seeds"] += 1
    found = _decide_inference(path, votes, seen, unreadable, len(submitters), [r.version for r in rounds])
    return found.version, found.evidence


def _inference_submitters(path: Path) -> list[Path]:
    root, division, submitter = locate_root(path.resolve())
    divisions = [division] if division else [d for d in DIVISIONS if (root / d).is_dir()]
    if submitter:
        return [root / division / submitter] if division else []
    return [root / d / s for d in divisions for s in _subdirs(root / d)]


def _detail_logs(submitter: Path) -> Iterator[Path]:
    """Performance detail logs of one submitter; both layouts keep them at the same depth under results/."""
    results = os.path.join(submitter, "results")  # plain strings: a Path per folder was a third of detecting
    for system in _subdirs(results):
        at_system = os.path.join(results, system)
        for benchmark in _subdirs(at_system):
            at_benchmark = os.path.join(at_system, benchmark)
            for scenario in _subdirs(at_benchmark):
                log = os.path.join(at_benchmark, scenario, "performance", "run_1", "mlperf_log_detail.txt")
                if os.path.isfile(log):
                    yield Path(log)


def _round_robin(iterators: list[Iterator[Path]]) -> Iterator[Path]:
    """One item of each iterator in turn, so that a sample covers every submitter."""
    active = list(iterators)
    while active:
        still = []
        for it in active:
            item = next(it, None)
            if item is not None:
                yield item
                still.append(it)
        active = still


def _release(version: Any) -> str | None:
    """``"4.1 @ 3fb6c3e1f6"`` or ``"6.0.17 @ d6147c7eb7"`` -> ``"4.1"`` / ``"6.0"``."""
    match = _RELEASE.match(version) if isinstance(version, str) else None
    return f"{int(match.group(1))}.{int(match.group(2))}" if match else None


def _candidates(release: str, seed: Any, rounds: list[_InferenceRound]) -> frozenset[str]:
    """Rounds one log fits: release and seed together, else the seed alone, else the release alone."""
    by_release = {r.version for r in rounds if release in r.releases}
    by_seed = {r.version for r in rounds if isinstance(seed, int) and r.qsl_seed == seed}
    return frozenset(by_release & by_seed or by_seed or by_release)


def _decide_inference(
    path: Path, votes: Counter[frozenset[str]], seen: Counter[str], unreadable: int, submitters: int, known: list[str]
) -> Detection:
    total = sum(votes.values())
    if not total:
        raise RoundDetectionError(
            f"cannot tell the round of {path}: no performance/run_1/mlperf_log_detail.txt with a loadgen_version "
            f"was found ({unreadable} unreadable); pass --version (one of {', '.join(known)})"
        )
    scores = _scores(votes, known)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], _order(known, kv[0])))
    best, count = ranked[0] if ranked else ("", 0)
    tie = len(ranked) > 1 and ranked[1][1] == count
    minority = total - count
    if not count or tie or minority / total >= MINORITY:
        raise RoundDetectionError(
            f"cannot tell the round of {path}: {_listing(votes, known)} (of {total} sampled logs; "
            f"{_seen(seen)}); pass --version"
        )
    plural = "s" if submitters != 1 else ""
    evidence = f"detected {best} from {total} sampled LoadGen logs of {submitters} submitter{plural} ({_seen(seen)})"
    if minority:
        others = Counter({k: n for k, n in votes.items() if best not in k})
        evidence += f"; ignored a minority of {minority} ({_listing(others, known)})"
    return Detection(best, evidence)


def _scores(votes: Counter[frozenset[str]], known: list[str]) -> dict[str, int]:
    """Logs that fit each round (a log fitting two rounds counts for both)."""
    scores: Counter[str] = Counter()
    for rounds, n in votes.items():
        for version in rounds:
            scores[version] += n
    return {v: scores[v] for v in known if scores[v]}


def _listing(votes: Counter[frozenset[str]], known: list[str]) -> str:
    """``"v4.1 in 120 logs, v5.0 in 3 logs, v6.0 or v6.1 in 1 log"``: the candidates with their counts."""

    def name(rounds: frozenset[str]) -> str:
        return " or ".join(sorted(rounds, key=lambda v: _order(known, v))) if rounds else "no known round"

    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], name(kv[0])))
    return ", ".join(f"{name(rounds)} in {n} log{'s' if n != 1 else ''}" for rounds, n in ranked)


def _seen(seen: Counter[str]) -> str:
    """``"LoadGen 4.1 in 97, LoadGen 4.0 in 34, v4.1 seeds in 131"``."""
    return ", ".join(f"{what} in {n}" for what, n in seen.most_common())


def _order(known: list[str], version: str) -> int:
    return known.index(version) if version in known else len(known)


# --- training ------------------------------------------------------------------------------------------------


def _detect_training(path: Path) -> Detection:
    submitters = (
        [path]
        if _is_training_submitter(path)
        else [path / s for s in _subdirs(path) if _is_training_submitter(path / s)]
    )
    folders = list(itertools.islice(_round_robin([_benchmark_dirs(s) for s in submitters]), MAX_LOGS))
    benchmarks = {_benchmark_of(folder) for folder in folders}
    benchmarks.discard("")
    known = ruleset.available_versions("training")
    lists = {v: frozenset(ruleset.load("training", v)["benchmarks"]) for v in known}
    everywhere = frozenset().union(*lists.values())
    unknown = sorted(benchmarks - everywhere)
    present = benchmarks & everywhere
    if not present:
        extra = f" (unknown benchmarks: {', '.join(unknown)})" if unknown else ""
        raise RoundDetectionError(
            f"cannot tell the round of {path}: no results/<system>/<benchmark>/result_*.txt of a known benchmark"
            f"{extra}; pass --version (one of {', '.join(known)})"
        )
    fits = [v for v in known if present <= lists[v]]
    names = ", ".join(sorted(present))
    if len(fits) != 1:
        lacks = "; ".join(f"{v} lacks {', '.join(sorted(present - lists[v]))}" for v in known if v not in fits)
        why = f"all of them fit {', '.join(fits)}" if fits else f"no round has them all ({lacks})"
        raise RoundDetectionError(f"cannot tell the round of {path}: benchmarks {names}: {why}; pass --version")
    evidence = (
        f"detected {fits[0]} from the benchmarks of {len(folders)} result folders of {len(submitters)} "
        f"submitter{'s' if len(submitters) != 1 else ''} ({names}): only {fits[0]} lists them all"
    )
    if unknown:
        evidence += f"; no round knows {', '.join(unknown)}"
    return Detection(fits[0], evidence)


def _is_training_submitter(path: Path) -> bool:
    return (path / "results").is_dir() or (path / "systems").is_dir()


def _benchmark_dirs(submitter: Path) -> Iterator[Path]:
    results = submitter / "results"
    for system in _subdirs(results):
        for benchmark in _subdirs(results / system):
            yield results / system / benchmark


def _benchmark_of(folder: Path) -> str:
    """``submission_benchmark`` of the folder's first result log, else the folder's name; "" without logs."""
    logs = sorted(name for name in _files(folder) if _RESULT.match(name))
    if not logs:
        return ""
    value = _training_value(folder / logs[0], "submission_benchmark")
    return value if isinstance(value, str) and value else folder.name


def _training_value(log: Path, key: str) -> Any:
    """The value of the first ``key`` record within the first ``TRAINING_LINES`` lines (a bounded read)."""
    needle = f'"key": "{key}"'
    for line in read_head_lines(log, TRAINING_LINES):  # bounded, and a FIFO or device is never opened
        start = line.find(_TRAINING_MARKER)
        if start < 0 or needle not in line:
            continue
        try:
            record = json.loads(line[start + len(_TRAINING_MARKER) :])
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict) and record.get("key") == key:
            return record.get("value")
    return None


# --- small helpers -------------------------------------------------------------------------------------------


def _subdirs(path: Path | str) -> list[str]:
    return sorted(name for name, is_dir in _entries(path) if is_dir and not name.startswith("."))


def _files(path: Path) -> list[str]:
    return sorted(name for name, is_dir in _entries(path) if not is_dir)


def _entries(path: Path | str) -> Iterable[tuple[str, bool]]:
    try:
        with os.scandir(path) as entries:
            return [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
    except OSError:
        return []


def _detect_endpoints(path: Path) -> Detection:
    from checker.endpoints.detect import rounds_for

    fits, named = rounds_for(path)
    known = ", ".join(ruleset.available_versions("endpoints"))
    if len(fits) != 1:
        why = f"seed sets {', '.join(sorted(named))} fit {', '.join(fits) or 'no round'}" if named else "no seed_set"
        raise RoundDetectionError(f"cannot tell the Endpoints round of {path}: {why}; pass --version (one of {known})")
    return Detection(fits[0], f"point.yaml binds seed set {', '.join(sorted(named))}, published for {fits[0]}")
