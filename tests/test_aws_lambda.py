"""The Lambda handler invoked with every payload shape users wire up, against a real moto S3:
SQS batches (with partial batch failures), S3 events, SNS, CloudWatch Logs subscriptions, Kinesis
and EventBridge events; configuration from the environment, built once per container."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from engine import aws_lambda
from engine.config import ScanConfig
from engine.errors import SourceError, UsageError
from tests.helpers import ROOT_IDENTITY, event, write_rules
from tests.sources.aws_server import aws_client, aws_env, moto_url

__all__ = ["aws_env", "moto_url"]  # fixtures

RULE = """
id: test-root-create-cluster
title: Cluster created by root
description: A test rule.
severity: high
status: test
match:
  eventSource: eks.amazonaws.com
  eventName: CreateCluster
condition: userIdentity.type == 'Root'
output: "cluster created by root"
"""
CONTEXT = SimpleNamespace(aws_request_id="req-1")


def root_event(n: int) -> dict[str, Any]:
    return event(userIdentity=ROOT_IDENTITY, eventID=f"00000000-0000-0000-0000-{n:012d}")


def trail_file(*records: dict[str, Any]) -> bytes:
    return gzip.compress(json.dumps({"Records": list(records)}).encode())


@pytest.fixture
def lam(aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The handler's environment: one test rule, no bundled packs, findings to stdout."""
    write_rules(tmp_path, "rules/root.yml", RULE)
    monkeypatch.setenv("TRAILWARDEN_RULES", str(tmp_path / "rules"))
    monkeypatch.setenv("TRAILWARDEN_NO_BUNDLED", "1")
    monkeypatch.delenv("TRAILWARDEN_SINKS", raising=False)
    monkeypatch.setenv("TRAILWARDEN_LOG_LEVEL", "warning")
    yield aws_client(aws_env, "s3")
    aws_lambda._build.cache_clear()


@pytest.fixture
def bucket(lam: Any) -> str:
    name = f"lambda-{uuid.uuid4().hex[:8]}"
    lam.create_bucket(Bucket=name)
    return name


def found(capsysbinary: pytest.CaptureFixture[bytes]) -> list[str]:
    """Event ids of the findings written to stdout so far."""
    lines = capsysbinary.readouterr().out.splitlines()
    return sorted(json.loads(line)["event_id"] for line in lines if line.startswith(b"{"))


def sqs_record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": "rh",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:trail-notifications",
        "awsRegion": "us-east-1",
    }


def s3_notification(bucket: str, key: str) -> dict[str, Any]:
    encoded = key.replace(" ", "+")
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": encoded, "size": 1}},
            }
        ]
    }


def test_sqs_batch_fails_only_the_items_that_cannot_be_read(
    lam: Any, bucket: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    lam.put_object(Bucket=bucket, Key="AWSLogs/one file.json.gz", Body=trail_file(root_event(1)))
    lam.put_object(Bucket=bucket, Key="AWSLogs/two.json.gz", Body=trail_file(root_event(2), event()))
    eventbridge = {"detail-type": "AWS API Call via CloudTrail", "source": "aws.eks", "detail": root_event(3)}
    cloudtrail_sns = {
        "Type": "Notification",
        "Message": json.dumps(
            {"s3Bucket": bucket, "s3ObjectKey": ["AWSLogs/two.json.gz", "AWSLogs/gone.json.gz"]}
        ),
    }
    batch = {
        "Records": [
            sqs_record("m-s3", json.dumps(s3_notification(bucket, "AWSLogs/one file.json.gz"))),
            sqs_record("m-malformed", "this is not json"),
            sqs_record("m-missing-object", json.dumps(cloudtrail_sns)),
            sqs_record("m-eventbridge", json.dumps(eventbridge)),
            sqs_record("m-test", json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})),
        ]
    }
    response = aws_lambda.handler(batch, CONTEXT)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": "m-malformed"}, {"itemIdentifier": "m-missing-object"}]
    }
    # the readable object of the failing message was still evaluated (its retry re-delivers,
    # with the same finding ids)
    assert found(capsysbinary) == [root_event(n)["eventID"] for n in (1, 2, 3)]


def test_s3_object_created_events_fetch_the_objects(
    lam: Any, bucket: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    key = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/a+b c.json.gz"
    lam.put_object(Bucket=bucket, Key=key, Body=trail_file(root_event(4), event()))
    notification = s3_notification(bucket, key)
    notification["Records"][0]["s3"]["object"]["key"] = (
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/a%2Bb+c.json.gz"
    )
    response = aws_lambda.handler(notification, CONTEXT)
    assert response == {"files": 1, "events": 2, "findings": 1}
    assert found(capsysbinary) == [root_event(4)["eventID"]]


def test_digest_notifications_are_passed_over_without_a_download(
    lam: Any, bucket: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    key = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T010000Z.json.gz"
    gets: list[str] = []
    aws_lambda.runtime().s3.meta.events.register(
        "provide-client-params.s3.GetObject", lambda **kw: gets.append(kw)
    )
    batch = {"Records": [sqs_record("m-digest", json.dumps(s3_notification(bucket, key)))]}
    assert aws_lambda.handler(batch, CONTEXT) == {"batchItemFailures": []}
    assert gets == []
    assert found(capsysbinary) == []


def test_an_s3_event_naming_a_missing_object_raises_for_lambda_to_retry(lam: Any, bucket: str) -> None:
    with pytest.raises(SourceError, match="could not be read"):
        aws_lambda.handler(s3_notification(bucket, "AWSLogs/never-written.json.gz"), CONTEXT)


def test_sns_notifications_from_cloudtrail(
    lam: Any, bucket: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    lam.put_object(Bucket=bucket, Key="k.json.gz", Body=trail_file(root_event(5)))
    message = json.dumps({"s3Bucket": bucket, "s3ObjectKey": ["k.json.gz"]})
    invocation = {"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "sns-1", "Message": message}}]}
    assert aws_lambda.handler(invocation, CONTEXT)["findings"] == 1
    assert found(capsysbinary) == [root_event(5)["eventID"]]


def cloudwatch_payload(*records: dict[str, Any]) -> bytes:
    return gzip.compress(
        json.dumps(
            {
                "messageType": "DATA_MESSAGE",
                "owner": "111122223333",
                "logGroup": "aws-cloudtrail-logs",
                "logStream": "111122223333_CloudTrail_us-east-1",
                "subscriptionFilters": ["all"],
                "logEvents": [
                    {"id": str(n), "timestamp": 1795600000000, "message": json.dumps(r)}
                    for n, r in enumerate(records)
                ],
            }
        ).encode()
    )


def test_cloudwatch_logs_subscription_events(lam: Any, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    invocation = {"awslogs": {"data": base64.b64encode(cloudwatch_payload(root_event(6), event())).decode()}}
    assert aws_lambda.handler(invocation, CONTEXT) == {"files": 1, "events": 2, "findings": 1}
    assert found(capsysbinary) == [root_event(6)["eventID"]]


def test_kinesis_batches_report_their_bad_records(
    lam: Any, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    good = base64.b64encode(cloudwatch_payload(root_event(7))).decode()
    invocation = {
        "Records": [
            {"eventSource": "aws:kinesis", "eventID": "e1", "kinesis": {"sequenceNumber": "1", "data": good}},
            {
                "eventSource": "aws:kinesis",
                "eventID": "e2",
                "kinesis": {"sequenceNumber": "2", "data": "%%%"},
            },
        ]
    }
    assert aws_lambda.handler(invocation, CONTEXT) == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert found(capsysbinary) == [root_event(7)["eventID"]]


def test_eventbridge_events_are_evaluated(lam: Any, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    invocation = {
        "version": "0",
        "id": "eb-1",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.eks",
        "account": "111122223333",
        "time": "2026-11-20T10:05:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": root_event(8),
    }
    assert aws_lambda.handler(invocation, CONTEXT)["findings"] == 1
    assert found(capsysbinary) == [root_event(8)["eventID"]]


def test_the_runtime_is_built_once_per_container(lam: Any) -> None:
    first = aws_lambda.runtime()
    assert aws_lambda.runtime() is first
    assert [r.id for r in first.rules] == ["test-root-create-cluster"]


def test_configuration_comes_from_the_environment(tmp_path: Path) -> None:
    sinks_file = tmp_path / "sinks.yml"
    sinks_file.write_text("sinks: []\n")
    config = ScanConfig.from_lambda_env(
        {
            "TRAILWARDEN_RULES": "/opt/rules/a:/opt/rules/b.yml,/opt/c",
            "TRAILWARDEN_NO_BUNDLED": "1",
            "TRAILWARDEN_SINKS": "splunk+https://hec.example:8088 webhook+https://hooks.example/x",
            "TRAILWARDEN_MIN_SEVERITY": "HIGH",
            "TRAILWARDEN_STATE": "/tmp/trailwarden.db",
        }
    )
    assert config.rule_paths == ("/opt/rules/a", "/opt/rules/b.yml", "/opt/c")
    assert not config.bundled
    assert config.sinks == ("splunk+https://hec.example:8088", "webhook+https://hooks.example/x")
    assert config.min_severity == "high"
    assert config.state_path == "/tmp/trailwarden.db"
    assert ScanConfig.from_lambda_env({"TRAILWARDEN_SINKS": str(sinks_file)}).sinks_config == str(sinks_file)
    assert ScanConfig.from_lambda_env({}) == ScanConfig()
    with pytest.raises(UsageError, match="MIN_SEVERITY"):
        ScanConfig.from_lambda_env({"TRAILWARDEN_MIN_SEVERITY": "severe"})


def test_min_severity_above_every_rule_fails_at_cold_start(lam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAILWARDEN_MIN_SEVERITY", "critical")
    with pytest.raises(UsageError, match="no rule is left to run"):
        aws_lambda.runtime()


def test_the_deploy_template_is_valid_and_wires_queue_to_handler_with_partial_failures() -> None:
    from cfnlint.api import ManualArgs, lint_file
    from cfnlint.decode import decode

    template_path = Path(__file__).resolve().parents[1] / "deploy" / "template.yaml"
    problems = lint_file(template_path, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [str(p) for p in problems] == []
    template, _ = decode(str(template_path))
    assert template is not None
    function = template["Resources"]["Detector"]["Properties"]
    module, _, name = function["Handler"].rpartition(".")
    assert module == aws_lambda.__name__ and callable(getattr(aws_lambda, name))
    event_source = function["Events"]["TrailFiles"]
    assert event_source["Type"] == "SQS"
    assert event_source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = template["Resources"]["NotificationQueue"]["Properties"]
    assert "deadLetterTargetArn" in queue["RedrivePolicy"]
    assert queue["VisibilityTimeout"] >= 6 * template["Globals"]["Function"]["Timeout"]
    assert set(function["Environment"]["Variables"]) >= {"TRAILWARDEN_RULES", "TRAILWARDEN_SINKS"}
