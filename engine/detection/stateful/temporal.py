"""temporal correlation: the referenced rules all match (in any order) for one group within the
timespan — or, with a condition, at least N of them.

Each group keeps the latest event of each rule inside the timespan; the moment enough rules are
present the finding is made (its window starts at the earliest of those events) and the group
starts afresh, so one set of events makes one finding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.detection.stateful.clock import iso
from engine.detection.stateful.groups import GroupTable
from engine.detection.stateful.operator import Output, SequenceOperator
from engine.detection.stateful.spec import StatefulSpec
from engine.detection.stateful.window import Hit, Window

if TYPE_CHECKING:
    from engine.detection.compiled_rule import CompiledRule


@dataclass(slots=True)
class Sighting:
    last: float
    seen: dict[str, tuple[float, str | None]] = field(default_factory=dict)  # rule -> latest (time, id)


class TemporalOperator(SequenceOperator):
    kind = "temporal"

    def __init__(self, rule: CompiledRule, spec: StatefulSpec, out: Output) -> None:
        super().__init__(rule, spec, out)
        self.needed = spec.condition.needed if spec.condition else len(set(spec.members))
        self.table: GroupTable[Sighting] = GroupTable(out.settings.max_groups, self._evict)

    def window_id(self, window: Window) -> str:
        """Two sets of events of one group may start in the same second: the ids tell them apart."""
        return f"{self.kind}\x1f{window.group}\x1f{iso(window.start)}\x1f{window.ids}"

    def accept(self, hit: Hit) -> None:
        sighting = self.table.get(hit.group)
        if sighting is None:
            sighting = Sighting(hit.time)
            self.table.add(hit.group, sighting)
        else:
            self.table.touch(hit.group)
            sighting.last = hit.time
        seen = sighting.seen
        seen[hit.rule_id] = (hit.time, hit.event_id)
        cutoff = hit.time - self.spec.span
        for rule_id in [r for r, (t, _) in seen.items() if t <= cutoff]:
            del seen[rule_id]
        if len(seen) >= self.needed:
            self.table.pop(hit.group)
            self.out.report(self, self._window(hit, seen), settled=True)

    def _window(self, hit: Hit, seen: dict[str, tuple[float, str | None]]) -> Window:
        events = sorted(seen.values(), key=lambda s: (s[0], s[1] or ""))
        window = Window.open(hit, self.spec.span, start=events[0][0])
        window.first = events[0][0]
        for _, event_id in events:
            window.count += 1
            window.note_id(event_id, self.max_ids)
        return window

    def dump(self) -> dict[str, Any]:
        return {
            "groups": [
                [group, s.last, [[r, t, i] for r, (t, i) in s.seen.items()]]
                for group, s in self.table.items()
            ]
        }

    def load(self, data: dict[str, Any]) -> None:
        for group, last, seen in data.get("groups", ()):
            self.table.add(group, Sighting(float(last), {r: (float(t), i) for r, t, i in seen}))
