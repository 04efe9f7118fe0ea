"""What a queued message asks to read: S3 notifications, CloudTrail's SNS notifications (raw or
in an envelope), EventBridge events — and clear errors for bodies that are none of these."""

from __future__ import annotations

import json
import re

import pytest

from engine.sources.notifications import NotificationError, ObjectNotice, parse_notification

CLOUDTRAIL = {"s3Bucket": "trail", "s3ObjectKey": ["AWSLogs/1/CloudTrail/us-east-1/2026/11/20/a b.json.gz"]}


def s3_record(key: str, event: str = "ObjectCreated:Put") -> dict[str, object]:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": event,
        "s3": {"bucket": {"name": "trail"}, "object": {"key": key, "size": 42}},
    }


def test_s3_notification_keys_are_url_decoded() -> None:
    body = json.dumps({"Records": [s3_record("AWSLogs/a+b%2Bc%3D.json.gz")]})
    assert parse_notification(body).objects == (ObjectNotice("trail", "AWSLogs/a b+c=.json.gz", 42),)


def test_only_created_objects_are_read() -> None:
    body = json.dumps({"Records": [s3_record("a.json", "ObjectRemoved:Delete")]})
    assert parse_notification(body).nothing == "S3 event other than ObjectCreated"


def test_the_s3_test_event_asks_for_nothing() -> None:
    body = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "trail"})
    assert parse_notification(body).nothing == "s3:TestEvent"


def test_cloudtrail_sns_notifications_are_read_in_and_out_of_their_envelope() -> None:
    enveloped = json.dumps({"Type": "Notification", "MessageId": "m", "Message": json.dumps(CLOUDTRAIL)})
    expected = (ObjectNotice("trail", CLOUDTRAIL["s3ObjectKey"][0]),)  # not URL-encoded by CloudTrail
    assert parse_notification(enveloped).objects == expected
    assert parse_notification(json.dumps(CLOUDTRAIL)).objects == expected  # raw message delivery


def test_s3_notifications_through_sns_are_unwrapped() -> None:
    inner = json.dumps({"Records": [s3_record("k%20ey")]})
    body = json.dumps({"Type": "Notification", "Message": inner})
    assert parse_notification(body).objects == (ObjectNotice("trail", "k ey", 42),)


def test_eventbridge_object_created_names_its_object() -> None:
    body = json.dumps(
        {
            "detail-type": "Object Created",
            "source": "aws.s3",
            "detail": {"bucket": {"name": "trail"}, "object": {"key": "a b.json.gz", "size": 7}},
        }
    )
    assert parse_notification(body).objects == (ObjectNotice("trail", "a b.json.gz", 7),)


def test_other_json_is_a_payload_for_decoding() -> None:
    body = json.dumps(
        {"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "CreateCluster"}}
    )
    notice = parse_notification(body)
    assert notice.payload == body.encode() and not notice.objects


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json at all", "message body is not JSON"),
        (json.dumps({"Type": "Notification", "Message": "{oops"}), "SNS Message is not JSON"),
        (json.dumps({"Type": "Notification"}), "SNS notification without a Message string"),
        (json.dumps({"s3Bucket": "trail", "s3ObjectKey": "one-key"}), "s3ObjectKey (a list)"),
        (
            json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {}}]}),
            "s3.",
        ),
    ],
)
def test_unreadable_bodies_say_what_is_wrong(body: str, message: str) -> None:
    with pytest.raises(NotificationError, match=re.escape(message)):
        parse_notification(body)
