"""A rule made ready to run: the match table, the condition predicate, the exceptions (its own,
its overrides' and the filters that apply to it), the output template and the context — all
compiled once, so evaluating an event is a handful of dict look-ups and closure calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.detection.conditions import Predicate
from engine.rules.expressions import Search
from engine.rules.model import Rule

if TYPE_CHECKING:
    from engine.detection.stateful.spec import StatefulSpec

INSIGHT = "AwsCloudTrailInsight"

MatchCheck = tuple[tuple[str, ...], tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Suppressor:
    """An exception or a filter: when `holds(event)`, the finding is suppressed and `name` says why."""

    name: str
    holds: Predicate


@dataclass(slots=True)
class CompiledRule:
    rule: Rule
    severity: str
    tags: tuple[str, ...]
    sources: frozenset[str] | None  # eventSource values the rule is pinned to (None: any)
    names: frozenset[str] | None  # eventName values the rule is pinned to (None: any)
    insight: bool  # True when the rule asks for Insights events (match: eventType: AwsCloudTrailInsight)
    checks: tuple[MatchCheck, ...]  # the other match keys, checked per event
    predicate: Predicate
    suppressors: tuple[Suppressor, ...]
    render_title: Callable[[Any], str]
    context: tuple[tuple[str, Search], ...]
    enabled: bool = True
    stateful: StatefulSpec | None = None  # dedup, threshold or correlation: run by engine.detection.stateful
    id: str = field(init=False)  # the rule's id, read for every match: an attribute, not a property

    def __post_init__(self) -> None:
        self.id = self.rule.id

    def matches(self, event: dict[str, Any]) -> bool:
        """True when the event meets the match table and the condition (may raise on odd events)."""
        for path, allowed in self.checks:
            if lookup(event, path) not in allowed:
                return False
        return self.predicate(event)

    def suppressed_by(self, event: dict[str, Any]) -> str | None:
        for suppressor in self.suppressors:
            if suppressor.holds(event):
                return suppressor.name
        return None

    def context_values(self, event: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, search in self.context:
            try:
                out[key] = search(event)
            except Exception:  # context is evidence, not detection: a field that errors is left null
                out[key] = None
        return out


_MISSING = object()


def lookup(event: Any, path: tuple[str, ...]) -> Any:
    """Walk a dotted path through nested objects; anything missing gives None."""
    value = event
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key, _MISSING)
        if value is _MISSING:
            return None
    return value
