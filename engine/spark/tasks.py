"""The two kinds of task, run in Python workers on the executors.

A scan task (the map side) runs the unchanged engine — sources' blobs, decoding, the Scanner —
over its files, writes its single-event findings as one part, and yields the candidates of
stateful rules keyed for the shuffle, then its report. A window task (the reduce side) receives
the candidates of its groups sorted by event time and runs them through the stateful stage,
writing the windows' findings as one part; scan tasks' reports pass through it to the driver.

Each task catches what goes wrong with one file and reports it as a Skip: a bad file fails only
itself. A part that cannot be written fails the task (Spark retries it), never silently."""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import structlog

from engine import run
from engine.detection.compiled_rule import CompiledRule
from engine.detection.stateful.candidates import Candidate, CandidateReplay, CandidateSplit
from engine.errors import SinkError
from engine.log import configure_logging
from engine.pipeline import Scanner
from engine.sources import SourceOptions, aws
from engine.spark.config import JobConfig
from engine.spark.inputs import InputFile, needs_s3, open_inputs
from engine.spark.output import Destination, PartWriter, part_name
from engine.spark.report import SCAN, WINDOWS, TaskReport
from engine.spark.rules import compile_count, compiled_rules
from engine.types import Blob, Skip

log = structlog.get_logger("trailwarden.spark")

# The shuffle key: (event time, rank, event identity, route, file position, record index).
# Sorting on it gives each window task its candidates in the reorder buffer's order; the route
# alone picks the partition. The last two order an event delivered twice (same time, rank and
# identity) as the local scan reads it, so the copy it keeps — and cites — is the one kept here.
Key = tuple[float, int, str, str, int, int]
Shuffled = tuple[Key, Candidate | TaskReport]


def candidate_key(candidate: Candidate, position: int) -> Key:
    origin = candidate.origin
    return (candidate.time, candidate.rank, candidate.key, candidate.route, position, origin.index)


def report_key(index: int) -> Key:
    """Reports sort before every candidate and spread over the window tasks."""
    return (-math.inf, 0, "", f"\x00report\x1f{index}", 0, 0)


def route_hash(key: Key) -> int:
    """Stable across processes and machines (Python's own str hash is salted per process)."""
    return zlib.crc32(key[3].encode("utf-8"))


def scan_task(config: JobConfig, index: int, partition: Iterable[list[InputFile]]) -> Iterator[Shuffled]:
    started = time.monotonic()
    configure_logging(config.log_level, json=config.log_json)
    files = [file for group in partition for file in group]
    positions = {file.name: file.position for file in files}
    before = compile_count()
    rules = compiled_rules(config.rules)
    report = TaskReport(SCAN, index, compiled_rules=compile_count() > before)
    writer = PartWriter.open(
        Destination.parse(config.output),
        part_name(SCAN, index, config.format_name),
        config.format_name,
        lambda: s3_client(config.profile, config.region),
    )
    pending: list[Candidate] = []
    scanner = run.scanner(
        rules, config.scan, writer.write, stage=lambda emit: CandidateSplit.build(rules, pending.append)
    )
    try:
        s3 = s3_client(config.profile, config.region) if needs_s3(files) else None
        for item in open_inputs(files, s3):
            if isinstance(item, Skip):
                scanner.note_skip(item)
                continue
            _scan_one(scanner, item)
            report.candidates += len(pending)
            for candidate in pending:
                yield candidate_key(candidate, positions.get(candidate.origin.source, 0)), candidate
            pending.clear()
        report.scan = scanner.finish()
        report.part = writer.commit()
    except BaseException:
        writer.abandon()
        raise
    report.written, report.refused = writer.written, writer.refused
    report.seconds = time.monotonic() - started
    yield report_key(index), report


def _scan_one(scanner: Scanner, blob: Blob) -> None:
    """Decoding turns bad content into Skips itself; anything else that escapes is this file's
    failure alone: reported with the file's name, and the task goes on with the next file —
    unless the part itself cannot be written, which no other file would fix."""
    try:
        scanner.scan_blob(blob)
    except SinkError:
        raise  # the part cannot be written: the task fails and Spark runs it again
    except Exception as exc:
        log.error("file failed", file=blob.name, error=f"{type(exc).__name__}: {exc}")
        scanner.note_skip(Skip(blob.name, f"failed while scanning: {type(exc).__name__}: {exc}"))


def window_task(config: JobConfig, index: int, items: Iterable[Shuffled]) -> Iterator[TaskReport]:
    started = time.monotonic()
    configure_logging(config.log_level, json=config.log_json)
    report = TaskReport(WINDOWS, index)
    replay: CandidateReplay | None = None
    writer: PartWriter | None = None
    for _, value in items:
        if isinstance(value, TaskReport):
            yield value
            continue
        if replay is None or writer is None:
            before = compile_count()
            rules = compiled_rules(config.rules)
            report.compiled_rules = compile_count() > before
            writer = PartWriter.open(
                Destination.parse(config.output),
                part_name(WINDOWS, index, config.format_name),
                config.format_name,
                lambda: s3_client(config.profile, config.region),
            )
            replay = CandidateReplay(
                rules,
                _counting(writer, report, rules),
                max_groups=config.max_groups,
                evidence=config.evidence,
            )
        replay.feed(value)
        report.candidates += 1
    if replay is not None and writer is not None:
        try:
            report.scan.windows.merge(replay.finish())
            report.part = writer.commit()
        except BaseException:
            writer.abandon()
            raise
        report.written, report.refused = writer.written, writer.refused
    report.seconds = time.monotonic() - started
    yield report


def _counting(
    writer: PartWriter, report: TaskReport, rules: Sequence[CompiledRule]
) -> Callable[[dict[str, Any]], None]:
    dedup = frozenset(rule.id for rule in rules if rule.rule.dedup is not None)

    def emit(finding: dict[str, Any]) -> None:
        report.scan.count_made(finding, dedup)
        writer.write(finding)

    return emit


@lru_cache(maxsize=4)
def s3_client(profile: str | None, region: str | None) -> Any:
    """One client per worker process (boto3 clients are thread-safe; making one costs ~50 ms)."""
    return aws.client(aws.session(SourceOptions(profile=profile, region=region)), "s3")
