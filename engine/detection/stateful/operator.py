"""What every stateful operator has in common, and what it needs from the stage.

An operator is fed one sorted sequence of hits (`accept`), told how far event time has gone
(`expire`: close windows that end at or before that time, forget groups that can no longer
fire), and at the end of input closes what is left (`close_all`). It reports windows that make a
finding through `Output.report`; the stage turns them into findings and decides, at the end of a
run that keeps its state, which may be reported yet."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from engine.detection.stateful.buffer import ReorderBuffer
from engine.detection.stateful.clock import iso
from engine.detection.stateful.groups import GroupTable
from engine.detection.stateful.settings import WindowSettings
from engine.detection.stateful.spec import StatefulSpec
from engine.detection.stateful.window import Hit, Window

if TYPE_CHECKING:
    from engine.detection.compiled_rule import CompiledRule


class Output(Protocol):
    settings: WindowSettings

    def report(self, operator: Operator, window: Window, *, settled: bool) -> None:
        """A window makes a finding. `settled` is False when more events could still change
        whether it holds (counts compared with lt, lte, eq or neq): such a window is reported
        at the end of input only when no state is kept for a later run."""

    def evicted(self, operator: Operator) -> None:
        """A group was dropped because the table was full."""


class Operator(ABC):
    kind: ClassVar[str]

    def __init__(self, rule: CompiledRule, spec: StatefulSpec, out: Output) -> None:
        self.rule = rule
        self.spec = spec
        self.out = out
        self.max_ids = out.settings.max_event_ids
        self.buffer = ReorderBuffer()
        self.id = rule.id  # read for every hit: an attribute, not a property

    def rank(self, rule_id: str) -> int:
        """Where a member's events sort among events of the same second (see ReorderBuffer)."""
        return 0

    def window_id(self, window: Window) -> str:
        """What, with the rule id, makes the finding id: the group and where its window starts."""
        return f"{self.kind}\x1f{window.group}\x1f{iso(window.start)}"

    @abstractmethod
    def accept(self, hit: Hit) -> None: ...

    @abstractmethod
    def expire(self, now: float) -> None: ...

    @abstractmethod
    def close_all(self) -> None: ...

    @abstractmethod
    def groups(self) -> int: ...

    @abstractmethod
    def dump(self) -> dict[str, Any]: ...

    @abstractmethod
    def load(self, data: dict[str, Any]) -> None: ...


class SequenceOperator(Operator):
    """The correlations whose group holds a partial set or sequence (temporal, temporal_ordered):
    it makes no finding unless completed, and is forgotten once its latest step is a span old."""

    table: GroupTable[Any]

    def expire(self, now: float) -> None:
        span = self.spec.span
        while (front := self.table.front()) is not None and front[1].last + span <= now:
            self.table.pop(front[0])

    def close_all(self) -> None:
        for group, _ in self.table.items():  # an unfinished set or sequence makes no finding
            self.table.pop(group)

    def groups(self) -> int:
        return len(self.table)

    def _evict(self, group: str, state: Any) -> None:
        self.out.evicted(self)
