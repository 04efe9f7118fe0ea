"""`sqs://` against a real moto server: queues fed by real S3 bucket notifications and by SNS
subscriptions carrying CloudTrail's notifications; a message is deleted only after every blob it
led to is acknowledged, and a message that cannot be read stays for the queue's redrive policy."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.decoding import decode_blob
from engine.errors import UsageError
from engine.sources import SourceOptions, open_source
from engine.sources.sqs import SQSReader
from engine.types import Blob, Record, Skip
from tests.sources.aws_server import aws_client
from tests.sources.trail import event_record

_T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def clients(moto_url: str) -> dict[str, Any]:
    return {name: aws_client(moto_url, name) for name in ("s3", "sqs", "sns")}


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def new_queue(sqs: Any, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=unique("q"), Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def waiting(sqs: Any, url: str) -> tuple[int, int]:
    """(visible, in flight) messages on the queue."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def trail_file(key: str) -> bytes:
    return gzip.compress(
        json.dumps({"Records": [event_record("111111111111", "us-east-1", _T, 0, key)]}).encode()
    )


def read(reader: SQSReader) -> tuple[list[Blob], list[Skip]]:
    blobs: list[Blob] = []
    skips: list[Skip] = []
    for item in reader.blobs():
        if isinstance(item, Blob):
            blobs.append(item)
        else:
            skips.append(item)
    return blobs, skips


def ack(blob: Blob | Skip) -> None:
    assert isinstance(blob, Blob) and blob.ack is not None
    blob.ack()


def events(blob: Blob) -> list[dict[str, Any]]:
    return [r.event for r in decode_blob(blob) if isinstance(r, Record)]


def test_s3_notifications_are_read_and_deleted_only_once_acknowledged(clients: dict[str, Any]) -> None:
    s3, sqs = clients["s3"], clients["sqs"]
    url, arn = new_queue(sqs)
    bucket = unique("trail")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    keys = [
        "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/111111111111_CloudTrail_us-east-1_20261120T1205Z_a.json.gz",
        "exports/with space+plus=.json.gz",  # arrives URL-encoded in the notification
    ]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=trail_file(key))
    blobs, skips = read(SQSReader(sqs, s3, url, wait_seconds=1))
    assert sorted(b.name for b in blobs) == sorted(f"s3://{bucket}/{k}" for k in keys)
    assert [(s.reason, s.error) for s in skips] == [("s3:TestEvent: nothing to read", False)]
    assert [e["eventName"] for b in blobs for e in events(b)] == ["CreateCluster", "CreateCluster"]
    assert waiting(sqs, url) == (0, 2)  # the test event is gone; the two notifications wait for acks
    ack(blobs[0])
    assert waiting(sqs, url) == (0, 1)
    ack(blobs[1])
    assert waiting(sqs, url) == (0, 0)


def test_cloudtrail_sns_notifications_are_read_enveloped_and_raw(clients: dict[str, Any]) -> None:
    """One message naming two files is deleted when both are acknowledged, not before."""
    s3, sqs, sns = clients["s3"], clients["sqs"], clients["sns"]
    bucket = unique("trail")
    s3.create_bucket(Bucket=bucket)
    keys = [f"AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/f{n}.json.gz" for n in range(2)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=trail_file(key))
    topic = sns.create_topic(Name=unique("cloudtrail"))["TopicArn"]
    enveloped_url, enveloped_arn = new_queue(sqs)
    raw_url, raw_arn = new_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=enveloped_arn)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message=json.dumps({"s3Bucket": bucket, "s3ObjectKey": keys}))
    assert json.loads(sqs.receive_message(QueueUrl=raw_url, VisibilityTimeout=0)["Messages"][0]["Body"]) == {
        "s3Bucket": bucket,
        "s3ObjectKey": keys,
    }
    for url in (enveloped_url, raw_url):
        blobs, skips = read(SQSReader(sqs, s3, url, wait_seconds=1))
        assert [b.name for b in blobs] == [f"s3://{bucket}/{k}" for k in keys]
        assert not skips
        assert all(len(events(b)) == 1 for b in blobs)
        ack(blobs[1])
        assert waiting(sqs, url) == (0, 1)
        ack(blobs[0])
        assert waiting(sqs, url) == (0, 0)


def test_eventbridge_events_in_a_queue_are_decoded_from_the_body(clients: dict[str, Any]) -> None:
    s3, sqs = clients["s3"], clients["sqs"]
    url, _ = new_queue(sqs)
    record = event_record("111111111111", "us-east-1", _T, 0, "eventbridge")
    envelope = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.eks",
        "account": "111111111111",
        "time": "2026-11-20T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": record,
    }
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
    blobs, skips = read(SQSReader(sqs, s3, url, wait_seconds=1))
    assert not skips and len(blobs) == 1
    assert blobs[0].name.startswith(f"sqs://{url.rsplit('/', 1)[-1]}/")
    assert [e["eventID"] for e in events(blobs[0])] == [record["eventID"]]
    ack(blobs[0])
    assert waiting(sqs, url) == (0, 0)


def test_messages_that_cannot_be_read_go_to_the_dead_letter_queue_never_deleted(
    clients: dict[str, Any],
) -> None:
    """A body that is no notification and a notification of a missing object are reported each
    time, never deleted; the queue's redrive policy moves them to its dead-letter queue."""
    s3, sqs = clients["s3"], clients["sqs"]
    dlq_url, dlq_arn = new_queue(sqs)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    url, _ = new_queue(sqs, VisibilityTimeout="0", RedrivePolicy=redrive)
    bucket = unique("trail")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="present.json", Body=b'{"Records": []}')
    sqs.send_message(QueueUrl=url, MessageBody="<html>not a notification</html>")
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps({"s3Bucket": bucket, "s3ObjectKey": ["present.json", "missing.json"]}),
    )
    reasons: list[str] = []
    for _ in range(3):
        blobs, skips = read(SQSReader(sqs, s3, url, wait_seconds=1))
        for blob in blobs:
            ack(blob)
        reasons += [f"{s.where} {s.reason}" for s in skips if s.error]
    assert any("message body is not JSON" in r and "left on the queue" in r for r in reasons)
    assert any(f"s3://{bucket}/missing.json" in r and "NoSuchKey" in r for r in reasons)
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"][:6] for m in dead) == ["<html>", '{"s3Bu']
    assert waiting(sqs, url) == (0, 0)


def test_follow_keeps_long_polling_for_new_notifications(clients: dict[str, Any]) -> None:
    s3, sqs = clients["s3"], clients["sqs"]
    url, arn = new_queue(sqs)
    bucket = unique("trail")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    stream = SQSReader(sqs, s3, url, follow=True, wait_seconds=1).blobs()
    assert isinstance(next(stream), Skip)  # the test event
    for n in range(2):
        key = f"later/{n}.json.gz"
        s3.put_object(Bucket=bucket, Key=key, Body=trail_file(key))
        blob = next(stream)  # waits (long polls) until the notification arrives
        assert isinstance(blob, Blob) and blob.name == f"s3://{bucket}/{key}"
        ack(blob)
    stream.close()
    assert waiting(sqs, url) == (0, 0)


def test_following_a_queue_that_is_gone_ends_with_one_clear_error(clients: dict[str, Any]) -> None:
    sqs = clients["sqs"]
    url, _ = new_queue(sqs)
    sqs.delete_queue(QueueUrl=url)
    slept: list[float] = []
    items = list(SQSReader(sqs, clients["s3"], url, follow=True, wait_seconds=1, sleep=slept.append).blobs())
    assert len(items) == 1 and isinstance(items[0], Skip) and items[0].error
    assert "could not receive messages" in items[0].reason and "queue does not exist" in items[0].reason
    assert slept == []


def test_the_registered_opener_takes_a_queue_name_or_url(clients: dict[str, Any], aws_env: str) -> None:
    sqs = clients["sqs"]
    url, _ = new_queue(sqs)
    name = url.rsplit("/", 1)[-1]
    for spec in (f"sqs://{name}", f"sqs://{url}"):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"Records": []}))
        items = list(open_source(spec, SourceOptions()))
        assert len(items) == 1 and isinstance(items[0], Blob)
        ack(items[0])
    with pytest.raises(UsageError, match="queue 'no-such-queue' not found"):
        open_source("sqs://no-such-queue", SourceOptions())
