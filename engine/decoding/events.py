"""What counts as a CloudTrail record, and the little that is normalised on the way in.

A record is a JSON object with `eventName` (API calls, console sign-ins, service events) or
`eventType` (also Insights events, whose `eventName` sits inside `insightDetails`).

Normalised, and nothing more: events re-shaped by Logstash carry their time in `@timestamp`
(`2020-09-14T00:44:23.000Z`) instead of `eventTime`. Such an event gets `eventTime` from it, in
CloudTrail's own form (`2020-09-14T00:44:23Z`) when the fraction is zero, so event-time windows and
findings work. `@timestamp`, `@version` and every other field stay as they were; no field is
invented when neither time is present."""

from __future__ import annotations

from typing import Any

_LOGSTASH_TIME = "@timestamp"
_KINDS = {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string", list: "array"}


def is_event(value: Any) -> bool:
    return type(value) is dict and ("eventName" in value or "eventType" in value)


def json_kind(value: Any) -> str:
    """What a parsed value was in the JSON text, in JSON's words (for skip reasons)."""
    return _KINDS.get(type(value), "object")


def normalise(event: dict[str, Any]) -> None:
    """Called only for events without `eventTime`, so ordinary CloudTrail pays one key lookup."""
    stamp = event.get(_LOGSTASH_TIME)
    if isinstance(stamp, str):
        event["eventTime"] = stamp[:-5] + "Z" if stamp.endswith(".000Z") else stamp
