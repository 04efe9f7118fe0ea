"""CloudTrail's `eventTime`, read once the same way everywhere (windows, formats).

CloudTrail writes UTC ISO 8601 (`2026-11-20T10:05:00Z`); re-shaped exports may carry offsets,
fractions or drop the `Z` (still UTC: that is what CloudTrail meant). Anything that is not a time
reads as None, never as a guess. `datetime.fromisoformat` is C code in 3.11 and takes the `Z`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_event_time(value: Any) -> datetime | None:
    """An aware UTC datetime, or None when the value is not an ISO 8601 time."""
    if value.__class__ is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def event_seconds(value: Any) -> float | None:
    """Epoch seconds of an event time (what windows count in), or None."""
    moment = parse_event_time(value)
    return None if moment is None else moment.timestamp()
