"""The state of decoding one input: its name, its limits, the running record index, and how many
skips it has reported — so a broken file yields a bounded, readable list of problems."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.decoding.events import normalise
from engine.decoding.limits import DecodeLimits
from engine.types import Origin, Record, Skip

if TYPE_CHECKING:
    from engine.decoding.lean import LeanPlan

Items = Iterator[Record | Skip]
# CloudTrail gives every event its own eventID: the same one twice in one input is one event read twice
DUPLICATE = "a record already read from this input (same eventID): evaluated once"


@dataclass(slots=True)
class DecodeContext:
    """Per input. `index` counts records and the skipped items of lists and envelopes, so it matches
    the position in `Records`, in a JSON array or across LookupEvents pages. A line of JSON lines that
    cannot be read at all takes no index: records from lines are cited by their line."""

    source: str
    limits: DecodeLimits
    index: int = 0
    reported: int = 0
    suppressed: int = 0
    lean: LeanPlan | None = None  # parse in full only what the plan wants (engine.decoding.lean)

    ids: set[str] = field(default_factory=set)  # the eventIDs read so far, to tell a record read twice

    def record(self, event: dict[str, Any], line: int | None) -> Record | Skip:
        """A record for an object already known to be an event, or a deliberate skip when the
        input already held it (same eventID); takes the next index."""
        if "eventTime" not in event:
            normalise(event)
        if self.repeated(event.get("eventID")):
            return self.duplicate(line)
        record = Record(event, Origin(self.source, self.index, line))
        self.index += 1
        return record

    def repeated(self, event_id: object) -> bool:
        """True when this input already held a record with this eventID; else remember it."""
        if event_id.__class__ is not str:
            return False
        ids = self.ids
        if event_id in ids:
            return True
        ids.add(event_id)
        if len(ids) > self.limits.max_remembered_ids:
            ids.clear()
        return False

    def duplicate(self, line: int | None) -> Skip:
        """The skip for a record the input already held: counted, never evaluated twice."""
        skip = Skip(self.where(line, self.index), DUPLICATE, error=False)
        self.index += 1
        return skip

    def where(self, line: int | None = None, index: int | None = None) -> str:
        if line is None and index is None:
            return self.source
        parts = [] if line is None else [f"line {line:,}"]
        if index is not None:
            parts.append(f"record {index:,}")
        return f"{self.source} ({', '.join(parts)})"

    def whole(self, reason: str, *, error: bool = True) -> Skip:
        """A skip for the whole input (never suppressed: there is at most a handful per input)."""
        return Skip(self.source, reason, error)

    def part(
        self, reason: str, line: int | None, index: int | None = None, *, error: bool = True
    ) -> tuple[Skip, ...]:
        """A skip for one line or record, as a tuple to `yield from`: empty once the input has used
        up its budget of reported errors (the count goes into the closing skip)."""
        if error:
            if self.reported >= self.limits.max_record_skips:
                self.suppressed += 1
                return ()
            self.reported += 1
        return (Skip(self.where(line, index), reason, error),)

    def bad_item(self, reason: str, line: int | None, *, error: bool = True) -> tuple[Skip, ...]:
        """A skip for the item at the current index, which it consumes."""
        skip = self.part(reason, line, self.index, error=error)
        self.index += 1
        return skip

    def closing(self) -> tuple[Skip, ...]:
        """The one skip that stands for every suppressed one, when there were any."""
        if not self.suppressed:
            return ()
        reason = (
            f"{self.suppressed:,} more lines or records could not be read "
            f"(only the first {self.limits.max_record_skips} problems are listed one by one)"
        )
        return (Skip(self.source, reason),)
