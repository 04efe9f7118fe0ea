"""AWS Lambda entry point: `engine.aws_lambda.handler`.

Accepts the invocations users wire up — SQS batches (S3 or CloudTrail SNS notifications, EventBridge
events), S3 object-created events, SNS notifications, CloudWatch Logs subscriptions, Kinesis
records and EventBridge events — runs the configured rules over what they carry or name, and sends
the findings to the configured sinks (stdout, that is CloudWatch Logs, when none is set).

SQS and Kinesis batches report partial failures (`batchItemFailures`, with the event source
mapping's `ReportBatchItemFailures`): a record that cannot be read, or whose findings could not be
delivered, fails alone and is retried by the queue (then its redrive policy); the others are done.
Other invocations raise when anything failed, so Lambda's own retries and failure destinations act.

Configuration comes from the environment and is read, and the rules compiled, once per container:

    TRAILWARDEN_RULES          rule files or folders, separated by ':' or ','
    TRAILWARDEN_NO_BUNDLED     '1' to leave out the bundled packs
    TRAILWARDEN_SINKS          sink URLs separated by spaces or ',' — or the path of a sinks YAML file
    TRAILWARDEN_MIN_SEVERITY   run only rules of this severity or above
    TRAILWARDEN_FORMAT         finding format (default: native)
    TRAILWARDEN_NO_EVIDENCE    '1' to leave the CloudTrail record out of findings
    TRAILWARDEN_STATE          state file for windows and the spool (default: none; /tmp/… is the only
                               writable place, and it lives only as long as the container)
    TRAILWARDEN_LOG_LEVEL      debug, info (default), warning or error"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import structlog

from engine.config import ScanConfig
from engine.detection.compiled_rule import CompiledRule
from engine.errors import RuleError, SourceError, UsageError
from engine.log import configure_logging
from engine.run import load_rules, run_blobs, runnable_rules
from engine.sources.ack_group import AckGroup
from engine.sources.aws import CLIENT_CONFIG
from engine.sources.notifications import NotificationError, parse_notification
from engine.sources.payload import payload_blob
from engine.sources.s3_fetch import Item, ObjectRef, fetch_objects
from engine.sources.trail_keys import Scope
from engine.types import Skip

log = structlog.get_logger("trailwarden.lambda")

PREFIX = "TRAILWARDEN_"
_EVERYTHING = Scope()  # no time, account or region filter: only what is never events is passed over
_RUNTIME_ENV = (PREFIX, "AWS_ENDPOINT_URL")  # what the runtime is built from


@dataclass(frozen=True, slots=True)
class Runtime:
    """What a container builds once: configuration, compiled rules, an S3 client."""

    config: ScanConfig
    rules: tuple[CompiledRule, ...]
    s3: Any


def runtime() -> Runtime:
    """The container's runtime, built at the first invocation (cold start) and reused after;
    rebuilt only if the environment it came from changes (as between tests)."""
    return _build(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_RUNTIME_ENV))))


@functools.lru_cache(maxsize=1)
def _build(env: tuple[tuple[str, str], ...]) -> Runtime:
    config = ScanConfig.from_lambda_env(dict(env))
    configure_logging(str(config.extra.get("log_level", "info")), json=True)
    ruleset = load_rules(config)
    for warning in ruleset.warnings:
        log.warning("rule warning", problem=str(warning))
    if ruleset.errors:
        problems = "; ".join(str(e) for e in ruleset.errors[:20])
        raise RuleError(f"{len(ruleset.errors)} problem(s) in the rules: {problems}")
    try:
        rules = tuple(runnable_rules(ruleset, config))
    except UsageError as exc:
        raise UsageError(
            exc.message, hint=f"check {PREFIX}RULES, {PREFIX}NO_BUNDLED and {PREFIX}MIN_SEVERITY"
        ) from None
    log.info(
        "trailwarden ready", rules=len(rules), sinks=len(config.sinks) or config.sinks_config or "stdout"
    )
    return Runtime(config, rules, boto3.client("s3", config=CLIENT_CONFIG))


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    rt = runtime()
    request = getattr(context, "aws_request_id", "local")
    batch = Batch.of(event, request)
    report = run_blobs(rt.rules, fetch_objects(rt.s3, batch.items()), rt.config)
    failed = batch.failed()
    log.info("invocation done", kind=batch.kind, failed_items=failed, report=report.to_json())
    if report.delivery_failed:
        # Findings made after the last acknowledgement (closing windows) are not out: all again.
        raise SourceError("findings could not be delivered or spooled; the invocation is retried")
    if batch.partial:
        return {"batchItemFailures": [{"itemIdentifier": item} for item in failed]}
    if failed:
        raise SourceError(f"{len(failed)} input(s) could not be read: {', '.join(failed[:10])}")
    return {"files": report.files, "events": report.events, "findings": report.findings}


@dataclass(slots=True)
class Batch:
    """An invocation read as items (SQS messages, Kinesis records, or the event as one item),
    each with the blobs it leads to; an item is done when all its blobs are acknowledged."""

    kind: str
    partial: bool  # report failed items instead of raising
    parts: list[tuple[str, AckGroup, list[Item]]] = field(default_factory=list)

    @classmethod
    def of(cls, event: Mapping[str, Any], request: str) -> Batch:
        records = event.get("Records")
        source = _record_source(records[0]) if isinstance(records, list) and records else None
        if source == "aws:sqs":
            batch = cls("sqs", partial=True)
            for record in records or ():
                name = f"sqs://{str(record.get('eventSourceARN', '')).rsplit(':', 1)[-1]}/{record.get('messageId')}"
                batch.add(str(record.get("messageId")), name, lambda r=record: r["body"])
            return batch
        if source == "aws:kinesis":
            batch = cls("kinesis", partial=True)
            for record in records or ():
                kinesis = record.get("kinesis", {})
                batch.add_payload(
                    str(kinesis.get("sequenceNumber")), f"kinesis://{record.get('eventID')}", kinesis
                )
            return batch
        if source == "aws:sns":
            batch = cls("sns", partial=False)
            for record in records or ():
                sns = record.get("Sns", {})
                batch.add(
                    str(sns.get("MessageId")), f"sns://{sns.get('MessageId')}", lambda s=sns: s["Message"]
                )
            return batch
        kind = "s3" if source == "aws:s3" else "cloudwatch-logs" if "awslogs" in event else "event"
        batch = cls(kind, partial=False)
        batch.add(request, f"lambda://{kind}/{request}", lambda: json.dumps(event))
        return batch

    def add(self, item_id: str, name: str, body: Any) -> None:
        """One item whose body (a notification, an event, a payload) is read by `body()`."""
        group = AckGroup(on_complete=lambda: None)
        items: list[Item] = []
        try:
            notice = parse_notification(body())
        except (NotificationError, KeyError, TypeError) as exc:
            group.fail()
            items.append(Skip(name, f"not a notification or event trailwarden can read: {exc}"))
        else:
            if notice.nothing is not None:
                items.append(Skip(name, f"{notice.nothing}: nothing to read", error=False))
            if notice.payload is not None:
                items.append(payload_blob(name, notice.payload, group.part()))
            for obj in notice.objects:
                reason = _EVERYTHING.why_not(obj.key)  # digests, announced like log files
                if reason is not None:
                    items.append(Skip(f"s3://{obj.bucket}/{obj.key}", reason, error=False))
                else:
                    items.append(ObjectRef(obj.bucket, obj.key, obj.size, ack=group.part(), fail=group.fail))
        group.close()
        self.parts.append((item_id, group, items))

    def add_payload(self, item_id: str, name: str, kinesis: Mapping[str, Any]) -> None:
        group = AckGroup(on_complete=lambda: None)
        items: list[Item] = []
        try:
            data = base64.b64decode(kinesis["data"], validate=True)
        except (KeyError, TypeError, binascii.Error) as exc:
            group.fail()
            items.append(Skip(name, f"Kinesis record without base64 data: {exc}"))
        else:
            items.append(payload_blob(name, data, group.part()))
        group.close()
        self.parts.append((item_id, group, items))

    def items(self) -> Iterator[Item]:
        for _, _, items in self.parts:
            yield from items

    def failed(self) -> list[str]:
        """Items not done: unreadable, or with a blob never acknowledged (its findings not out)."""
        return [item_id for item_id, group, _ in self.parts if not group.completed]


def _record_source(record: Any) -> str | None:
    if not isinstance(record, Mapping):
        return None
    source = record.get("eventSource") or record.get("EventSource")
    return str(source).lower() if source else None
