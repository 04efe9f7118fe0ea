"""The stateful stage of the scan: between evaluation and emit, it routes the matches of stateful
rules (dedup, threshold) and of correlation members to their operators, moves event time on,
and reports the windows that make findings.

Event time and lateness. The watermark is the newest `eventTime` seen minus the allowed
lateness. A matching event waits in its operator's reorder buffer until the watermark passes it,
then is processed in event-time order; a window closes when the watermark passes its end. An
event older than the watermark when it arrives is too late: it is dropped and counted in the
summary. So any arrival order in which no event trails a newer one by more than the lateness —
files in any order, split any way — gives the same findings.

End of input. Without --state, the end of input ends event time: every event is processed and
every window closes. With --state, open windows and waiting events are saved first; then the
run reports what already holds (fired thresholds, dedup windows, completed correlations) as of
the end of its input and remembers having done so. The next run resumes from the saved state
and repeats such a finding (same finding id) only if its count grew. Windows that can only be
judged at their end (count conditions lt, lte, eq, neq) wait for it."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import structlog

from engine.detection.stateful.clock import event_seconds, iso
from engine.detection.stateful.counting import CountingOperator, EventCountOperator, ValueCountOperator
from engine.detection.stateful.dedup import DedupOperator
from engine.detection.stateful.findings import window_finding
from engine.detection.stateful.operator import Operator
from engine.detection.stateful.ordered import OrderedOperator
from engine.detection.stateful.settings import DEFAULT_LATENESS, WindowSettings
from engine.detection.stateful.spec import StatefulSpec, canonical
from engine.detection.stateful.temporal import TemporalOperator
from engine.detection.stateful.window import EventData, Hit, Window, event_id_of
from engine.findings.builder import event_key
from engine.report import WindowTally
from engine.statefile.windows import WindowStore
from engine.types import Origin, Record

if TYPE_CHECKING:
    from engine.detection.compiled_rule import CompiledRule

log = structlog.get_logger("trailwarden.state")

Finding = dict[str, Any]
STATE_VERSION = 1

OPERATORS: dict[str, type[Operator]] = {
    "dedup": DedupOperator,
    "threshold": CountingOperator,
    "event_count": EventCountOperator,
    "value_count": ValueCountOperator,
    "temporal": TemporalOperator,
    "temporal_ordered": OrderedOperator,
}


def is_stateful(rule: CompiledRule) -> bool:
    return rule.stateful is not None


class StatefulStage:
    """Build with `StatefulStage.build`, which gives None when no rule is stateful: then the scan
    does no per-event work for state at all."""

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        emit: Callable[[Finding], None],
        settings: WindowSettings,
        *,
        evidence: bool = True,
    ) -> None:
        self.settings = settings
        self.emit = emit
        self.evidence = evidence
        self.operators: list[Operator] = []
        self.routes: dict[str, list[tuple[Operator, int]]] = {}
        self.owned: set[str] = set()  # rules whose findings come out of their window, not per event
        self.late: Counter[str] = Counter()
        self.untimed: Counter[str] = Counter()
        self.evictions: Counter[str] = Counter()
        self.overflows: Counter[str] = Counter()
        self.discarded: list[str] = []
        self.reported: dict[str, tuple[int, float]] = {}
        # With no bound on lateness (a one-off scan waits for the end of its input) no watermark
        # moves, so events that match nothing stateful need not be looked at at all.
        self.tracks_time = math.isfinite(settings.lateness)
        self.max_time = -math.inf
        self.watermark = -math.inf
        self.newest_hit = -math.inf  # the newest event time any stateful rule matched
        self._max_raw = ""
        self._parsed: tuple[Any, float | None] = (None, None)
        self._provisional = False
        self._kept = 0
        self._dirty: set[str] = set()  # operators changed since the last save (a match, a report)
        self._plan(rules)
        self.store = WindowStore(settings.state_path) if settings.state_path else None
        if self.store is not None:
            self._restore(self.store)

    @classmethod
    def build(
        cls,
        rules: Sequence[CompiledRule],
        emit: Callable[[Finding], None],
        settings: WindowSettings | None = None,
        *,
        evidence: bool = True,
    ) -> StatefulStage | None:
        if not any(is_stateful(rule) for rule in rules):
            return None
        return cls(rules, emit, settings or WindowSettings(), evidence=evidence)

    def _plan(self, rules: Sequence[CompiledRule]) -> None:
        running = {rule.id for rule in rules}
        for rule in rules:
            spec = rule.stateful
            if spec is None:
                continue
            if rule.rule.kind != "correlation":
                self.owned.add(rule.id)
                if not rule.rule.generate:
                    continue  # its windows would make no finding: nothing to keep
            missing = [m for m in spec.members if m not in running]
            if missing:
                log.warning(
                    "correlation member rules are not running; it cannot fire", rule=rule.id, missing=missing
                )
            operator = OPERATORS[spec.kind](rule, spec, self)
            self.operators.append(operator)
            for member in dict.fromkeys(spec.members):
                self.routes.setdefault(member, []).append((operator, operator.rank(member)))

    # The per-event path.

    def take(self, hits: list[CompiledRule], record: Record) -> list[CompiledRule]:
        """Route this event's stateful matches; return the matches that make findings per event."""
        raw = record.event.get("eventTime")
        moved = self._clock(raw)
        plain = hits
        if hits:
            routes = self.routes
            if any(rule.id in routes for rule in hits):
                plain = [rule for rule in hits if rule.id not in self.owned]
                event, origin = record.event, record.origin
                time, event_id = self._seconds(raw), event_id_of(event)
                for rule in hits:
                    if rule.id in routes:
                        self._feed(
                            prepare(rule.id, routes[rule.id], event, time), event, origin, raw, event_id
                        )
        if moved:
            self._advance(self.max_time - self.settings.lateness)
        return plain

    def take_prepared(
        self, matches: list[Prepared], event: bytes, origin: Origin, raw: Any, event_id: str | None
    ) -> None:
        """`take` for matches a parallel worker prepared (engine.parallel): the same clock and
        routing, without evaluating the group and value expressions a second time, and with the
        event left as text (see window.EventData). `raw` is its eventTime."""
        moved = self._clock(raw)
        for match in matches:
            self._feed(match, event, origin, raw, event_id)
        if moved:
            self._advance(self.max_time - self.settings.lateness)

    def _clock(self, raw: Any) -> bool:
        """True when this event's time is the newest yet (the watermark may move)."""
        if self.tracks_time and raw.__class__ is str and raw > self._max_raw:  # ISO sorts like time
            seconds = self._seconds(raw)
            if seconds is not None and seconds > self.max_time:
                self.max_time = seconds
                self._max_raw = raw
                return True
        return False

    def _seconds(self, raw: Any) -> float | None:
        if self._parsed[0] == raw:
            return self._parsed[1]
        seconds = event_seconds(raw)
        self._parsed = (raw, seconds)
        return seconds

    def _feed(
        self, match: Prepared, event: EventData, origin: Origin, raw: Any, event_id: str | None
    ) -> None:
        rule_id, time, key, keys = match
        if time is None:
            if not self.untimed[rule_id]:
                log.warning(
                    "event has no readable eventTime; stateful rules cannot place it",
                    rule=rule_id,
                    where=str(origin),
                    event_time=raw,
                )
            self.untimed[rule_id] += 1
            return
        if time > self.newest_hit:
            self.newest_hit = time
        if time < self.watermark:
            if not self.late[rule_id]:
                log.warning(
                    "event arrived later than the allowed lateness; dropped from windows",
                    rule=rule_id,
                    where=str(origin),
                    event_time=raw,
                    watermark=iso(self.watermark),
                )
            self.late[rule_id] += 1
            return
        for (operator, rank), (group, value) in zip(self.routes[rule_id], keys, strict=True):
            buffer = operator.buffer
            if time < buffer.floor:  # this operator was made to move on early (see _overflow)
                self.late[rule_id] += 1
                continue
            buffer.push(Hit(time, rule_id, event, origin, group, key, value, event_id), rank)
            self._dirty.add(operator.id)
            if len(buffer) > self.settings.max_waiting:
                self._overflow(operator)

    def _overflow(self, operator: Operator) -> None:
        """More matches wait than the cap allows: take the oldest now, count it and say so once."""
        if not self.overflows[operator.id]:
            log.warning(
                "too many matching events waiting for the lateness; taking the oldest early",
                rule=operator.id,
                cap=self.settings.max_waiting,
            )
        for hit in operator.buffer.release_over(self.settings.max_waiting):
            self.overflows[operator.id] += 1
            operator.expire(hit.time)
            operator.accept(hit)

    def _advance(self, watermark: float) -> None:
        if watermark <= self.watermark:
            return
        self.watermark = watermark
        for operator in self.operators:
            for hit in operator.buffer.release(watermark):
                operator.expire(hit.time)
                operator.accept(hit)
            operator.expire(watermark)

    # What operators call back (the Output protocol).

    def report(self, operator: Operator, window: Window, *, settled: bool) -> None:
        if self._provisional and not settled:
            return
        self._dirty.add(operator.id)
        finding = window_finding(operator, window, evidence=self.evidence)
        finding_id, count = finding["finding_id"], finding["count"]
        earlier = self.reported.get(finding_id)
        if self._provisional:
            self.reported[finding_id] = (count, window.end)
        else:
            self.reported.pop(finding_id, None)
        if earlier is not None and earlier[0] == count:
            return  # a run that stopped before this window closed reported it as it is now
        self.emit(finding)

    def evicted(self, operator: Operator) -> None:
        self._dirty.add(operator.id)
        if not self.evictions[operator.id]:
            log.warning(
                "too many open groups; evicting the least recently active",
                rule=operator.id,
                cap=self.settings.max_groups,
            )
        self.evictions[operator.id] += 1

    # Saving, restoring, finishing.

    def save(self) -> None:
        """Write open windows and waiting events to the state file (before a checkpoint moves)."""
        if self.store is None:
            return
        meta = {
            "version": STATE_VERSION,
            "max_time": _finite(self.max_time),
            "watermark": _finite(self.watermark),
        }
        rules = {
            op.id: (
                op.spec.fingerprint,
                {"state": op.dump(), "pending": [[h.dump(), r] for h, r in op.buffer.pending()]},
            )
            for op in self.operators
            if op.id in self._dirty  # a rule that saw nothing since the last save keeps its row
        }
        self.store.save(meta, rules, self.reported)
        self._dirty.clear()

    def _restore(self, store: WindowStore) -> None:
        saved = store.load()
        if saved.meta.get("version", STATE_VERSION) != STATE_VERSION:
            log.warning("the state file's windows come from another trailwarden version; starting afresh")
            return
        if saved.meta.get("max_time") is not None:
            self.max_time = float(saved.meta["max_time"])
            self._max_raw = iso(self.max_time)
        if saved.meta.get("watermark") is not None:
            self.watermark = float(saved.meta["watermark"])
        self.reported = dict(saved.reported)
        for operator in self.operators:
            entry = saved.rules.get(operator.id)
            if entry is None:
                continue
            fingerprint, data = entry
            if fingerprint != operator.spec.fingerprint:
                self.discarded.append(operator.id)
                self._dirty.add(operator.id)  # the next save replaces the stale row
                log.warning("rule changed since its windows were saved; they are dropped", rule=operator.id)
                continue
            operator.load(data["state"])
            for hit, rank in data["pending"]:
                operator.buffer.push(Hit.load(hit), int(rank))

    def finish(self) -> list[str]:
        """End of input: save (with --state), close or report what is open, and say what happened.

        A scan that waited for the end of its input (no lateness bound) and keeps its windows in a
        state file closes for good, first, every window that ended more than DEFAULT_LATENESS
        before the newest match: CloudTrail delivers within that, so the next run cannot add to
        them, and the file keeps only windows still open — bounded, whatever the history replayed."""
        if self.store is not None and not self.tracks_time and math.isfinite(self.newest_hit):
            self._advance(self.newest_hit - DEFAULT_LATENESS)
        self._kept = sum(op.groups() + len(op.buffer) for op in self.operators)
        if self.store is not None:
            self.save()
            self._provisional = True
        for operator in self.operators:
            for hit in operator.buffer.release(math.inf):
                operator.expire(hit.time)
                operator.accept(hit)
            operator.close_all()
        if self.store is not None:
            self._save_reported(self.store)
            self.store.close()
        return self.summary()

    def abandon(self) -> list[str]:
        """An interrupted scan: leave the state file as the last save left it (see Scanner.finish);
        without one, close the windows as at the end of input — nothing outlives the run."""
        if self.store is None:
            return self.finish()
        self.store.close()
        return [f"Windows in {self.settings.state_path} are kept as the last commit left them."]

    def _save_reported(self, store: WindowStore) -> None:
        """Only the reported table changes after the provisional close: the windows stay as saved."""
        meta = {"version": STATE_VERSION}
        store.save(meta, {}, {fid: v for fid, v in self.reported.items() if v[1] > self.watermark})

    def tally(self) -> WindowTally:
        """What the windows counted instead of using (the summary says it from the report)."""
        return WindowTally(
            untimed=Counter(self.untimed),
            late=Counter(self.late),
            evictions=Counter(self.evictions),
            overflows=Counter(self.overflows),
            duplicates=sum(op.buffer.duplicates for op in self.operators),
        )

    def summary(self) -> list[str]:
        """What only a local scan with a state file has to say: saved and dropped windows."""
        lines = []
        if self.discarded:
            lines.append(f"Dropped saved windows of changed rule(s): {', '.join(self.discarded)}.")
        if self.store is not None:
            lines.append(
                f"Windows saved to {self.settings.state_path}: {self._kept:,} open group(s) and waiting event(s)."
            )
        return lines


# What a Hit holds besides the event, for one member rule's match: (rule id, eventTime as epoch
# seconds or None when unreadable, the event's identity, and per route of the rule its (group key,
# counted value)). All of it comes from the event alone, so a parallel worker computes it and the
# parent only windows (engine.parallel); a plain tuple, because it crosses the process boundary.
Prepared = tuple[str, float | None, str, tuple[tuple[str, str | None], ...]]


def prepare(
    rule_id: str, routes: Sequence[tuple[Operator, int]], event: dict[str, Any], time: float | None
) -> Prepared:
    """An event without a readable time goes no further than the untimed count: no keys for it."""
    if time is None:
        return (rule_id, None, "", ())
    keys = tuple((operator.spec.group.of(event), _value(operator.spec, event)) for operator, _ in routes)
    return (rule_id, time, event_key(event), keys)


def _value(spec: StatefulSpec, event: dict[str, Any]) -> str | None:
    if spec.value is None:
        return None
    try:
        found = spec.value(event)
    except Exception:  # like a missing field: the event adds no value
        return None
    return None if found is None else canonical(found)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
