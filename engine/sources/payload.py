"""A blob over bytes already in memory: a queued event body, a LookupEvents page, a Lambda
payload — decoding reads it like a file."""

from __future__ import annotations

from collections.abc import Callable

from engine.types import Blob


def payload_blob(name: str, payload: bytes, ack: Callable[[], None] | None = None) -> Blob:
    return Blob.of_bytes(name, payload, ack)
