"""The same CloudTrail events written the ways they reach trailwarden: S3 delivery files, arrays,
JSON lines, LookupEvents pages, EventBridge events, CloudWatch Logs subscription payloads."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.decoding import Record, Skip, decode_blob, decode_bytes
from engine.sources import SourceOptions
from engine.sources.local import open_local
from tests.helpers import event

Event = dict[str, Any]


def sample_events(n: int = 7) -> list[Event]:
    """Distinct events of a few kinds, an Insights event among them."""
    names = ["CreateCluster", "DeleteRole", "ConsoleLogin", "AssumeRole", "PutBucketPolicy"]
    events = [
        event(
            eventName=names[i % len(names)], eventID=f"00000000-0000-0000-0000-{i:012d}", requestID=f"req-{i}"
        )
        for i in range(n - 1)
    ]
    events.append(
        {
            "eventVersion": "1.07",
            "eventTime": "2026-11-20T11:00:00Z",
            "awsRegion": "us-east-1",
            "eventID": "insight-0001",
            "eventType": "AwsCloudTrailInsight",
            "recipientAccountId": "111122223333",
            "insightDetails": {
                "state": "Start",
                "eventName": "DeleteRole",
                "insightType": "ApiCallRateInsight",
            },
            "eventCategory": "Insight",
        }
    )
    return events


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def json_lines(values: list[Any]) -> bytes:
    return b"".join(dumps(v) + b"\n" for v in values)


def lookup_entry(ev: Event) -> dict[str, Any]:
    return {
        "EventId": ev["eventID"],
        "EventName": ev.get("eventName"),
        "ReadOnly": "false",
        "EventTime": ev["eventTime"],
        "Username": "ci",
        "Resources": [],
        "CloudTrailEvent": json.dumps(ev),
    }


def eventbridge(ev: Event) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"eb-{ev['eventID']}",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.eks",
        "account": "111122223333",
        "time": ev["eventTime"],
        "region": "us-east-1",
        "resources": [],
        "detail": ev,
    }


def cloudwatch_payload(events: list[Event]) -> dict[str, Any]:
    return {
        "messageType": "DATA_MESSAGE",
        "owner": "111122223333",
        "logGroup": "aws-cloudtrail-logs",
        "logStream": "111122223333_CloudTrail_us-east-1",
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [
            {"id": str(i), "timestamp": 1795000000000 + i, "message": json.dumps(ev)}
            for i, ev in enumerate(events)
        ],
    }


CONTROL_MESSAGE = {
    "messageType": "CONTROL_MESSAGE",
    "owner": "CloudwatchLogs",
    "logGroup": "",
    "logStream": "",
    "subscriptionFilters": [],
    "logEvents": [{"id": "", "timestamp": 1795000000000, "message": "CWL CONTROL MESSAGE: Checking health"}],
}


def lambda_payload(events: list[Event]) -> dict[str, Any]:
    data = gzip.compress(dumps(cloudwatch_payload(events)))
    return {"awslogs": {"data": base64.b64encode(data).decode("ascii")}}


def decode_path(path: Path | str) -> list[Record | Skip]:
    """Everything the local source and the decoder make of a path (file or folder)."""
    items: list[Record | Skip] = []
    for blob in open_local(str(path), SourceOptions()):
        if isinstance(blob, Skip):
            items.append(blob)
        else:
            items.extend(decode_blob(blob))
    return items


def decode(data: bytes, name: str = "input.json") -> list[Record | Skip]:
    return list(decode_bytes(data, name))


def records(items: list[Record | Skip]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def skips(items: list[Record | Skip], *, error: bool | None = None) -> list[Skip]:
    return [i for i in items if isinstance(i, Skip) and (error is None or i.error == error)]


def events_of(items: list[Record | Skip]) -> list[Event]:
    return [record.event for record in records(items)]


def chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
