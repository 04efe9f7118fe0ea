"""EventBridge events: CloudTrail records arrive in `detail`, under an envelope whose `detail-type`
ends in "via CloudTrail" ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", …).

An archive of an event bus holds other events too (AWS Config changes, GuardDuty findings, EC2 state
changes): those are well-formed and simply not CloudTrail, so they are passed over with the event's
type as the reason rather than reported as errors. An envelope that claims CloudTrail but carries no
record in `detail` is an error."""

from __future__ import annotations

from typing import Any

from engine.decoding.context import DecodeContext, Items
from engine.decoding.events import is_event

_CLOUDTRAIL_SUFFIX = "via CloudTrail"


def matches(doc: dict[str, Any]) -> bool:
    return "detail-type" in doc and "detail" in doc


def expand(doc: dict[str, Any], ctx: DecodeContext, line: int | None) -> Items:
    detail = doc["detail"]
    if is_event(detail):
        yield ctx.record(detail, line)
        return
    kind = doc["detail-type"]
    if isinstance(kind, str) and kind.endswith(_CLOUDTRAIL_SUFFIX):
        yield from ctx.bad_item(f"EventBridge event {kind!r} has no CloudTrail record in its detail", line)
    else:
        yield from ctx.bad_item(f"EventBridge event {kind!r} is not a CloudTrail record", line, error=False)
