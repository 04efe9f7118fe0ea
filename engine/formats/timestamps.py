"""Event times as formats need them. CloudTrail writes `2024-08-01T13:29:57Z`; re-shaped exports
may carry offsets, fractions or nothing usable — those read as None, never as a guess."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from engine.event_time import parse_event_time


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string, or None when the value is not one."""
    moment = parse_event_time(value)
    return None if moment is None else moment.astimezone(UTC)


def finding_time(finding: Mapping[str, Any]) -> datetime | None:
    """When the finding happened: its event's time, else the window's last or first sighting."""
    for key in ("event_time", "last_seen", "first_seen"):
        moment = parse_time(finding.get(key))
        if moment is not None:
            return moment
    return None


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def rfc3339(moment: datetime) -> str:
    """`2024-08-01T13:29:57.000Z`: the form Security Hub and Elasticsearch both accept."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now() -> datetime:
    """The rendering time, for formats whose schema demands a time the finding does not carry."""
    return datetime.now(UTC)
