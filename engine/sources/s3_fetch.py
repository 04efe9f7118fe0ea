"""Downloading S3 objects for decoding: a bounded thread pool fetches a few objects ahead of the
pipeline, in order, so network time overlaps evaluation while never more than `window` objects
(each at most `MAX_PREFETCH_BYTES`, still compressed) wait in memory. Bigger objects are not
fetched ahead: their blob streams straight from S3 when decoding opens it."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO

import structlog

from engine.errors import SourceError
from engine.sources import aws
from engine.types import Blob, Skip

log = structlog.get_logger("trailwarden.s3")

MAX_PREFETCH_BYTES = 8 * 1024 * 1024
WORKERS = 8
WINDOW = 8


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An object to read, and what to call once its findings are out (`ack`) or it could not be
    fetched (`fail`)."""

    bucket: str
    key: str
    size: int | None = None
    ack: Callable[[], None] | None = None
    fail: Callable[[], None] | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class Flush:
    """Put in a stream of refs before the producer may block (a long poll, a sleep between polls):
    everything fetched so far is handed out first."""


FLUSH = Flush()

Item = ObjectRef | Blob | Skip | Flush


def fetch_objects(
    client: Any, items: Iterable[Item], *, workers: int = WORKERS, window: int = WINDOW
) -> Iterator[Blob | Skip]:
    """Turn refs into blobs (or Skips naming the object and the AWS error), keeping the order of
    `items`; blobs and Skips already in `items` pass through in place."""
    pending: deque[tuple[Item, Future[bytes | None] | None]] = deque()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trailwarden-s3")
    try:
        for item in items:
            if isinstance(item, Flush):
                while pending:
                    yield _settle(client, *pending.popleft())
                continue
            future = pool.submit(_prefetch, client, item) if isinstance(item, ObjectRef) else None
            pending.append((item, future))
            while len(pending) >= window:
                yield _settle(client, *pending.popleft())
        while pending:
            yield _settle(client, *pending.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def object_blob(client: Any, ref: ObjectRef, data: bytes | None = None) -> Blob:
    """A blob for `ref`: served from `data` the first time when it was fetched ahead, streamed from
    S3 otherwise (a second open re-reads, so the prefetched bytes are not held for it)."""
    held = [data] if data is not None else []

    def open_() -> BinaryIO:
        if held:
            return io.BytesIO(held.pop())
        return _stream(client, ref)

    size = ref.size if ref.size is not None else (len(data) if data is not None else None)
    return Blob(name=ref.url, open=open_, size=size, ack=ref.ack)


def _settle(client: Any, item: Item, future: Future[bytes | None] | None) -> Blob | Skip:
    if not isinstance(item, ObjectRef):
        assert isinstance(item, Blob | Skip)
        return item
    assert future is not None
    try:
        data = future.result()
    except aws.AWS_ERRORS as exc:
        if item.fail is not None:
            item.fail()
        return Skip(item.url, f"could not be read: {aws.explain(exc)}")
    return object_blob(client, item, data)


def _prefetch(client: Any, ref: ObjectRef) -> bytes | None:
    """The object's bytes, or None when it is too big to hold (it will be streamed instead)."""
    if ref.size is not None and ref.size > MAX_PREFETCH_BYTES:
        return None
    body = client.get_object(Bucket=ref.bucket, Key=ref.key)["Body"]
    try:
        data: bytes = body.read(MAX_PREFETCH_BYTES + 1)
    finally:
        body.close()
    return None if len(data) > MAX_PREFETCH_BYTES else data


def _stream(client: Any, ref: ObjectRef) -> BinaryIO:
    try:
        body = client.get_object(Bucket=ref.bucket, Key=ref.key)["Body"]
    except aws.AWS_ERRORS as exc:
        raise SourceError(f"{ref.url}: could not be read: {aws.explain(exc)}") from exc
    return io.BufferedReader(_BodyReader(body), buffer_size=1024 * 1024)


class _BodyReader(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so it can be buffered (peek, readline) like a file."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk: bytes = self._body.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._body.close()
        super().close()
