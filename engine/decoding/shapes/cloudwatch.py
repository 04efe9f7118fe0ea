"""CloudWatch Logs subscription payloads: a trail that sends to a log group, subscribed by Kinesis,
Firehose or Lambda, delivers `{"messageType": "DATA_MESSAGE", "logEvents": [{"message": "<json>"}]}`
— gzip-compressed by CloudWatch Logs, and for Lambda also base64-encoded under `awslogs.data`.

Each `message` is one CloudTrail record as a JSON string. `CONTROL_MESSAGE` payloads are CloudWatch
Logs checking that the destination is reachable; they carry no events and are passed over."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from engine.decoding.compression import gunzip_bytes
from engine.decoding.context import DecodeContext, Items
from engine.decoding.events import is_event
from engine.decoding.jsontext import JSONProblem, iter_documents, loads
from engine.errors import DecodeError

CONTROL_REASON = "CloudWatch Logs control message"


def matches(doc: dict[str, Any]) -> bool:
    return "messageType" in doc and "logEvents" in doc


def expand(doc: dict[str, Any], ctx: DecodeContext, line: int | None) -> Items:
    kind = doc["messageType"]
    if kind == "CONTROL_MESSAGE":
        yield from ctx.part(CONTROL_REASON, line, error=False)
        return
    entries = doc["logEvents"]
    if kind != "DATA_MESSAGE" or not isinstance(entries, list):
        yield from ctx.part(f"CloudWatch Logs payload of unknown form (messageType {kind!r})", line)
        return
    group = doc.get("logGroup", "?")
    for entry in entries:
        yield from _entry(entry, group, ctx, line)


def _entry(entry: Any, group: Any, ctx: DecodeContext, line: int | None) -> Items:
    message = entry.get("message") if isinstance(entry, dict) else None
    if not isinstance(message, str):
        yield from ctx.bad_item("CloudWatch Logs log event without a message", line)
        return
    try:
        event = loads(message, ctx.limits.max_depth)
    except JSONProblem as problem:
        reason = f"log event of {group} is not CloudTrail JSON: {problem.describe(single_line=True)}"
        yield from ctx.bad_item(reason, line)
        return
    if is_event(event):
        yield ctx.record(event, line)
    else:
        yield from ctx.bad_item(f"log event of {group} holds JSON that is not a CloudTrail record", line)


def matches_lambda(doc: dict[str, Any]) -> bool:
    inner = doc.get("awslogs")
    return isinstance(inner, dict) and "data" in inner


def expand_lambda(doc: dict[str, Any], ctx: DecodeContext, line: int | None) -> Items:
    """`{"awslogs": {"data": base64(gzip(payload))}}`, the event a subscribed Lambda receives."""
    data = doc["awslogs"]["data"]
    try:
        payload = gunzip_bytes(base64.b64decode(data, validate=True), ctx.limits.max_document_bytes)
        documents = list(iter_documents(payload, ctx.limits.max_depth))
    except (binascii.Error, TypeError, ValueError) as exc:
        reason = exc.describe() if isinstance(exc, JSONProblem) else f"not base64 ({exc})"
        yield from ctx.part(f"awslogs.data: {reason}", line)
        return
    except DecodeError as exc:
        yield from ctx.part(f"awslogs.data: {exc.message}", line)
        return
    for payload_doc in documents:
        if isinstance(payload_doc, dict) and matches(payload_doc):
            yield from expand(payload_doc, ctx, line)
        else:
            yield from ctx.part("awslogs.data does not hold a CloudWatch Logs payload", line)
