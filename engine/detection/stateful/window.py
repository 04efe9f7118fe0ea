"""The two records stateful detection keeps: a `Hit` (one matching event on its way to an operator)
and a `Window` (what one finding will be made of: a group, a time span, a count, the event ids and
one representative event). Both turn into plain JSON for the state file and back.

An event a parallel worker matched reaches the parent's windows as orjson text (`EventData`), and
stays text until a finding shows it or the state file stores it: most of those events wait in a
reorder buffer and only ever count, so parsing them all would be the parent's largest serial cost,
and the text is a fraction of the memory of the dict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from engine.types import Origin

EventData = dict[str, Any] | bytes  # bytes: the event as orjson wrote it


def event_dict(data: EventData) -> dict[str, Any]:
    """The event itself, parsed if it is still text."""
    if isinstance(data, bytes):
        parsed: dict[str, Any] = orjson.loads(data)
        return parsed
    return data


def event_id_of(event: dict[str, Any]) -> str | None:
    found = event.get("eventID")
    return found if isinstance(found, str) else None


@dataclass(slots=True)
class Hit:
    """One event that a member rule matched, as an operator receives it."""

    time: float
    rule_id: str
    event: EventData
    origin: Origin
    group: str  # the operator's group key (canonical JSON of the key values)
    key: str  # the event's identity: eventID, or a digest of the record
    value: str | None  # value_count: the counted field's value, as canonical JSON
    event_id: str | None  # the eventID as the finding lists it (None when absent or not text)

    def dump(self) -> list[Any]:
        event = event_dict(self.event)
        return [self.time, self.rule_id, event, _origin(self.origin), self.group, self.key, self.value]

    @classmethod
    def load(cls, data: list[Any]) -> Hit:
        time, rule_id, event, where, group, key, value = data
        return cls(
            float(time),
            str(rule_id),
            event,
            _load_origin(where),
            str(group),
            str(key),
            value,
            event_id_of(event),
        )


@dataclass(slots=True)
class Window:
    """An open window of one group: from `start` to `end` (exclusive) in event time.

    `event`/`origin` are what the finding shows (the first event for dedup, the last for the
    others); `ids` keeps the first `max_ids` event ids and `truncated` says when more went by."""

    group: str
    start: float
    end: float
    event: EventData
    origin: Origin
    first: float
    last: float
    count: int = 0
    ids: list[str | None] = field(default_factory=list)
    truncated: bool = False
    values: list[str] = field(default_factory=list)  # value_count: distinct values (canonical JSON), bounded
    distinct: int = 0  # value_count: how many distinct values, exact up to the bound on `values`
    reported: bool = False  # rising windows: the condition held, a finding is due at close

    def add(self, hit: Hit, max_ids: int, *, represent: bool = True) -> None:
        """Count one more event; `represent` makes it the event the finding shows."""
        self.count += 1
        self.first = min(self.first, hit.time)
        self.last = max(self.last, hit.time)
        self.note_id(hit.event_id, max_ids)
        if represent:
            self.event = hit.event
            self.origin = hit.origin

    def note_id(self, event_id: str | None, max_ids: int) -> None:
        if len(self.ids) < max_ids:
            self.ids.append(event_id)
        else:
            self.truncated = True

    def note_value(self, value: str | None, max_values: int) -> None:
        if value is None or value in self.values:
            return
        if len(self.values) < max_values:
            self.values.append(value)
            self.distinct += 1
        else:
            self.truncated = True

    @classmethod
    def open(cls, hit: Hit, span: float, *, start: float | None = None) -> Window:
        begin = hit.time if start is None else start
        return cls(hit.group, begin, begin + span, hit.event, hit.origin, hit.time, hit.time)

    def dump(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "start": self.start,
            "end": self.end,
            "event": event_dict(self.event),
            "origin": _origin(self.origin),
            "first": self.first,
            "last": self.last,
            "count": self.count,
            "ids": self.ids,
            "truncated": self.truncated,
            "values": self.values,
            "distinct": self.distinct,
            "reported": self.reported,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Window:
        return cls(
            group=data["group"],
            start=float(data["start"]),
            end=float(data["end"]),
            event=data["event"],
            origin=_load_origin(data["origin"]),
            first=float(data["first"]),
            last=float(data["last"]),
            count=int(data["count"]),
            ids=list(data["ids"]),
            truncated=bool(data["truncated"]),
            values=list(data["values"]),
            distinct=int(data["distinct"]),
            reported=bool(data["reported"]),
        )


def _origin(origin: Origin) -> list[Any]:
    return [origin.source, origin.index, origin.line]


def _load_origin(data: list[Any]) -> Origin:
    source, index, line = data
    return Origin(str(source), int(index), None if line is None else int(line))
