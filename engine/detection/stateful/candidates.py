"""Stateful detection split in two, for scans that run in parallel (engine.spark).

A local scan windows matches as they come. A parallel scan cannot: the events of one group are
spread over many tasks. So the map side (a Scanner built with `candidates=`) hands out each match
of a stateful rule's member as a `Candidate` — the operator it feeds, that operator's group key,
the event time, the event and where it was read — instead of windowing it. Candidates of one
(operator, group) are brought together, sorted by (time, rank, event identity), and the reduce
side (`CandidateReplay`) feeds them to the same StatefulStage a local scan uses, one stage per
operator. Groups never interact inside an operator (only the --max-groups cap makes them), so the
union of what the reduce sides emit is what one local scan emits, with no approximation.

Candidates carry the whole event: a window's finding renders its representative event (title,
context, actor, evidence), which may read any field."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from engine.detection.stateful.clock import event_seconds
from engine.detection.stateful.members import feed_only
from engine.detection.stateful.settings import DEFAULT_MAX_EVENT_IDS, DEFAULT_MAX_GROUPS, WindowSettings
from engine.detection.stateful.stage import StatefulStage, is_stateful
from engine.findings.builder import event_key
from engine.report import WindowTally
from engine.types import Origin, Record

if TYPE_CHECKING:
    from engine.detection.compiled_rule import CompiledRule

log = structlog.get_logger("trailwarden.state")

Finding = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One match of a member rule, bound for one stateful operator (a rule feeding two
    correlations gives two candidates)."""

    operator: str  # the stateful rule whose windows it feeds
    group: str  # that rule's group key for the event (canonical JSON)
    time: float  # event time, epoch seconds
    rank: int  # where it sorts among events of the same second (temporal_ordered steps)
    key: str  # the event's identity: repeated deliveries share it
    rule_id: str  # the member rule that matched
    event: dict[str, Any]
    origin: Origin

    @property
    def route(self) -> str:
        """What brings candidates together: every candidate of one window has the same route."""
        return f"{self.operator}\x1f{self.group}"

    @property
    def order(self) -> tuple[float, int, str]:
        """The order the reorder buffer releases hits in; a reduce side receives them in it."""
        return (self.time, self.rank, self.key)


class CandidateSplit:
    """The map side. It stands where the StatefulStage stands in a Scanner (`take`, `save`,
    `finish`): matches of rules that make findings per event go on; matches that feed windows
    become candidates for `out`."""

    def __init__(self, rules: Sequence[CompiledRule], out: Callable[[Candidate], None]) -> None:
        # A stage with no store is only a plan here: its routes and owned rules, never fed.
        plan = StatefulStage(rules, _unused, WindowSettings())
        self.routes = plan.routes
        self.owned = plan.owned
        self.out = out
        self.untimed: Counter[str] = Counter()
        self.tracks_time = False  # windows live on the reduce side: only matches need handing out

    @classmethod
    def build(cls, rules: Sequence[CompiledRule], out: Callable[[Candidate], None]) -> CandidateSplit | None:
        if not any(is_stateful(rule) for rule in rules):
            return None
        return cls(rules, out)

    def take(self, hits: list[CompiledRule], record: Record) -> list[CompiledRule]:
        """Hand out this event's stateful matches; return the matches that make findings per event."""
        routes = self.routes
        if not hits or not any(rule.id in routes for rule in hits):
            return hits
        for rule in hits:
            if rule.id in routes:
                self._split(rule.id, record)
        return [rule for rule in hits if rule.id not in self.owned]

    def _split(self, rule_id: str, record: Record) -> None:
        event = record.event
        time = event_seconds(event.get("eventTime"))
        if time is None:
            if not self.untimed[rule_id]:
                log.warning(
                    "event has no readable eventTime; stateful rules cannot place it",
                    rule=rule_id,
                    where=str(record.origin),
                    event_time=event.get("eventTime"),
                )
            self.untimed[rule_id] += 1
            return
        key = event_key(event)
        for operator, rank in self.routes[rule_id]:
            group = operator.spec.group.of(event)
            self.out(Candidate(operator.id, group, time, rank, key, rule_id, event, record.origin))

    def save(self) -> None:
        """Nothing is kept on this side: windows live on the reduce side."""

    def finish(self) -> list[str]:
        return []

    def abandon(self) -> list[str]:
        return self.finish()

    def tally(self) -> WindowTally:
        return WindowTally(untimed=Counter(self.untimed))


class CandidateReplay:
    """The reduce side: `feed` candidates in `Candidate.order` (within each route), then `finish`
    closes every window. Each operator gets its own StatefulStage, built from that rule and
    feed-only copies of its members, so a member that feeds several operators feeds here only the
    one its candidate is bound for. Input is already in event-time order, so no lateness is
    needed: the stage releases each hit as soon as a later time arrives."""

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        emit: Callable[[Finding], None],
        *,
        max_groups: int = DEFAULT_MAX_GROUPS,
        max_event_ids: int = DEFAULT_MAX_EVENT_IDS,
        evidence: bool = True,
    ) -> None:
        self.rules = {rule.id: rule for rule in rules}
        self.emit = emit
        self.evidence = evidence
        self.settings = WindowSettings(lateness=0.0, max_groups=max_groups, max_event_ids=max_event_ids)
        self.stages: dict[str, StatefulStage] = {}
        self.members: dict[str, CompiledRule] = {}
        self.fed = 0

    def feed(self, candidate: Candidate) -> None:
        stage = self.stages.get(candidate.operator)
        if stage is None:
            stage = self.stages[candidate.operator] = self._stage(candidate.operator)
        member = self.members.get(candidate.rule_id)
        if member is None:
            member = self.members[candidate.rule_id] = feed_only(self.rules[candidate.rule_id])
        self.fed += 1
        stage.take([member], Record(candidate.event, candidate.origin))

    def _stage(self, operator_id: str) -> StatefulStage:
        rule = self.rules[operator_id]
        assert rule.stateful is not None, f"{operator_id} is not a stateful rule"
        members = [feed_only(self.rules[m]) for m in dict.fromkeys(rule.stateful.members) if m != operator_id]
        stage = StatefulStage([rule, *members], self.emit, self.settings, evidence=self.evidence)
        return stage

    def finish(self) -> WindowTally:
        """Close every window (emitting its finding); say what the summary must mention."""
        counts = WindowTally()
        for stage in self.stages.values():
            stage.finish()
            counts.merge(stage.tally())
        self.stages.clear()
        return counts


def _unused(finding: Finding) -> None:
    raise AssertionError("the map side's plan stage is never fed")
