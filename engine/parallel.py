"""`scan --workers N`: local files spread over processes, with the same findings, in the same
order, as one process.

Workers only evaluate. Each returns, per file, an ordered list of what it saw: findings of rules
that make one per event, and the records that matched stateful rules (dedup, thresholds,
correlation members). The parent takes results in file order (jobs are handed out a few ahead of
the one it merges), emits the findings and feeds the stateful matches to its own stateful stage —
so windows see exactly the sequence a one-process scan would, and the output is identical, not
merely the same set. Only plain local files go to workers (they reopen them by path); stdin, S3,
SQS and API blobs are scanned in the parent, in their place in the order.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from engine.detection.compiled_rule import CompiledRule
from engine.detection.stateful.operator import Operator
from engine.detection.stateful.stage import StatefulStage, prepare
from engine.detection.stateful.window import event_id_of
from engine.errors import TrailwardenError
from engine.event_time import event_seconds
from engine.pipeline import Scanner, StageFactory
from engine.report import ScanReport, WindowTally
from engine.types import Blob, Emit, FindingDict, Origin, Record, Skip

# What a worker saw in one file, in order: ("finding", finding); ("hits", event as JSON, origin as
# a tuple, eventTime, eventID, the matches prepared for the windows); or ("tick", eventTime) — a
# record newer than any before it in the file, which may move the windows' watermark in the parent
# exactly where it would have moved in one process. The parent's share of a parallel scan is
# serial, so workers do all they can: they compute each match's group keys, counted values and
# event identity (stage.prepare), and events travel as orjson text, which is written several times
# faster than a dict is pickled and which the parent keeps as it is until a finding shows it.
Action = tuple[Any, ...]

# How a worker builds its scanner: engine.run's factory, given the emit callback and the stage.
ScannerFactory = Callable[[Emit, StageFactory], Scanner]


@dataclass(slots=True)
class JobResult:
    """One job's outcome in a worker: each file's actions, in order, and one report for the job
    (counts, skips, rule errors; findings counted where they were made), merged in file order."""

    actions: list[list[Action]] = field(default_factory=list)
    report: ScanReport = field(default_factory=ScanReport)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a worker needs of the parent's stateful stage: which rules feed which operators (their
    group and value expressions are evaluated in the worker), and which rules' findings come from
    windows rather than per event."""

    routes: Mapping[str, Sequence[tuple[Operator, int]]]
    owned: frozenset[str]
    tracks_time: bool

    @classmethod
    def of(cls, stage: StatefulStage | None) -> Plan:
        if stage is None:
            return cls({}, frozenset(), tracks_time=False)
        return cls(stage.routes, frozenset(stage.owned), stage.tracks_time)


class _Capture:
    """Stands where the stateful stage stands in a worker's Scanner: stateful matches (and the
    times that may move the watermark) are recorded for the parent; the rest go on to make
    findings in the worker.

    A record older than the newest one before it in the same file cannot move the parent's
    watermark either (the parent has seen that newer one), so only the file's running maxima
    need to travel, not every event's time."""

    def __init__(self, plan: Plan, out: Callable[[Action], None]) -> None:
        self.routes = plan.routes  # the parent's operators, read here only for their specs
        self.owned = plan.owned
        self.out = out
        self.newest = ""
        self.tracks_time = plan.tracks_time  # ticks matter only when the parent's stage has a watermark

    def take(self, hits: list[CompiledRule], record: Record) -> list[CompiledRule]:
        event = record.event
        raw = event.get("eventTime")
        newer = False
        if isinstance(raw, str) and raw > self.newest:
            self.newest, newer = raw, True
        routes = self.routes
        routed = [rule.id for rule in hits if rule.id in routes] if hits else None
        if routed:
            time = event_seconds(raw)
            matches = [prepare(rule_id, routes[rule_id], event, time) for rule_id in routed]
            origin = record.origin
            where = (origin.source, origin.index, origin.line)
            self.out(("hits", orjson.dumps(event), where, raw, event_id_of(event), matches))
            return [rule for rule in hits if rule.id not in self.owned]
        if newer:
            self.out(("tick", raw))
        return hits

    def save(self) -> None:
        """Windows live in the parent."""

    def finish(self) -> list[str]:
        return []

    def abandon(self) -> list[str]:
        return self.finish()

    def tally(self) -> WindowTally:
        return WindowTally()


class _Worker:
    """The scanner a worker process runs, built once per process by the parent's factory (so it
    is built the way every scanner is, in engine.run), with a capture for its stateful stage."""

    def __init__(self, make_scanner: ScannerFactory, plan: Plan) -> None:
        self.actions: list[Action] = []
        self.capture = _Capture(plan, self.actions.append)
        self.scanner = make_scanner(self._finding, lambda emit: self.capture)

    def _finding(self, finding: FindingDict) -> None:
        self.actions.append(("finding", finding))

    def scan(self, job: list[tuple[str, int | None]]) -> JobResult:
        result = JobResult()
        for path, size in job:
            self.actions = []
            self.capture.out = self.actions.append
            self.capture.newest = ""
            self.scanner.scan_blob(Blob(path, partial(_open, path), size, path=path))
            result.actions.append(self.actions)
        result.report = self.scanner.start_report()
        return result


# A job is a few consecutive files: about 10,000 events of S3 delivery files, little enough that
# both workers stay busy to the end, enough that the parent's per-job costs disappear. Jobs are
# handed out this many per worker ahead of the one being merged, so no worker waits for the parent.
JOB_BYTES = 2 * 1024 * 1024
JOB_FILES = 32
JOBS_AHEAD = 4

_NOWHERE = Origin("", 0)  # a tick carries only a time; it never becomes evidence


class WorkerDied(TrailwardenError):
    """A worker process ended with files of its job unscanned: the scan cannot go on in order."""

    exit_code = 3


# The rules reach workers by fork (compiled code does not pickle); this is set only in the parent
# just before the pool forks, and read only by the forked children.
_FORK_ARGS: tuple[ScannerFactory, Plan] | None = None
_WORKER: _Worker | None = None


def _open(path: str) -> BinaryIO:
    return Path(path).open("rb")


def _init_worker() -> None:
    global _WORKER
    # The parent owns interruption: it is told of Ctrl-C/SIGTERM and stops handing out jobs (a
    # SIGTERM sent to a worker must simply end it, not run the parent's handler it inherited).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    assert _FORK_ARGS is not None
    _WORKER = _Worker(*_FORK_ARGS)


def _scan_files(job: list[tuple[str, int | None]]) -> JobResult:
    assert _WORKER is not None
    return _WORKER.scan(job)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def scan_parallel(
    scanner: Scanner,
    make_scanner: ScannerFactory,
    items: Iterable[Blob | Skip],
    workers: int,
    progress: Callable[[Blob], None] | None = None,
) -> None:
    """Scan `items` with `workers` processes, merging into `scanner` (the parent's) in order;
    each worker builds its own scanner once with `make_scanner(emit, stage)`.

    A ProcessPoolExecutor rather than multiprocessing.Pool: the Pool's worker-handler thread
    also waits on the result pipe, so it spins for as long as a result is being read — a quarter
    of a second of the parent's CPU per million events, taken from the workers on a busy machine —
    and a Pool whose worker is killed (by the kernel's OOM killer, say) waits for its result
    forever, where the executor says so."""
    global _FORK_ARGS
    stage = scanner.state
    if stage is not None and not isinstance(stage, StatefulStage):
        raise TypeError("a parallel scan windows in the parent: its scanner needs a local StatefulStage")
    _FORK_ARGS = (make_scanner, Plan.of(stage))
    pending: deque[Blob | Skip] = deque()
    ahead: deque[Future[JobResult] | None] = deque()  # None: an item the parent scans itself
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker)
    try:
        for job in _jobs(items, pending):
            ahead.append(None if job is None else pool.submit(_scan_files, job))
            # an item the parent scans itself (stdin, an S3 or SQS blob, which is acknowledged only
            # once scanned) goes as soon as its turn comes, not held back behind later jobs
            while ahead and (ahead[0] is None or len(ahead) > workers * JOBS_AHEAD):
                _take(scanner, stage, pending, ahead.popleft(), progress)
        while ahead:
            _take(scanner, stage, pending, ahead.popleft(), progress)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # a job under way ends in well under a second
        raise
    else:
        pool.shutdown()
    finally:
        _FORK_ARGS = None


def _take(
    scanner: Scanner,
    stage: StatefulStage | None,
    pending: deque[Blob | Skip],
    job: Future[JobResult] | None,
    progress: Callable[[Blob], None] | None,
) -> None:
    """Merge the next job's results, in input order; or scan the next item here, in its place."""
    if job is None:  # a skip, or a blob that is not a plain local file
        scanner.scan_blobs((pending.popleft(),), progress)
        return
    try:
        result = job.result()
    except BrokenProcessPool as exc:
        where = pending[0].where if isinstance(pending[0], Skip) else pending[0].name
        raise WorkerDied(
            "a worker process ended without finishing its files (killed by the system, or out of memory?);"
            f" the scan stopped at {where}",
            hint="what was found before it is delivered; scan again, with fewer --workers if memory is short",
        ) from exc
    scanner.report.merge(result.report)
    for actions in result.actions:
        blob = pending.popleft()
        assert isinstance(blob, Blob)
        _merge(scanner, stage, actions)
        if progress is not None:
            progress(blob)


def _jobs(
    items: Iterable[Blob | Skip], pending: deque[Blob | Skip]
) -> Iterator[list[tuple[str, int | None]] | None]:
    """Jobs for the pool, in input order. Local files go to workers by path, consecutive ones
    together up to JOB_BYTES (a delivery file is small, and each job costs the parent a message and
    a wake-up); anything else — a skip, a blob that is not a plain file — keeps its place for the
    parent to handle."""
    job: list[tuple[str, int | None]] = []
    size = 0
    for item in items:
        pending.append(item)
        if isinstance(item, Blob) and item.path is not None and item.ack is None:
            if item.size is None and job:  # a file of unknown size (a pipe, say) goes alone
                yield job
                job, size = [], 0
            job.append((item.path, item.size))
            size += JOB_BYTES if item.size is None else item.size
            if size >= JOB_BYTES or len(job) >= JOB_FILES:
                yield job
                job, size = [], 0
            continue
        if job:
            yield job
            job, size = [], 0
        yield None
    if job:
        yield job


def _merge(scanner: Scanner, state: StatefulStage | None, actions: list[Action]) -> None:
    """One file's actions in order: its findings go out as they are (the worker counted them), its
    stateful matches and times go to the parent's windows."""
    emit = scanner.emit
    for action in actions:
        match action:
            case ("finding", finding):
                emit(finding)
            case ("tick", when) if state is not None:
                state.take([], Record({"eventTime": when}, _NOWHERE))
            case ("hits", event, origin, raw, event_id, matches) if state is not None:
                state.take_prepared(matches, event, Origin(*origin), raw, event_id)
