"""Each envelope's edge cases: what is passed over on purpose, what is an error, and where records
say they came from."""

from __future__ import annotations

import base64
import gzip
import json

from engine.decoding import Record, decode_blob
from engine.types import Blob
from tests.decoding.builders import (
    CONTROL_MESSAGE,
    cloudwatch_payload,
    decode,
    dumps,
    eventbridge,
    events_of,
    json_lines,
    records,
    sample_events,
    skips,
)
from tests.helpers import event

EVENTS = sample_events(4)


def test_eventbridge_events_that_are_not_cloudtrail_are_passed_over_with_their_type() -> None:
    """An event-bus archive mixes in AWS Config changes: passed over (not errors), the type named."""
    config = {
        "version": "0",
        "detail-type": "Config Configuration Item Change",
        "source": "aws.config",
        "detail": {"configurationItem": {"resourceType": "AWS::EC2::Instance"}, "messageType": "X"},
    }
    items = decode(json_lines([eventbridge(EVENTS[0]), config, eventbridge(EVENTS[1])]), "bus.jsonl")
    assert events_of(items) == EVENTS[:2]
    [skip] = skips(items)
    assert (skip.where, skip.error) == ("bus.jsonl (line 2, record 1)", False)
    assert skip.reason == "EventBridge event 'Config Configuration Item Change' is not a CloudTrail record"


def test_an_eventbridge_cloudtrail_envelope_without_a_record_is_an_error() -> None:
    """`detail-type` promises CloudTrail but `detail` holds none: that is damage, reported as such."""
    envelope = dict(eventbridge(EVENTS[0]), detail={})
    [skip] = decode(dumps(envelope), "eb.json")
    assert skip.error
    assert (
        skip.reason
        == "EventBridge event 'AWS API Call via CloudTrail' has no CloudTrail record in its detail"
    )


def test_a_control_message_alone_is_a_deliberate_skip() -> None:
    """A Kinesis record holding only the CloudWatch Logs health check yields no record and no error."""
    [skip] = decode(gzip.compress(dumps(CONTROL_MESSAGE)), "control.gz")
    assert (skip.reason, skip.error) == ("CloudWatch Logs control message", False)


def test_a_log_event_that_is_not_json_is_skipped_naming_its_record_and_group() -> None:
    """In a subscription payload, one bad message is skipped alone; its neighbours count."""
    payload = cloudwatch_payload(EVENTS[:3])
    payload["logEvents"][1]["message"] = "START RequestId: 1234 Version: $LATEST"
    items = decode(gzip.compress(dumps(payload)), "cwl.gz")
    assert events_of(items) == [EVENTS[0], EVENTS[2]]
    [skip] = skips(items)
    assert skip.where == "cwl.gz (record 1)"
    assert skip.reason.startswith("log event of aws-cloudtrail-logs is not CloudTrail JSON: invalid JSON")
    assert [r.origin.index for r in records(items)] == [0, 2]


def test_a_lambda_payload_that_is_not_base64_is_an_error() -> None:
    """`awslogs.data` must be base64 of gzip; anything else is one clear skip."""
    [skip] = decode(dumps({"awslogs": {"data": "not base64 at all!"}}), "lambda.json")
    assert skip.error
    assert skip.reason.startswith("awslogs.data: not base64")


def test_a_lambda_payload_that_is_not_a_cloudwatch_payload_is_an_error() -> None:
    """Base64 of gzip of some other JSON: named, not silently empty."""
    data = base64.b64encode(gzip.compress(dumps({"hello": "world"}))).decode()
    [skip] = decode(dumps({"awslogs": {"data": data}}), "lambda.json")
    assert skip.reason == "awslogs.data does not hold a CloudWatch Logs payload"


def test_a_bad_cloudtrail_event_string_is_skipped_naming_the_record() -> None:
    """LookupEvents: a `CloudTrailEvent` that does not parse, or is not a string, is skipped alone."""
    page = {
        "Events": [
            {"CloudTrailEvent": json.dumps(EVENTS[0])},
            {"CloudTrailEvent": json.dumps(EVENTS[1])[:-5]},
            {"CloudTrailEvent": {"already": "an object"}},
            {"CloudTrailEvent": json.dumps(EVENTS[2])},
        ]
    }
    items = decode(dumps(page), "lookup.json")
    assert events_of(items) == [EVENTS[0], EVENTS[2]]
    assert [(s.where, s.reason.split(" at ")[0]) for s in skips(items)] == [
        ("lookup.json (record 1)", "CloudTrailEvent: truncated JSON: the text ends"),
        ("lookup.json (record 2)", "CloudTrailEvent is a JSON object, not a string of JSON"),
    ]


def test_digest_files_are_passed_over_by_path_without_being_opened() -> None:
    """A digest under CloudTrail-Digest/ is never read: one deliberate skip."""

    def refuse() -> None:
        raise AssertionError("a digest file must not be opened")

    name = (
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/x_CloudTrail-Digest_us-east-1_t.json.gz"
    )
    [skip] = list(decode_blob(Blob(name, refuse)))  # type: ignore[arg-type]
    assert (skip.where, skip.reason, skip.error) == (name, "CloudTrail digest file", False)


def test_digest_files_are_recognised_by_content_too() -> None:
    """A digest saved under another name is still recognised by its keys."""
    digest = {
        "awsAccountId": "111122223333",
        "digestStartTime": "2026-11-20T10:00:00Z",
        "digestEndTime": "2026-11-20T11:00:00Z",
        "digestPublicKeyFingerprint": "abc",
        "digestSignatureAlgorithm": "SHA256withRSA",
        "logFiles": [],
    }
    [skip] = decode(gzip.compress(dumps(digest)), "renamed.json.gz")
    assert (skip.reason, skip.error) == ("CloudTrail digest file", False)


def test_s3_event_notifications_are_not_taken_for_cloudtrail() -> None:
    """`{"Records": [{"eventSource": "aws:s3", "s3": …}]}` also has eventName; it is passed over."""
    notification = {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"object": {}},
            }
        ]
    }
    [skip] = decode(dumps(notification), "notification.json")
    assert (skip.reason, skip.error) == ("S3 event notification, not CloudTrail", False)


def test_insights_files_yield_their_events_as_records() -> None:
    """An Insights delivery file is a Records file of `AwsCloudTrailInsight` events: all are records."""
    insight = EVENTS[-1]
    assert insight["eventType"] == "AwsCloudTrailInsight"
    items = decode(
        gzip.compress(dumps({"Records": [insight, dict(insight, eventID="2")]})), "insight.json.gz"
    )
    assert [e["eventType"] for e in events_of(items)] == ["AwsCloudTrailInsight"] * 2


def test_event_time_is_only_filled_from_a_logstash_timestamp() -> None:
    """eventTime comes from @timestamp only when missing; a non-zero fraction is kept; nothing invented."""
    kept = event(eventTime="2026-11-20T10:05:00Z", **{"@timestamp": "2030-01-01T00:00:00.000Z"})
    fraction = {"eventName": "X", "@timestamp": "2026-11-20T10:05:00.123Z"}
    neither = {"eventName": "Y"}
    found = events_of(decode(dumps([kept, fraction, neither])))
    assert found[0]["eventTime"] == "2026-11-20T10:05:00Z"
    assert found[1]["eventTime"] == "2026-11-20T10:05:00.123Z"
    assert "eventTime" not in found[2]


def test_records_of_one_document_have_indexes_and_no_line() -> None:
    """An S3 file is one line: its records cite their index in Records, not a line number."""
    items = decode(dumps({"Records": EVENTS}), "s3.json")
    assert [(r.origin.index, r.origin.line) for r in records(items)] == [
        (i, None) for i in range(len(EVENTS))
    ]


def test_json_lines_records_cite_their_line_counting_blank_lines() -> None:
    """Line numbers are the file's own, blank lines included, so an editor jumps to the right place."""
    data = json_lines(EVENTS[:1]) + b"\n\n" + json_lines(EVENTS[1:2]) + b"   \n" + json_lines(EVENTS[2:3])
    items = decode(data, "gaps.jsonl")
    assert [(r.origin.index, r.origin.line) for r in records(items)] == [(0, 1), (1, 4), (2, 6)]
    assert str(records(items)[1].origin) == "gaps.jsonl (line 4)"


def test_json_lines_may_mix_shapes_line_by_line() -> None:
    """Each line is a document of any shape: an event, an envelope, a Records batch, a LookupEvents page."""
    data = json_lines(
        [
            EVENTS[0],
            eventbridge(EVENTS[1]),
            {"Records": [EVENTS[2]]},
            {"Events": [{"CloudTrailEvent": json.dumps(EVENTS[3])}]},
        ]
    )
    items = decode(data, "mixed.jsonl")
    assert skips(items) == []
    assert events_of(items) == EVENTS
    assert [r.origin.line for r in records(items)] == [1, 2, 3, 4]


def test_a_damaged_first_line_does_not_hide_the_json_lines_after_it() -> None:
    """Line 1 broken mid-way, line 2 a JSON object: the input is JSON lines and only line 1 is lost."""
    data = b'{"eventName": "X", bad}\n' + json_lines(EVENTS)
    items = decode(data, "first.jsonl")
    assert events_of(items) == EVENTS
    assert [s.where for s in skips(items)] == ["first.jsonl (line 1)"]


def test_a_byte_order_mark_is_ignored() -> None:
    """Files saved by Windows tools start with a UTF-8 BOM; the JSON after it is read."""
    items = decode(b"\xef\xbb\xbf" + dumps({"Records": EVENTS}), "bom.json")
    assert events_of(items) == EVENTS


def test_pretty_printed_documents_back_to_back_are_all_read() -> None:
    """`jq . a.json b.json > c.json` writes documents one after another; each is read."""
    data = (
        json.dumps({"Records": EVENTS[:2]}, indent=2) + "\n" + json.dumps({"Records": EVENTS[2:]}, indent=2)
    )
    items = decode(data.encode(), "jq.json")
    assert skips(items) == []
    assert events_of(items) == EVENTS


def test_every_record_is_a_record_of_the_decoders_own_type() -> None:
    """The engine may rely on `Record` with a dict event and an `Origin` naming the source."""
    for item in decode(dumps({"Records": EVENTS}), "s3.json"):
        assert isinstance(item, Record)
        assert isinstance(item.event, dict)
        assert item.origin.source == "s3.json"
