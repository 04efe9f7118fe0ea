"""The dispatcher: routes findings to sinks in batches and makes sure none is lost on the way.

Every finding submitted ends in exactly one of three states per sink, and the pipeline is told
which (`on_settled`): delivered; spooled (durably written to the spool, re-sent first next run); or
rejected by the destination for good (reported with its reason, and also kept in the spool as
`rejected` so a fixed token or mapping can still get it there with `flush --include-rejected`).

A sink that stays down past its retries is not retried batch after batch (that would stall the
scan for minutes per batch): its later batches go straight to the spool, and one attempt is made
again every `probe_interval` seconds; when a probe gets through, the spool is replayed.

Ctrl-C / SIGTERM: the pipeline calls `close(interrupted=True)` (or leaves a `with Dispatcher(…)`
block with KeyboardInterrupt): each sink gets one quick attempt at its buffer and whatever is left
is spooled. A batch interrupted mid-send is still in the buffer, so it is spooled too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import structlog

from engine.errors import SinkError
from engine.interrupts import hurried
from engine.sinks.base import Delivery, Finding, Sink, finding_id
from engine.sinks.batching import Batcher, chunk
from engine.sinks.deliver import send_with_retry
from engine.sinks.redact import redact
from engine.statefile.spool import PENDING, REJECTED, Spool
from engine.types import SEVERITIES, SEVERITY_RANK

log = structlog.get_logger()


@dataclass(frozen=True)
class Route:
    """A sink and the least severe finding it should get."""

    sink: Sink
    min_severity: str = "info"

    def __post_init__(self) -> None:
        if self.min_severity not in SEVERITY_RANK:
            raise ValueError(f"min_severity must be one of {', '.join(SEVERITIES)}")


@dataclass(frozen=True, slots=True)
class Settled:
    """What just became final for one sink; `replayed` when the findings came from the spool."""

    sink: str
    delivered: tuple[str, ...] = ()
    spooled: tuple[str, ...] = ()
    rejected: Mapping[str, str] = field(default_factory=dict)
    replayed: bool = False


@dataclass(slots=True)
class SinkReport:
    """One sink's line in the run summary."""

    url: str
    delivered: int = 0
    replayed: int = 0
    spooled: int = 0
    rejected: int = 0
    unsaved: int = 0
    dropped: int = 0  # not written to standard output (its reader went away, or it failed), not kept
    reader_gone: bool = False  # the reader closed standard output: its choice, not a failure
    pending: int = 0
    rejected_waiting: int = 0
    resent: int = 0  # sent again after the destination may have taken them (at least once)
    stats: dict[str, int | float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        lost = self.dropped and not self.reader_gone
        return not (self.spooled or self.rejected or self.unsaved or self.pending or lost)

    def line(self) -> str:
        text = f"{redact(self.url)}: {self.delivered} delivered"
        if self.replayed:
            text += f", {self.replayed} from the spool"
        if self.rejected:
            text += f", {self.rejected} rejected"
        if self.spooled:
            text += f", {self.spooled} spooled"
        if self.pending:
            text += f", {self.pending} waiting in the spool"
        if self.unsaved:
            text += f", {self.unsaved} NOT SAVED (the spool could not be written)"
        if self.dropped:
            text += f", {self.dropped} not taken (the reader closed standard output)"
        if self.resent:
            text += f", {self.resent} re-sent after no answer (the destination may hold them twice)"
        return text


@dataclass(slots=True)
class DispatchReport:
    """What the run's summary says about delivery, and its exit code (3 when anything is not
    delivered: spooled, rejected, still waiting, or unsaved)."""

    sinks: list[SinkReport]
    spool_path: str | None = None
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sinks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else SinkError.exit_code

    @property
    def waiting(self) -> int:
        """Findings still in the spool for these sinks afterwards, pending or rejected."""
        return sum(s.pending + s.rejected_waiting for s in self.sinks)

    def totals(self) -> dict[str, int]:
        keys = ("delivered", "replayed", "spooled", "rejected", "unsaved", "pending", "resent")
        return {key: sum(int(getattr(s, key)) for s in self.sinks) for key in keys}

    def lines(self) -> list[str]:
        out = [s.line() for s in self.sinks]
        pending = sum(s.pending for s in self.sinks)
        refused = sum(s.rejected_waiting for s in self.sinks)
        if (pending or refused) and self.spool_path:
            text = f"{pending + refused} findings wait in the spool {self.spool_path}; "
            if pending:
                text += "`trailwarden flush` sends them"
            if refused:
                text += "; " if pending else ""
                text += f"{refused} were refused: `trailwarden flush --include-rejected` once fixed"
            out.append(text)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "spool": self.spool_path,
            "interrupted": self.interrupted,
            "sinks": [
                {
                    "url": redact(s.url),
                    "delivered": s.delivered,
                    "replayed": s.replayed,
                    "spooled": s.spooled,
                    "rejected": s.rejected,
                    "unsaved": s.unsaved,
                    "pending": s.pending,
                    "rejected_waiting": s.rejected_waiting,
                    "resent": s.resent,
                    "stats": s.stats,
                }
                for s in self.sinks
            ],
        }


class _Lane:
    """One route's buffer, health and counts."""

    def __init__(self, route: Route) -> None:
        self.sink = route.sink
        self.url = route.sink.url
        self.min_rank = SEVERITY_RANK[route.min_severity]
        self.batcher: Batcher[Finding] = Batcher(route.sink.batch_size, route.sink.batch_bytes)
        self.report = SinkReport(url=route.sink.url)
        self.down_since: float | None = None
        self.down_reason = ""
        self.spool_touched = False


class Dispatcher:
    """Buffers findings per sink, sends full batches, spools what cannot be delivered.

    `spool` None means the fallback spool file (see `engine.statefile.spool`), so a run without
    `--state` still loses nothing. Call `start()` (or just `submit`) — it first re-sends what an
    earlier run left in the spool — then `submit` each finding, `flush()` whenever the pipeline
    wants everything so far settled (before acknowledging a source object), and `close()` once."""

    def __init__(
        self,
        routes: Sequence[Route | Sink],
        spool: Spool | None = None,
        *,
        on_settled: Callable[[Settled], None] | None = None,
        replay_rejected: bool = False,
        probe_interval: float = 30.0,
    ) -> None:
        self.lanes = [_Lane(r if isinstance(r, Route) else Route(r)) for r in routes]
        urls = [lane.url for lane in self.lanes]
        if len(set(urls)) != len(urls):
            raise ValueError("the same sink URL is routed twice")
        self._own_spool = spool is None
        self.spool = spool if spool is not None else Spool.fallback()
        self.on_settled = on_settled
        self.replay_rejected = replay_rejected
        self.probe_interval = probe_interval
        self._started = False
        self.report: DispatchReport | None = None

    # -- the pipeline's calls -------------------------------------------------------------

    def start(self) -> None:
        """Re-send what the spool holds for each sink, before any new finding."""
        if self._started:
            return
        self._started = True
        for lane in self.lanes:
            self._replay(lane)

    def submit(self, finding: Finding) -> None:
        """Route one finding; sends a batch when a sink's buffer is full."""
        if "finding_id" not in finding:
            raise ValueError(f"finding of rule {finding.get('rule_id')!r} has no finding_id")
        self.start()
        rank = SEVERITY_RANK.get(str(finding.get("severity")), len(SEVERITIES))
        for lane in self.lanes:
            if rank >= lane.min_rank and lane.batcher.add(finding, lane.sink.size_of(finding)):
                self._drain(lane, full_only=True)

    @property
    def reader_gone(self) -> bool:
        """Every destination is a reader that went away (a closed stdout pipe): nothing more to do."""
        return all(lane.sink.reader_gone for lane in self.lanes)

    def flush(self) -> None:
        """Send everything buffered; when it returns, every submitted finding is settled."""
        self.start()
        for lane in self.lanes:
            self._drain(lane, full_only=False)

    def close(self, *, interrupted: bool = False) -> DispatchReport:
        """Flush (or, when interrupted, try once and spool the rest), close the sinks, report."""
        if self.report is not None:
            return self.report
        try:
            if interrupted:
                self._settle_quickly()
            else:
                self.flush()
        finally:
            self.report = self._finish(interrupted)
        return self.report

    def __enter__(self) -> Dispatcher:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(interrupted=exc_type is not None)

    # -- sending ----------------------------------------------------------------------------

    def _drain(self, lane: _Lane, *, full_only: bool) -> None:
        while len(lane.batcher) and (lane.batcher.full() or not full_only):
            batch = lane.batcher.peek()
            self._deliver(lane, batch)
            lane.batcher.drop(len(batch))  # only once settled: an interrupt leaves it buffered

    def _deliver(self, lane: _Lane, batch: Sequence[Finding]) -> None:
        clock = lane.sink.retry.clock
        if lane.down_since is not None and clock() - lane.down_since < self.probe_interval:
            spooled = self._spool(lane, batch, dict.fromkeys(map(finding_id, batch), lane.down_reason))
            self._notify(Settled(lane.url, spooled=spooled))
            return
        probing = lane.down_since is not None
        result = send_with_retry(lane.sink, batch, lane.sink.retry.single() if probing else None)
        self._record(lane, batch, result)
        if result.retry:
            self._mark_down(lane, result)
        elif probing:
            lane.down_since = None
            log.info("sink.recovered", sink=redact(lane.url))
            self._replay(lane)

    def _record(self, lane: _Lane, batch: Sequence[Finding], result: Delivery) -> None:
        if not lane.sink.spoolable:  # standard output: what its reader did not take is not kept
            lane.report.delivered += len(result.delivered)
            lane.report.dropped += len(result.rejected) + len(result.retry)
            if result.retry and not lane.sink.reader_gone:
                log.error("sink.unwritable", sink=redact(lane.url), reason=next(iter(result.retry.values())))
            return
        if result.delivered:
            lane.report.delivered += len(result.delivered)
            if lane.spool_touched:
                self.spool.remove(lane.url, result.delivered)
        rejected = [f for f in batch if finding_id(f) in result.rejected]
        if rejected:
            self._reject(lane, rejected, result.rejected)
        failed = [f for f in batch if finding_id(f) in result.retry]
        spooled = self._spool(lane, failed, result.retry) if failed else ()
        self._notify(Settled(lane.url, result.delivered, spooled, dict(result.rejected)))

    def _spool(self, lane: _Lane, findings: Sequence[Finding], reasons: Mapping[str, str]) -> tuple[str, ...]:
        if not lane.sink.spoolable:
            lane.report.dropped += len(findings)
            return ()
        self._write_spool(lane, findings, reasons, PENDING)
        ids = tuple(finding_id(f) for f in findings)
        lane.report.spooled += len(ids)
        lane.sink.stats.spooled += len(ids)
        log.warning(
            "sink.spooled",
            sink=redact(lane.url),
            findings=len(ids),
            reason=next(iter(reasons.values()), ""),
            spool=self.spool.path,
        )
        return ids

    def _reject(self, lane: _Lane, findings: Sequence[Finding], reasons: Mapping[str, str]) -> None:
        self._write_spool(lane, findings, reasons, REJECTED)
        lane.report.rejected += len(findings)
        for reason, group in _by_reason(findings, reasons).items():
            log.error(
                "sink.rejected",
                sink=redact(lane.url),
                reason=reason,
                findings=len(group),
                finding_ids=[finding_id(f) for f in group[:10]],
                rules=sorted({str(f.get("rule_id")) for f in group}),
            )

    def _write_spool(
        self, lane: _Lane, findings: Sequence[Finding], reasons: Mapping[str, str], status: str
    ) -> None:
        try:
            self.spool.add(lane.url, findings, reasons=reasons, status=status)
        except Exception as exc:
            raise SinkError(
                f"cannot write {len(findings)} findings for {redact(lane.url)} to the spool "
                f"{self.spool.path}: {exc}"
            ) from exc
        lane.spool_touched = True

    def _mark_down(self, lane: _Lane, result: Delivery) -> None:
        first = lane.down_since is None
        lane.down_since = lane.sink.retry.clock()
        lane.down_reason = next(iter(result.retry.values()), "unavailable")
        if first:
            log.error(
                "sink.down",
                sink=redact(lane.url),
                reason=lane.down_reason,
                detail=f"spooling its findings; trying again every {self.probe_interval:g}s",
            )

    def _replay(self, lane: _Lane) -> None:
        """Send what the spool holds for this sink; stop at the first batch that still fails."""
        if not lane.sink.spoolable:
            return  # nothing of an earlier run's (or another scan's) ever goes to standard output
        waiting = self.spool.count(lane.url, status=PENDING)
        if self.replay_rejected:
            waiting += self.spool.count(lane.url, status=REJECTED)
        if not waiting:
            return
        lane.spool_touched = True
        log.info("sink.replay", sink=redact(lane.url), findings=waiting)
        stored = self.spool.pending(lane.url, include_rejected=self.replay_rejected)
        for batch in _batches(stored, lane.sink):
            result = send_with_retry(lane.sink, batch)
            self.spool.remove(lane.url, result.delivered)
            lane.report.replayed += len(result.delivered)
            if result.rejected:
                self.spool.mark(lane.url, result.rejected, status=REJECTED)
                lane.report.rejected += len(result.rejected)
                for reason, group in _by_reason(batch, result.rejected).items():
                    log.error("sink.rejected", sink=redact(lane.url), reason=reason, findings=len(group))
            self._notify(Settled(lane.url, result.delivered, (), dict(result.rejected), replayed=True))
            if result.retry:
                self.spool.mark(lane.url, result.retry, status=PENDING)
                self._mark_down(lane, result)
                return

    # -- the end ----------------------------------------------------------------------------

    def _settle_quickly(self) -> None:
        """On interrupt: one attempt per sink at what is buffered; spool whatever is left."""
        for lane in self.lanes:
            try:
                while len(lane.batcher) and lane.down_since is None and not hurried():
                    batch = lane.batcher.peek()
                    result = send_with_retry(lane.sink, batch, lane.sink.retry.single())
                    self._record(lane, batch, result)
                    lane.batcher.drop(len(batch))
                    if result.retry:
                        self._mark_down(lane, result)
            except KeyboardInterrupt:
                pass  # a second Ctrl-C: stop sending, but still spool below
            if len(lane.batcher):
                left = lane.batcher.items
                spooled = self._spool(lane, left, dict.fromkeys(map(finding_id, left), "interrupted"))
                lane.batcher.drop(len(left))
                self._notify(Settled(lane.url, spooled=spooled))

    def _finish(self, interrupted: bool) -> DispatchReport:
        for lane in self.lanes:
            lane.report.unsaved += len(lane.batcher)
            if len(lane.batcher):
                log.error(
                    "sink.unsaved",
                    sink=redact(lane.url),
                    findings=len(lane.batcher),
                    finding_ids=[finding_id(f) for f in lane.batcher.items[:20]],
                )
            try:
                lane.sink.close()
            except Exception as exc:  # one sink failing to close must not keep the others open
                log.error("sink.close_failed", sink=redact(lane.url), error=redact(str(exc)))
            lane.report.stats = lane.sink.stats.as_dict()
            lane.report.resent = lane.sink.stats.resent
            lane.report.reader_gone = lane.sink.reader_gone
            if lane.sink.spoolable:
                lane.report.pending = self.spool.count(lane.url, status=PENDING)
                lane.report.rejected_waiting = self.spool.count(lane.url, status=REJECTED)
        waiting = any(lane.report.pending or lane.report.rejected_waiting for lane in self.lanes)
        report = DispatchReport(
            sinks=[lane.report for lane in self.lanes],
            spool_path=self.spool.path if waiting else None,
            interrupted=interrupted,
        )
        if self._own_spool:
            self.spool.close()
        return report

    def _notify(self, settled: Settled) -> None:
        if self.on_settled is not None and (settled.delivered or settled.spooled or settled.rejected):
            self.on_settled(settled)


def _batches(findings: Iterator[dict[str, Any]], sink: Sink) -> Iterator[list[dict[str, Any]]]:
    """Batches of spooled findings sized for `sink`, read lazily from the spool."""
    page: list[dict[str, Any]] = []
    for finding in findings:
        page.append(finding)
        if len(page) >= sink.batch_size * 4:
            yield from chunk(page, max_count=sink.batch_size, max_bytes=sink.batch_bytes, size=sink.size_of)
            page = []
    if page:
        yield from chunk(page, max_count=sink.batch_size, max_bytes=sink.batch_bytes, size=sink.size_of)


def _by_reason(findings: Sequence[Finding], reasons: Mapping[str, str]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        reason = reasons.get(finding_id(finding))
        if reason is not None:
            groups.setdefault(reason, []).append(finding)
    return groups
