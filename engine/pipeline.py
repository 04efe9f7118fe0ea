"""The scan pipeline in one place: blobs → decoding → evaluation → findings → emit.

Sources, sinks and the command line stay outside; a `Scanner` only needs blobs in and a callable
for findings out, which is what the CLI, the Lambda handler and Spark tasks all give it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from engine.decoding import LeanPlan, decode_blob
from engine.decoding.records import Record, Skip
from engine.detection.compiled_rule import CompiledRule
from engine.detection.evaluator import Evaluator
from engine.detection.stateful.candidates import Candidate, CandidateSplit
from engine.detection.stateful.settings import WindowSettings
from engine.detection.stateful.stage import StatefulStage
from engine.findings.builder import build_finding
from engine.gc_tuning import scan_collector
from engine.sources.blob import Blob
from engine.statefile.seen_events import SeenEvents

log = structlog.get_logger("trailwarden.scan")

Finding = dict[str, Any]
Emit = Callable[[Finding], None]


@dataclass(slots=True)
class ScanStats:
    """What the summary reports: counts, skips with reasons, rule errors, findings by severity and rule."""

    files: int = 0
    events: int = 0
    bytes: int = 0
    skipped: list[Skip] = field(default_factory=list)
    deliberate_skips: Counter[str] = field(default_factory=Counter)
    findings_by_severity: Counter[str] = field(default_factory=Counter)
    findings_by_rule: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    out_of_scope: int = 0  # events outside --since/--until/--accounts/--regions
    duplicates: int = 0  # events whose eventID was already seen (CloudTrail delivered them twice)
    notes: list[str] = field(default_factory=list)  # lines for the summary (late events, evictions, …)

    @property
    def findings(self) -> int:
        return sum(self.findings_by_severity.values())

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class StateStage(Protocol):
    """What stands between evaluation and findings for stateful rules: the local StatefulStage,
    the map side of a Spark scan (CandidateSplit), or a parallel worker's capture."""

    tracks_time: bool  # False: only events with matches need to be handed to `take`

    def take(self, hits: list[CompiledRule], record: Record) -> list[CompiledRule]: ...

    def save(self) -> None: ...

    def finish(self) -> list[str]: ...


class Scanner:
    """Evaluate records against compiled rules and hand each finding to `emit`.

    `flush`, when given, is called before a blob is acknowledged: it must return True only when
    every finding emitted so far has been delivered or spooled (at-least-once delivery).

    Dedup, threshold and correlation rules go through a stateful stage (engine.detection.stateful),
    configured by `windows`; `finish()` closes its open windows, so call it before closing the
    delivery. With no stateful rule loaded the stage does not exist and costs nothing.

    `candidates`, when given, is the map side of a parallel scan (engine.spark): stateful matches
    are handed to it as Candidates instead of being windowed here; `CandidateReplay` windows them
    after they are brought together by group.

    `lean` (the default) parses in full only the records the index gives a rule (see `_lean_plan`);
    False parses every record, for comparing the two."""

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        emit: Emit,
        *,
        evidence: bool = True,
        flush: Callable[[], bool] | None = None,
        windows: WindowSettings | None = None,
        candidates: Callable[[Candidate], None] | None = None,
        scope: Callable[[dict[str, Any]], bool] | None = None,
        seen: SeenEvents | None = None,
        lean: bool = True,
    ) -> None:
        self.evaluator = Evaluator(rules)
        self.lean = self._lean_plan() if lean else None
        self.emit = emit
        self.evidence = evidence
        self.flush = flush
        self.stats = ScanStats()
        self.scope = scope
        self.seen = seen
        self._ids: list[str] = []  # this blob's event ids, stored in `seen` once its findings are out
        self.state: StateStage | None
        if candidates is not None:
            self.state = CandidateSplit.build(rules, candidates)
        else:
            self.state = StatefulStage.build(rules, self.emit_finding, windows, evidence=evidence)

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
        self.stats.files += 1
        if blob.size:
            self.stats.bytes += blob.size
        with scan_collector():
            self.scan_items(decode_blob(blob, lean=self.lean))
        if blob.ack is None and self.seen is None:
            return
        if self.flush is None or self.flush():
            if self.seen is not None:
                self.seen.commit(self._ids)  # only now: a crash before delivery must re-read them
                self._ids = []
            if blob.ack is not None:
                if self.state is not None:
                    self.state.save()  # windows first: a checkpoint never gets ahead of the counts
                blob.ack()

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
                self.stats.out_of_scope += 1
            else:
                self.scan_record(item)

    def scan_record(self, record: Record) -> None:
        self.stats.events += 1
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
            self.stats.findings_by_severity[rule.severity] += 1
            self.stats.findings_by_rule[rule.id] += 1
            self.emit(finding)

    def _first_delivery(self, event: dict[str, Any]) -> bool:
        """False for an event CloudTrail delivered again (same eventID within the seen window)."""
        event_id = event.get("eventID")
        if not isinstance(event_id, str) or self.seen is None:
            return True
        if not self.seen.first_time(event_id, event.get("eventTime")):
            self.stats.duplicates += 1
            return False
        self._ids.append(event_id)
        return True

    def note_skip(self, skip: Skip) -> None:
        if skip.error:
            self.stats.skipped.append(skip)
            log.warning("input skipped", where=skip.where, reason=skip.reason)
        else:
            self.stats.deliberate_skips[skip.reason] += 1
            log.debug("input passed over", where=skip.where, reason=skip.reason)

    def emit_finding(self, finding: Finding) -> None:
        """Count and emit a finding made outside `scan_record`: a window's, or a worker's."""
        self.stats.findings_by_severity[finding["severity"]] += 1
        self.stats.findings_by_rule[finding["rule_id"]] += 1
        self.emit(finding)

    def finish(self) -> ScanStats:
        """End of input: close (or save) open windows, emitting their findings, then stop the clock."""
        if self.state is not None:
            state, self.state = self.state, None
            self.stats.notes.extend(state.finish())
        self.stats.finished = time.monotonic()
        return self.stats
