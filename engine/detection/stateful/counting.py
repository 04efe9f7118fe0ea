"""Counting windows: a rule's `threshold`, and the `event_count` and `value_count` correlations.

Rising conditions (`gte`, `gt`: a threshold is `gte count`) slide: a group fires as soon as the
events (or distinct values) of the last `span` seconds reach the bound — `last - first < span` —
so a burst is caught wherever it falls, never split by a fixed boundary. The finding's window then
runs from the burst's first event for `span`; later events of the group inside it join the same
finding (its count grows), and it is emitted when the window closes. The next event after that
starts counting afresh.

Other conditions (`lt`, `lte`, `eq`, `neq`) can only be judged when a window is over: a group's
window opens at its first event, lasts `span`, and is judged at its close.

Memory per group is bounded by the bound of the condition: a rising group holds fewer events (or
values) than it needs to fire, and a closing one counts values only up to the bound plus one."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.detection.stateful.groups import GroupTable
from engine.detection.stateful.operator import Operator, Output
from engine.detection.stateful.spec import Condition, StatefulSpec
from engine.detection.stateful.window import Hit, Window

if TYPE_CHECKING:
    from engine.detection.compiled_rule import CompiledRule

Seen = tuple[float, str | None]  # an event's time and id


@dataclass(slots=True)
class Tally:
    """A rising group: what the last `span` seconds hold, and the window that fired, if any."""

    last: float
    # Plain list and dict, not deque and OrderedDict: a million idle groups must stay small, and
    # both hold fewer entries than the condition needs (a threshold's count is tens, not thousands).
    recent: list[Seen] = field(default_factory=list)  # events, oldest first
    latest: dict[str, Seen] = field(default_factory=dict)  # value -> its latest event, oldest first
    alert: Window | None = None

    def dump(self) -> dict[str, Any]:
        return {
            "last": self.last,
            "recent": [list(seen) for seen in self.recent],
            "latest": [[value, *seen] for value, seen in self.latest.items()],
            "alert": self.alert.dump() if self.alert else None,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Tally:
        tally = cls(float(data["last"]))
        tally.recent.extend((float(t), i) for t, i in data["recent"])
        for value, t, i in data["latest"]:
            tally.latest[value] = (float(t), i)
        tally.alert = Window.load(data["alert"]) if data["alert"] else None
        return tally


class CountingOperator(Operator):
    kind = "threshold"

    def __init__(self, rule: CompiledRule, spec: StatefulSpec, out: Output) -> None:
        super().__init__(rule, spec, out)
        if spec.condition is None:  # compile_stateful always gives counting kinds a condition
            raise ValueError(f"{spec.kind} without a condition")
        self.condition: Condition = spec.condition
        self.distinct = spec.value is not None
        self.value_cap = max(self.max_ids, *(bound + 1 for _, bound in self.condition.terms))
        self.tallies: GroupTable[Tally] = GroupTable(out.settings.max_groups, self._evict_tally)
        self.alerts: list[tuple[float, str]] = []  # (end, group) of fired windows, soonest first
        self.windows: GroupTable[Window] = GroupTable(out.settings.max_groups, self._evict_window)

    def metric(self, window: Window) -> int:
        return window.distinct if self.distinct else window.count

    def accept(self, hit: Hit) -> None:
        if self.spec.rising:
            self._rise(hit)
        else:
            self._gather(hit)

    # Rising conditions: sliding count, fire as soon as it holds.

    def _rise(self, hit: Hit) -> None:
        tally = self.tallies.get(hit.group)
        if tally is None:
            tally = Tally(hit.time)
            self.tallies.add(hit.group, tally)
        else:
            self.tallies.touch(hit.group)
            tally.last = hit.time
        if tally.alert is not None:  # expire() closed it if this event is past its end
            tally.alert.add(hit, self.max_ids)
            if self.distinct:
                tally.alert.note_value(hit.value, self.value_cap)
            return
        seen: Seen = (hit.time, hit.event_id)
        cutoff = hit.time - self.spec.span
        if self.distinct:
            if hit.value is None:  # like Sigma: events without the field add no value
                return
            latest = tally.latest
            latest.pop(hit.value, None)
            latest[hit.value] = seen
            while latest[oldest := next(iter(latest))][0] <= cutoff:  # stops at this event at the latest
                del latest[oldest]
            count = len(latest)
        else:
            recent = tally.recent
            recent.append(seen)
            stale = 0
            while recent[stale][0] <= cutoff:
                stale += 1
            if stale:
                del recent[:stale]
            count = len(recent)
        if self.condition.holds(count):
            self._fire(hit, tally)

    def _fire(self, hit: Hit, tally: Tally) -> None:
        entries = list(tally.latest.values()) if self.distinct else list(tally.recent)
        start = entries[0][0]
        window = Window.open(hit, self.spec.span, start=start)
        window.first = start
        for _, event_id in entries:
            window.count += 1
            window.note_id(event_id, self.max_ids)
        for value in tally.latest:
            window.note_value(value, self.value_cap)
        window.reported = True
        tally.alert = window
        tally.recent.clear()
        tally.latest.clear()
        heapq.heappush(self.alerts, (window.end, hit.group))

    # Other conditions: a window from the group's first event, judged when it closes.

    def _gather(self, hit: Hit) -> None:
        window = self.windows.get(hit.group)
        if window is None:
            window = Window.open(hit, self.spec.span)
            self.windows.add(hit.group, window)
        window.add(hit, self.max_ids)
        if self.distinct:
            window.note_value(hit.value, self.value_cap)

    def _judge(self, window: Window, *, settled: bool) -> None:
        if self.condition.holds(self.metric(window)):
            self.out.report(self, window, settled=settled)

    # Time passing, the end of input, eviction.

    def expire(self, now: float) -> None:
        span = self.spec.span
        while self.alerts and self.alerts[0][0] <= now:
            end, group = heapq.heappop(self.alerts)
            tally = self.tallies.get(group)
            if tally is not None and tally.alert is not None and tally.alert.end == end:
                self.tallies.pop(group)
                self.out.report(self, tally.alert, settled=True)
        # Ordered by last activity: a group whose newest event is `span` old can no longer fire
        # (and any window it fired has closed above, since that window ended sooner).
        while (front := self.tallies.front()) is not None and front[1].last + span <= now:
            self.tallies.pop(front[0])
        while (head := self.windows.front()) is not None and head[1].end <= now:
            self.windows.pop(head[0])
            self._judge(head[1], settled=True)

    def close_all(self) -> None:
        for group, tally in self.tallies.items():
            self.tallies.pop(group)
            if tally.alert is not None:
                self.out.report(self, tally.alert, settled=True)
        self.alerts.clear()
        for group, window in self.windows.items():
            self.windows.pop(group)
            self._judge(window, settled=False)

    def groups(self) -> int:
        return len(self.tallies) + len(self.windows)

    def _evict_tally(self, group: str, tally: Tally) -> None:
        self.out.evicted(self)
        if tally.alert is not None:
            self.out.report(self, tally.alert, settled=True)

    def _evict_window(self, group: str, window: Window) -> None:
        self.out.evicted(self)
        self._judge(window, settled=True)

    def dump(self) -> dict[str, Any]:
        return {
            "tallies": [[group, tally.dump()] for group, tally in self.tallies.items()],
            "windows": [window.dump() for _, window in self.windows.items()],
        }

    def load(self, data: dict[str, Any]) -> None:
        for group, raw in data.get("tallies", ()):
            tally = Tally.load(raw)
            self.tallies.add(group, tally)
            if tally.alert is not None:
                heapq.heappush(self.alerts, (tally.alert.end, group))
        for raw in data.get("windows", ()):
            window = Window.load(raw)
            self.windows.add(window.group, window)


class EventCountOperator(CountingOperator):
    kind = "event_count"


class ValueCountOperator(CountingOperator):
    kind = "value_count"
