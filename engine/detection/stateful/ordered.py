"""temporal_ordered correlation: the referenced rules match in the listed order for one group, all
within the timespan (from the first step's event to the last's).

For each step a group keeps the partial chain that reached it with the latest start — events
arrive in time order, so that chain can be completed whenever any other could, and memory per
group is one chain per step. Events of the same second are released in step order (see
ReorderBuffer), so a second-granular trail still reads "created, then granted"."""

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
class Chain:
    start: float
    ids: list[str | None]


@dataclass(slots=True)
class Progress:
    last: float
    steps: list[Chain | None] = field(default_factory=list)  # steps[i]: best chain through step i


class OrderedOperator(SequenceOperator):
    kind = "temporal_ordered"

    def __init__(self, rule: CompiledRule, spec: StatefulSpec, out: Output) -> None:
        super().__init__(rule, spec, out)
        self.length = len(spec.members)
        # Positions of each rule in the sequence, last first: one event advances one step only.
        self.positions: dict[str, list[int]] = {}
        for i, member in enumerate(spec.members):
            self.positions.setdefault(member, []).insert(0, i)
        self.table: GroupTable[Progress] = GroupTable(out.settings.max_groups, self._evict)

    def rank(self, rule_id: str) -> int:
        return min(self.positions.get(rule_id, [0]))

    def window_id(self, window: Window) -> str:
        return f"{self.kind}\x1f{window.group}\x1f{iso(window.start)}\x1f{window.ids}"

    def accept(self, hit: Hit) -> None:
        positions = self.positions.get(hit.rule_id, [])
        progress = self.table.get(hit.group)
        if progress is None:
            if 0 not in positions:
                return  # a later step with no start before it
            progress = Progress(hit.time, [None] * (self.length - 1))
            self.table.add(hit.group, progress)
        else:
            self.table.touch(hit.group)
            progress.last = hit.time
        for i in positions:
            chain = self._extend(progress, i, hit)
            if chain is None:
                continue
            if i == self.length - 1:
                self.table.pop(hit.group)
                self.out.report(self, self._window(hit, chain), settled=True)
                return
            held = progress.steps[i]
            if held is None or chain.start >= held.start:
                progress.steps[i] = chain

    def _extend(self, progress: Progress, i: int, hit: Hit) -> Chain | None:
        if i == 0:
            return Chain(hit.time, [hit.event_id])
        before = progress.steps[i - 1]
        if before is None or hit.time - before.start >= self.spec.span:
            return None
        return Chain(before.start, [*before.ids, hit.event_id])

    def _window(self, hit: Hit, chain: Chain) -> Window:
        window = Window.open(hit, self.spec.span, start=chain.start)
        window.first = chain.start
        window.count = len(chain.ids)
        for event_id in chain.ids:
            window.note_id(event_id, self.max_ids)
        return window

    def dump(self) -> dict[str, Any]:
        groups = []
        for group, progress in self.table.items():
            steps = [None if c is None else [c.start, c.ids] for c in progress.steps]
            groups.append([group, progress.last, steps])
        return {"groups": groups}

    def load(self, data: dict[str, Any]) -> None:
        for group, last, steps in data.get("groups", ()):
            chains = [None if s is None else Chain(float(s[0]), list(s[1])) for s in steps]
            self.table.add(group, Progress(float(last), chains))
