"""dedup: one finding per key per window, emitted when the window closes.

The window of a key opens at the first matching event (in event time) and lasts the rule's
`window`; repeats inside it only raise the count. At close the finding shows the first event,
with `count`, `first_seen`, `last_seen` and the event ids. Emitting at close (rather than at the
first event and again as an update) gives exactly one line per window and the same output
whatever the arrival order — at the price of reporting a key's first event when its window ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.detection.stateful.groups import GroupTable
from engine.detection.stateful.operator import Operator, Output
from engine.detection.stateful.spec import StatefulSpec
from engine.detection.stateful.window import Hit, Window

if TYPE_CHECKING:
    from engine.detection.compiled_rule import CompiledRule


class DedupOperator(Operator):
    kind = "dedup"

    def __init__(self, rule: CompiledRule, spec: StatefulSpec, out: Output) -> None:
        super().__init__(rule, spec, out)
        # Windows of one rule all last the same time, so creation order is closing order.
        self.windows: GroupTable[Window] = GroupTable(out.settings.max_groups, self._evict)

    def accept(self, hit: Hit) -> None:
        window = self.windows.get(hit.group)
        if window is None:
            window = Window.open(hit, self.spec.span)
            window.add(hit, self.max_ids)
            self.windows.add(hit.group, window)
        else:
            window.add(hit, self.max_ids, represent=False)

    def expire(self, now: float) -> None:
        while (front := self.windows.front()) is not None and front[1].end <= now:
            self.windows.pop(front[0])
            self.out.report(self, front[1], settled=True)

    def close_all(self) -> None:
        for key, window in self.windows.items():
            self.windows.pop(key)
            self.out.report(self, window, settled=True)

    def groups(self) -> int:
        return len(self.windows)

    def _evict(self, key: str, window: Window) -> None:
        self.out.evicted(self)
        self.out.report(self, window, settled=True)

    def dump(self) -> dict[str, Any]:
        return {"windows": [window.dump() for _, window in self.windows.items()]}

    def load(self, data: dict[str, Any]) -> None:
        for raw in data.get("windows", ()):
            window = Window.load(raw)
            self.windows.add(window.group, window)
