"""What a source hands decoding: a named blob of bytes that can be opened as a binary stream."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True, slots=True)
class Blob:
    """One input object: a local file, stdin, an S3 object, a message body.

    `name` is what findings and errors cite (a path, 's3://bucket/key', '-'); `open` returns a fresh
    binary stream positioned at the start, which the caller closes. `ack`, when set, is called once
    every finding of this blob has been delivered or spooled: that is when an SQS message may be
    deleted or a checkpoint may move past this object. `path` is set for a plain local file: a
    worker process of a parallel scan reopens it from there instead of being sent the bytes."""

    name: str
    open: Callable[[], BinaryIO]
    size: int | None = None
    ack: Callable[[], None] | None = None
    path: str | None = None
