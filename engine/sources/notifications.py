"""What a queued notification asks trailwarden to read — shared by the SQS source and the Lambda
handler, which receive the same message bodies.

- S3 event notifications (`Records[].s3`): the objects created; keys arrive URL-encoded.
- `s3:TestEvent`, sent when a bucket notification is configured: nothing to read.
- SNS envelopes (`{"Type": "Notification", "Message": "…"}`): the message inside, parsed again —
  CloudTrail's own SNS notifications (`{"s3Bucket", "s3ObjectKey": [...]}`) come this way, or bare
  when the subscription uses raw message delivery.
- EventBridge "Object Created" events from S3: the object named in `detail`.
- Anything else that is JSON (EventBridge CloudTrail events, CloudWatch Logs payloads, `Records`):
  the body itself, for decoding to read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus


@dataclass(frozen=True, slots=True)
class ObjectNotice:
    bucket: str
    key: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """The objects a notification names, or a payload to decode, or why there is nothing to read."""

    objects: tuple[ObjectNotice, ...] = ()
    payload: bytes | None = None
    nothing: str | None = None


class NotificationError(ValueError):
    """The body is not a notification or event that can be read; the message says why."""


def parse_notification(body: str | bytes) -> Notice:
    data = _json(body, "message body")
    if isinstance(data, dict) and data.get("Type") in ("Notification", "SubscriptionConfirmation"):
        if data["Type"] == "SubscriptionConfirmation":
            return Notice(nothing="SNS subscription confirmation")
        message = data.get("Message")
        if not isinstance(message, str):
            raise NotificationError("SNS notification without a Message string")
        inner = _json(message, "SNS Message")
        return _classify(inner, message.encode())
    return _classify(data, body.encode() if isinstance(body, str) else body)


def _classify(data: Any, raw: bytes) -> Notice:
    if not isinstance(data, dict):
        return Notice(payload=raw)  # a JSON array of events: decoding reads it
    if data.get("Event") == "s3:TestEvent":
        return Notice(nothing="s3:TestEvent")
    if "s3Bucket" in data or "s3ObjectKey" in data:
        return _cloudtrail_notice(data)
    records = data.get("Records")
    if isinstance(records, list) and records and all(_is_s3_record(r) for r in records):
        return _s3_notice(records)
    if data.get("source") == "aws.s3" and data.get("detail-type") == "Object Created":
        return _eventbridge_s3_notice(data)
    return Notice(payload=raw)


def _cloudtrail_notice(data: dict[str, Any]) -> Notice:
    bucket, keys = data.get("s3Bucket"), data.get("s3ObjectKey")
    if not isinstance(bucket, str) or not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise NotificationError("CloudTrail notification needs s3Bucket (a string) and s3ObjectKey (a list)")
    return Notice(objects=tuple(ObjectNotice(bucket, key) for key in keys))


def _is_s3_record(record: Any) -> bool:
    return isinstance(record, dict) and record.get("eventSource") == "aws:s3" and "s3" in record


def _s3_notice(records: list[dict[str, Any]]) -> Notice:
    objects = []
    for record in records:
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue  # removals, restores, lifecycle: no new log file
        try:
            bucket = record["s3"]["bucket"]["name"]
            key = unquote_plus(record["s3"]["object"]["key"])
        except (KeyError, TypeError) as exc:
            raise NotificationError(
                f"S3 event record without s3.bucket.name or s3.object.key ({exc})"
            ) from exc
        objects.append(ObjectNotice(bucket, key, record["s3"]["object"].get("size")))
    if not objects:
        return Notice(nothing="S3 event other than ObjectCreated")
    return Notice(objects=tuple(objects))


def _eventbridge_s3_notice(data: dict[str, Any]) -> Notice:
    detail = data.get("detail") or {}
    try:
        bucket, key = detail["bucket"]["name"], detail["object"]["key"]
    except (KeyError, TypeError) as exc:
        raise NotificationError(f"EventBridge Object Created event without bucket or key ({exc})") from exc
    return Notice(objects=(ObjectNotice(bucket, key, detail["object"].get("size")),))


def _json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise NotificationError(f"{what} is not JSON ({exc})") from exc
