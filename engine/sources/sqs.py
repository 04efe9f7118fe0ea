"""`sqs://<queue name or URL>`: read the objects (or events) that queued notifications announce.

A message is deleted only when every blob it led to is acknowledged — its findings delivered or
spooled. A message that cannot be read (a body that is no notification, an object that cannot be
fetched) is never deleted: it comes back after the queue's visibility timeout and, failing again,
goes to the queue's dead-letter queue by its redrive policy. Each failure is reported as a Skip and
logged with the message's receive count."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog

from engine.errors import UsageError
from engine.sources import SourceOptions, aws, register_source
from engine.sources.ack_group import AckGroup
from engine.sources.notifications import Notice, NotificationError, parse_notification
from engine.sources.payload import payload_blob
from engine.sources.s3 import scope_of
from engine.sources.s3_fetch import FLUSH, Item, ObjectRef, fetch_objects
from engine.sources.trail_keys import Scope
from engine.types import Blob, Skip

log = structlog.get_logger("trailwarden.sqs")

FOLLOW_WAIT_SECONDS = 20  # the longest long poll SQS allows
DRAIN_WAIT_SECONDS = 2  # without --follow: how long an empty receive waits before the queue counts as empty
BATCH = 10
RETRY_SECONDS = 10.0  # with --follow: pause before receiving again after an error
# Receive errors another try will not cure.
_FATAL = frozenset(
    {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "AccessDenied", "AccessDeniedException",
     "InvalidAccessKeyId", "InvalidClientTokenId", "SignatureDoesNotMatch", "NoCredentialsError"}
)  # fmt: skip


@dataclass(slots=True)
class SQSReader:
    """Reads one queue; `sqs` and `s3` are boto3 clients."""

    sqs: Any
    s3: Any
    queue_url: str
    scope: Scope = field(default_factory=Scope)
    follow: bool = False
    wait_seconds: int | None = None
    sleep: Callable[[float], None] = time.sleep
    _receipts: dict[str, str] = field(default_factory=dict)  # message id → latest receipt handle
    _failed: set[str] = field(default_factory=set)  # message ids left on the queue during this run
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return f"sqs://{self.queue_url.rstrip('/').rsplit('/', 1)[-1]}"

    def blobs(self) -> Iterator[Blob | Skip]:
        return fetch_objects(self.s3, self.refs())

    def refs(self) -> Iterator[Item]:
        wait = self.wait_seconds
        if wait is None:
            wait = FOLLOW_WAIT_SECONDS if self.follow else DRAIN_WAIT_SECONDS
        full = True
        while True:
            if not full:
                yield FLUSH  # the next receive may wait: hand out what is fetched first
            try:
                messages = self._receive(wait)
            except aws.AWS_ERRORS as exc:
                log.warning("could not receive messages", queue=self.name, error=aws.explain(exc))
                yield Skip(self.name, f"could not receive messages: {aws.explain(exc)}")
                if not self.follow or aws.error_code(exc) in _FATAL:
                    return
                yield FLUSH
                self.sleep(RETRY_SECONDS)
                continue
            full = len(messages) == BATCH
            if not self.follow:
                # Without --follow a message that failed once this run is not tried again (with a
                # short visibility timeout it would come straight back): the queue is "empty" when
                # nothing else is left.
                messages = [m for m in messages if m["MessageId"] not in self._failed]
                if not messages:
                    return
            for message in messages:
                yield from self._message(message)

    def _receive(self, wait: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=BATCH,
            WaitTimeSeconds=wait,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return list(response.get("Messages", []))

    def _message(self, message: dict[str, Any]) -> Iterator[ObjectRef | Blob | Skip]:
        message_id = message["MessageId"]
        where = f"{self.name}/{message_id}"
        with self._lock:
            again = message_id in self._receipts
            self._receipts[message_id] = message["ReceiptHandle"]
        if again:
            return  # received again while its blobs are still in the pipeline: the newer handle deletes it
        received = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            notice = parse_notification(message.get("Body", ""))
        except NotificationError as exc:
            self._leave(message_id, where, str(exc), received)
            yield Skip(
                where, f"{exc}; left on the queue for its redrive policy (received {received} time(s))"
            )
            return
        if notice.nothing is not None:
            self._delete(message_id)
            yield Skip(where, f"{notice.nothing}: nothing to read", error=False)
            return
        group = AckGroup(on_complete=lambda: self._delete(message_id))
        reason = "an object it names could not be read"
        parts = list(
            self._parts(notice, group, where, lambda: self._leave(message_id, where, reason, received))
        )
        group.close()  # before the parts are handed out: the last ack deletes the message
        yield from parts

    def _parts(
        self, notice: Notice, group: AckGroup, where: str, on_fail: Callable[[], None]
    ) -> Iterator[ObjectRef | Blob | Skip]:
        def fail() -> None:
            group.fail()
            on_fail()

        if notice.payload is not None:
            yield payload_blob(where, notice.payload, group.part())
        for obj in notice.objects:
            url = f"s3://{obj.bucket}/{obj.key}"
            reason = self.scope.why_not(obj.key)
            if reason is not None:
                yield Skip(url, reason, error=False)
                continue
            yield ObjectRef(obj.bucket, obj.key, obj.size, ack=group.part(), fail=fail)

    def _leave(self, message_id: str, where: str, reason: str, received: int) -> None:
        """Leave the message on the queue — its redrive policy decides — and say so; forget its
        receipt so that, received again, it is read again."""
        with self._lock:
            self._receipts.pop(message_id, None)
            self._failed.add(message_id)
        log.warning(
            "message left on the queue for its redrive policy",
            message=where,
            receive_count=received,
            reason=reason,
        )

    def _delete(self, message_id: str) -> None:
        with self._lock:
            receipt = self._receipts.pop(message_id, None)
        if receipt is None:
            return
        try:
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)
        except aws.AWS_ERRORS as exc:
            # The visibility timeout ran out and another reader holds it: it will be read again,
            # and its findings, having stable ids, upserted rather than duplicated downstream.
            log.warning("could not delete a processed message", message=message_id, error=aws.explain(exc))


def queue_url(sqs: Any, target: str) -> str:
    """A queue URL from what followed `sqs://`: a URL, a host/path, or a queue name."""
    if target.startswith(("http://", "https://")):
        return target
    if "/" in target:
        return f"https://{target}"
    try:
        return str(sqs.get_queue_url(QueueName=target)["QueueUrl"])
    except aws.AWS_ERRORS as exc:
        raise UsageError(
            f"queue {target!r} not found: {aws.explain(exc)}", hint="check the name and --region"
        ) from exc


@register_source("sqs")
def open_sqs(spec: str, options: SourceOptions) -> Iterator[Blob | Skip]:
    target = spec.split("://", 1)[1]
    if not target:
        raise UsageError(f"no queue in {spec!r}", hint="write sqs://QUEUE-NAME or sqs://https://…/QUEUE-NAME")
    session = aws.session(options)
    sqs = aws.client(session, "sqs", _region_of(target))
    reader = SQSReader(
        sqs, aws.client(session, "s3"), queue_url(sqs, target), scope_of(options), options.follow
    )
    return reader.blobs()


def _region_of(target: str) -> str | None:
    """`sqs.eu-west-1.amazonaws.com/…` → eu-west-1: a queue URL names its region."""
    host = target.split("://", 1)[-1].split("/", 1)[0]
    parts = host.split(".")
    return parts[1] if len(parts) > 3 and parts[0] == "sqs" else None
