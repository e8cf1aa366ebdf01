"""Work for the process pool: a job is one submitter (or a share of a big one); :func:`run_jobs` runs them.

Work is split by submitter: each worker parses its submitter's files once and runs every scope on them, so
nothing is parsed twice and workers share no state. A submitter with more than its share of the results is
split further, so both cores stay busy on a round where one submitter is half of the work.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, NamedTuple

from checker.findings import Finding
from checker.options import RunOptions


class Focus(NamedTuple):  # a NamedTuple: a frozen dataclass costs a millisecond of every run's start
    """Part of a submitter to check: what a change touched (``subcheck ci``), or one share of a submitter too big
    for one worker. None fields mean the whole submitter; ``submitter`` runs the submitter's own rules.
    """

    results: frozenset[str] | None = None
    systems: tuple[str, ...] | None = None
    submitter: bool = True


@dataclass(frozen=True)
class Job:
    """One submitter to check, with everything a worker process needs (it is pickled)."""

    suite: str
    version: str
    rules_path: str | None
    unit: Any
    selection: Any  # checker.engine.Selection
    options: RunOptions
    focus: Focus = Focus()
    cache: bool = False  # reuse the stored output of an unchanged submitter (checker.cache)
    tree: str | None = None  # the submitter folder's fingerprint when the run already took it (checker.recheck)


WorkerOutput = tuple[list[Finding], list[dict[str, Any]]]


def plan_jobs(suite: Any, tree: Any, jobs: int, focus: dict[str, Focus], template: Job) -> list[Job]:
    """One job per submitter, biggest first; with several workers, a submitter holding more than its share of
    the results (one submitter is half of the published v5.1 round) is split into shares of its results, the
    first of which also runs its submitter and system rules.
    """
    total = sum(suite.size(unit) for unit in tree.submitters)
    share = max(1, -(-total // (jobs * 4)))
    sized: list[tuple[int, Job]] = []
    for unit in tree.submitters:
        whole = replace(template, unit=unit, focus=focus.get(unit.rel, Focus()))
        size = suite.size(unit)
        if jobs == 1 or unit.rel in focus or not getattr(suite, "splits", False) or size <= 2 * share:
            sized.append((size, whole))
            continue
        names = [result.rel for result in unit.results]
        for start in range(0, len(names), share):
            part = frozenset(names[start : start + share])
            first = start == 0
            sized.append((len(part), replace(whole, focus=Focus(part, None if first else (), submitter=first))))
    return [job for _, job in sorted(sized, key=lambda item: -item[0])]


def run_jobs(
    func: Callable[[Job], WorkerOutput],
    work: list[Job],
    jobs: int,
    progress: Callable[[int, int], None] | None,
    read_ahead: Sequence[str] | Callable[[], Sequence[str]] = (),
    read_whole: Collection[str] | None = None,
) -> Iterator[WorkerOutput]:
    """The one process pool: in order, with progress after each submitter. ``read_ahead``: the folders the jobs
    read, in their order (or a function giving them), hinted to the kernel when they are not cached
    (:mod:`checker.prefetch`); ``read_whole``: the names of the files read whole (None: all).
    """
    from checker.prefetch import ReadAhead

    jobs = max(1, min(jobs, len(work) or 1))
    fewer_collections()
    if jobs == 1:
        outputs: Iterable[WorkerOutput] = map(func, work)
        pool = None
    else:
        from concurrent.futures import ProcessPoolExecutor  # here: a run of one job (``ci``) starts no pool

        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_start)
        outputs = pool.map(partial(_collected, func), work)  # forks every worker now, before any thread starts
    ahead = ReadAhead(read_ahead, read_whole)
    try:
        for done, output in enumerate(outputs, start=1):
            if progress:
                progress(done, len(work))
            yield output
    finally:
        ahead.stop()
        if pool is not None:
            pool.shutdown()


def fewer_collections() -> None:
    """A check allocates millions of short-lived records that hold no reference cycles; Python's default cyclic
    collector threshold (700 allocations) would walk the heap thousands of times for nothing. Collections stay
    on, only less often; the workers inherit the setting.
    """
    gc.set_threshold(max(gc.get_threshold()[0], 50_000), 50, 100)


def _worker_start() -> None:
    """A worker lives for one run: the heap it inherits is frozen and the cyclic collector runs once per job
    (:func:`_collected`) instead of every 50,000 allocations (5 % of a whole round's time).
    """
    gc.freeze()
    gc.disable()


def _collected(func: Callable[[Job], WorkerOutput], job: Job) -> WorkerOutput:
    """Run one job in a worker, then free whatever cycles it left (rare: a crash's traceback)."""
    try:
        return func(job)
    finally:
        gc.collect()


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
