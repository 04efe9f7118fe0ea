"""From a parsed JSON document to records: recognise its shape and walk it.

Lists of records are walked here — `{"Records": […]}` (S3 delivery, Insights files), a bare array,
LookupEvents pages (`{"Events": […]}`, alone or as a saved list of pages) — and the item of a list
may itself be an envelope (an array of EventBridge events, of LookupEvents entries…), which the
modules in `shapes/` unwrap. The common case, an item that is already an event, never leaves the
loop in `expand_items`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.decoding.context import DecodeContext, Items
from engine.decoding.events import is_event, json_kind
from engine.decoding.shapes import cloudwatch, digest, eventbridge, lookup
from engine.types import Origin, Record

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Shape:
    """An envelope kind: how to recognise it among an object's keys, and how to unwrap it."""

    name: str
    matches: Callable[[Document], bool]
    expand: Callable[[Document, DecodeContext, int | None], Items]


def _is_records(doc: Document) -> bool:
    return "Records" in doc


def _is_page(doc: Document) -> bool:
    return "Events" in doc


def _expand_records(doc: Document, ctx: DecodeContext, line: int | None) -> Items:
    records = doc["Records"]
    if not isinstance(records, list):
        return iter(ctx.part(f"'Records' is a JSON {json_kind(records)}, not a list of records", line))
    if _is_s3_notification(records):
        return iter(ctx.part("S3 event notification, not CloudTrail", line, error=False))
    return expand_items(records, ctx, line)


def _expand_page(doc: Document, ctx: DecodeContext, line: int | None) -> Items:
    events = doc["Events"]
    if not isinstance(events, list):
        return iter(ctx.part(f"'Events' is a JSON {json_kind(events)}, not a list of events", line))
    return expand_items(events, ctx, line)


# Checked in this order; a document that is itself an event never gets here.
SHAPES: tuple[Shape, ...] = (
    Shape("S3 delivery (Records)", _is_records, _expand_records),
    Shape("LookupEvents page", _is_page, _expand_page),
    Shape("LookupEvents entry", lookup.matches, lookup.expand),
    Shape("EventBridge event", eventbridge.matches, eventbridge.expand),
    Shape("CloudWatch Logs payload", cloudwatch.matches, cloudwatch.expand),
    Shape("CloudWatch Logs payload for Lambda", cloudwatch.matches_lambda, cloudwatch.expand_lambda),
    Shape("CloudTrail digest", digest.matches, digest.expand),
)

_NOT_CLOUDTRAIL = "not CloudTrail: a JSON object without Records, Events, detail or eventName"


def expand(doc: Any, ctx: DecodeContext, line: int | None) -> Items:
    """The records of one top-level document: a whole file, or one line of JSON lines.

    A plain function returning the shape's iterator, not a generator: every generator between the
    records and the engine costs each record a resumption."""
    if type(doc) is list:
        return expand_items(doc, ctx, line)
    if type(doc) is not dict:
        return iter(ctx.part(f"not CloudTrail: a JSON {json_kind(doc)}, not an object or an array", line))
    if is_event(doc):
        return iter((ctx.record(doc, line),))
    shape = _shape_of(doc)
    if shape is None:
        return iter(ctx.part(f"{_NOT_CLOUDTRAIL} (keys: {_keys(doc)})", line))
    return shape.expand(doc, ctx, line)


def expand_items(items: list[Any], ctx: DecodeContext, line: int | None) -> Items:
    """Each item an event, an envelope of one, or a skip naming its index; the rest still counts."""
    source = ctx.source
    ids, most = ctx.ids, ctx.limits.max_remembered_ids  # ctx.repeated, inlined below
    for item in items:
        if type(item) is dict and ("eventName" in item or "eventType" in item):
            if "eventTime" not in item:
                yield ctx.record(item, line)
                continue
            # inlined ctx.record: this is the per-event path of every S3 file
            event_id = item.get("eventID")
            if event_id.__class__ is str:
                if event_id in ids:
                    yield ctx.duplicate(line)
                    continue
                ids.add(event_id)
                if len(ids) > most:
                    ids.clear()
            yield Record(item, Origin(source, ctx.index, line))
            ctx.index += 1
            continue
        shape = _shape_of(item) if type(item) is dict else None
        if shape is not None:
            yield from shape.expand(item, ctx, line)
        elif type(item) is dict:
            yield from ctx.bad_item(
                f"a JSON object without eventName or eventType (keys: {_keys(item)})", line
            )
        else:
            yield from ctx.bad_item(f"a JSON {json_kind(item)}, not a CloudTrail record", line)


def _shape_of(doc: Document) -> Shape | None:
    for shape in SHAPES:
        if shape.matches(doc):
            return shape
    return None


def _is_s3_notification(records: list[Any]) -> bool:
    """S3 event notifications also come as `{"Records": [...]}` with an `eventName`; they point at
    objects rather than describe API calls. Judged on the first record: a batch is never mixed."""
    first = records[0] if records else None
    return type(first) is dict and first.get("eventSource") == "aws:s3" and "s3" in first


def _keys(doc: Document, most: int = 5) -> str:
    keys = [key if len(key) <= 40 else key[:39] + "…" for key in list(doc)[:most]]
    more = ", …" if len(doc) > most else ""
    return ", ".join(keys) + more if keys else "none"
