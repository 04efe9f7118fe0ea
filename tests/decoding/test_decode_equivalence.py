"""The same events, delivered every way CloudTrail reaches trailwarden, decode to the same list."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.decoding.builders import (
    CONTROL_MESSAGE,
    Event,
    chunks,
    cloudwatch_payload,
    decode_path,
    dumps,
    eventbridge,
    events_of,
    json_lines,
    lambda_payload,
    lookup_entry,
    sample_events,
    skips,
)

EVENTS = sample_events(7)


def s3_delivery(folder: Path, events: list[Event]) -> Path:
    """Two gzip files in the S3 layout, as CloudTrail writes them (one line, no newline)."""
    day = folder / "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20"
    day.mkdir(parents=True)
    for n, part in enumerate(chunks(events, 4)):
        name = f"111122223333_CloudTrail_us-east-1_20261120T10{n}0Z_abc{n}.json.gz"
        (day / name).write_bytes(gzip.compress(dumps({"Records": part})))
    return folder / "AWSLogs"


def json_array(folder: Path, events: list[Event]) -> Path:
    path = folder / "events.json"
    path.write_bytes(dumps(events))
    return path


def pretty_json_array(folder: Path, events: list[Event]) -> Path:
    path = folder / "events.json"
    path.write_text(json.dumps(events, indent=2))
    return path


def jsonl(folder: Path, events: list[Event]) -> Path:
    path = folder / "events.jsonl"
    path.write_bytes(json_lines(events))
    return path


def lookup_pages(folder: Path, events: list[Event]) -> Path:
    """What a script saving every page of `lookup-events` writes: a list of responses."""
    pages = [{"Events": [lookup_entry(e) for e in part], "NextToken": "t"} for part in chunks(events, 3)]
    path = folder / "lookup-pages.json"
    path.write_bytes(dumps(pages))
    return path


def lookup_single_page(folder: Path, events: list[Event]) -> Path:
    path = folder / "lookup.json"
    path.write_bytes(dumps({"Events": [lookup_entry(e) for e in events]}))
    return path


def eventbridge_array(folder: Path, events: list[Event]) -> Path:
    path = folder / "eventbridge.json"
    path.write_bytes(dumps([eventbridge(e) for e in events]))
    return path


def eventbridge_lines(folder: Path, events: list[Event]) -> Path:
    path = folder / "eventbridge.jsonl"
    path.write_bytes(json_lines([eventbridge(e) for e in events]))
    return path


def eventbridge_firehose(folder: Path, events: list[Event]) -> Path:
    """Firehose without a delimiter: envelopes back to back, gzip, under a name that hides it."""
    path = folder / "eventbridge-firehose-1"
    path.write_bytes(gzip.compress(b"".join(dumps(eventbridge(e)) for e in events)))
    return path


def cloudwatch_gzip(folder: Path, events: list[Event]) -> Path:
    """One subscription payload as Kinesis carries it: gzip of the JSON."""
    path = folder / "cwl-payload.bin"
    path.write_bytes(gzip.compress(dumps(cloudwatch_payload(events))))
    return path


def cloudwatch_firehose(folder: Path, events: list[Event]) -> Path:
    """Firehose to S3: one gzip member per payload, a control message first."""
    members = [gzip.compress(dumps(CONTROL_MESSAGE))]
    members += [gzip.compress(dumps(cloudwatch_payload(part))) for part in chunks(events, 3)]
    path = folder / "cwl-firehose.gz"
    path.write_bytes(b"".join(members))
    return path


def cloudwatch_lambda(folder: Path, events: list[Event]) -> Path:
    path = folder / "lambda-event.json"
    path.write_bytes(dumps(lambda_payload(events)))
    return path


FORMS: list[Callable[[Path, list[Event]], Path]] = [
    s3_delivery,
    json_array,
    pretty_json_array,
    jsonl,
    lookup_pages,
    lookup_single_page,
    eventbridge_array,
    eventbridge_lines,
    eventbridge_firehose,
    cloudwatch_gzip,
    cloudwatch_firehose,
    cloudwatch_lambda,
]


@pytest.mark.parametrize("write", FORMS, ids=[f.__name__ for f in FORMS])
def test_every_delivery_form_decodes_to_the_same_events_in_order(tmp_path: Path, write: Callable) -> None:
    """Whatever the envelope, the engine sees exactly the original events (the Insights one among
    them, as a record), in order, with no error."""
    items = decode_path(write(tmp_path, EVENTS))
    assert skips(items, error=True) == []
    assert events_of(items) == EVENTS


def test_firehose_control_message_is_passed_over_without_error(tmp_path: Path) -> None:
    """A CONTROL_MESSAGE is dropped as a deliberate skip, never counted as unreadable input."""
    items = decode_path(cloudwatch_firehose(tmp_path, EVENTS))
    assert [s.reason for s in skips(items)] == ["CloudWatch Logs control message"]
    assert not skips(items)[0].error
