"""The scan pipeline in one place: blobs → decoding → evaluation → findings → emit.

Sources, sinks and the command line stay outside; a `Scanner` only needs blobs in and a callable
for findings out. It is built in one place, `engine.run`, which gives it its stages: the stateful
stage (local windows, the map side of a Spark scan, or a parallel worker's capture), the event
scope, the duplicate check and the delivery's flush. What it counts goes into one `ScanReport`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

import structlog

from engine.decoding import LeanPlan, decode_blob
from engine.detection.compiled_rule import CompiledRule
from engine.detection.evaluator import Evaluator
from engine.findings.builder import build_finding
from engine.report import ScanReport, WindowTally
from engine.statefile.seen_events import SeenEvents
from engine.types import Blob, Emit, FindingDict, Record, Skip

log = structlog.get_logger("trailwarden.scan")


class StateStage(Protocol):
    """What stands between evaluation and findings for stateful rules: the local StatefulStage,
    the map side of a Spark scan (CandidateSplit), or a parallel worker's capture."""

    tracks_time: bool  # False: only events with matches need to be handed to `take`

    def take(self, hits: list[CompiledRule], record: Record) -> list[CompiledRule]: ...

    def save(self) -> None: ...

    def finish(self) -> list[str]: ...

    def abandon(self) -> list[str]: ...

    def tally(self) -> WindowTally: ...


# Builds the stage once the scanner exists: the stage emits its window findings through the
# scanner (`Scanner.emit_finding`), which counts them. None: no rule is stateful.
StageFactory = Callable[[Emit], StateStage | None]


class Scanner:
    """Evaluate records against compiled rules and hand each finding to `emit`.

    `flush`, when given, is called before a blob is acknowledged: it must return True only when
    every finding emitted so far has been delivered or spooled (at-least-once delivery).

    Dedup, threshold and correlation rules go through the stage `stage` builds; `finish()` closes
    its open windows, so call it before closing the delivery. With no stateful rule loaded there
    is no stage and it costs nothing.

    `lean` (the default) parses in full only the records the index gives a rule (see `_lean_plan`);
    False parses every record, for comparing the two."""

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        emit: Emit,
        *,
        evidence: bool = True,
        flush: Callable[[], bool] | None = None,
        stage: StageFactory | None = None,
        scope: Callable[[dict[str, Any]], bool] | None = None,
        seen: SeenEvents | None = None,
        atomic: Callable[[], AbstractContextManager[Any]] = nullcontext,
        commit_every: float = 0.0,
        lean: bool = True,
    ) -> None:
        self.report = ScanReport(rules_run=sum(1 for rule in rules if rule.rule.generate))
        self.evaluator = Evaluator(rules, self.report)
        self.lean = self._lean_plan() if lean else None
        self.emit = emit
        self.evidence = evidence
        self.flush = flush
        self.scope = scope
        self.seen = seen
        self.atomic = atomic  # the state file's transaction, when there is one
        self.commit_every = commit_every
        self._committed = time.monotonic()
        self._acks: list[Callable[[], None]] = []  # blobs read since the last commit
        self._ids: list[str] = []  # this blob's event ids, stored in `seen` once its findings are out
        self._dedup = frozenset(rule.id for rule in rules if rule.rule.dedup is not None)
        self.state: StateStage | None = stage(self.emit_finding) if stage is not None else None

    def start_report(self) -> ScanReport:
        """Count into a fresh report from now on (a parallel worker's, one per file); return the old."""
        report, self.report = self.report, ScanReport(rules_run=self.report.rules_run)
        self.evaluator.report = self.report
        return report

    def scan_blobs(
        self, items: Iterable[Blob | Skip], progress: Callable[[Blob], None] | None = None
    ) -> None:
        for item in items:
            if isinstance(item, Skip):
                self.note_skip(item)
                continue
            self.scan_blob(item)
            if progress is not None:
                progress(item)

    def scan_blob(self, blob: Blob) -> None:
        self.report.files += 1
        if blob.size:
            self.report.bytes += blob.size
        self.scan_items(decode_blob(blob, lean=self.lean))
        if blob.ack is None and self.seen is None:
            return
        if blob.ack is not None:
            self._acks.append(blob.ack)
        if time.monotonic() - self._committed >= self.commit_every:
            self.commit()

    def commit(self) -> None:
        """Once every finding so far is out (delivered or spooled): the event ids seen since the
        last commit and the windows they fed, in one transaction, so a crash leaves both or
        neither — never an event passed over as seen whose window lost it; then the sources'
        checkpoints of the blobs read since. Done every `commit_every` seconds (0: every blob):
        saving windows costs what they hold, so a long replay saves now and then, and a restart
        reads again what was read since the last commit."""
        self._committed = time.monotonic()
        if self.flush is not None and not self.flush():
            return
        with self.atomic():
            if self.seen is not None:
                self.seen.commit(self._ids)
                self._ids = []
            if self.state is not None:
                self.state.save()
        acks, self._acks = self._acks, []
        for ack in acks:
            ack()

    def _lean_plan(self) -> LeanPlan:
        """Parse in full only the records the index gives a rule: the others are counted, scoped,
        checked for duplicates and timed on the few fields the plan reads, which is all that
        happens to them anyway."""
        candidates_for = self.evaluator.index.candidates_for
        return LeanPlan(self.evaluator.index.key_paths, lambda head: bool(candidates_for(head)))

    def scan_items(self, items: Iterable[Record | Skip]) -> None:
        scope = self.scope
        for item in items:
            if isinstance(item, Skip):
                self.note_skip(item)
            elif scope is not None and not scope(item.event):
                self.report.out_of_scope += 1
            else:
                self.scan_record(item)

    def scan_record(self, record: Record) -> None:
        self.report.events += 1
        event = record.event
        if self.seen is not None and not self._first_delivery(event):
            return
        hits = [] if record.partial else self.evaluator.evaluate(event)  # partial: the index said none
        state = self.state
        if state is not None and (hits or state.tracks_time):
            hits = state.take(hits, record)
        for rule in hits:
            if not rule.rule.generate:
                continue
            finding = build_finding(rule, event, record.origin, evidence=self.evidence)
            self.report.count_finding(rule.id, rule.severity)
            self.emit(finding)

    def _first_delivery(self, event: dict[str, Any]) -> bool:
        """False for an event CloudTrail delivered again (same eventID within the seen window)."""
        event_id = event.get("eventID")
        if not isinstance(event_id, str) or self.seen is None:
            return True
        if not self.seen.first_time(event_id, event.get("eventTime")):
            self.report.duplicates += 1
            return False
        self._ids.append(event_id)
        return True

    def note_skip(self, skip: Skip) -> None:
        self.report.note_skip(skip)
        if skip.error:
            log.warning("input skipped", where=skip.where, reason=skip.reason)
        else:
            log.debug("input passed over", where=skip.where, reason=skip.reason)

    def emit_finding(self, finding: FindingDict) -> None:
        """Count and emit a finding made outside `scan_record`: a window's."""
        self.report.count_made(finding, self._dedup)
        self.emit(finding)

    def finish(self, *, interrupted: bool = False) -> ScanReport:
        """End of input: commit what is read, close (or save) open windows, emitting their
        findings, then stop the clock. An interrupted scan commits nothing more: its state file
        stays as the last commit left it (the windows, ids and checkpoints that go together), and
        a restart reads again from there, as after a crash."""
        if not interrupted and (self._acks or self._ids):
            self.commit()
        if self.state is not None:
            state, self.state = self.state, None
            self.report.notes.extend(state.abandon() if interrupted else state.finish())
            self.report.windows.merge(state.tally())
        return self.report.finish()
