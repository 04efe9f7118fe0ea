"""A blob over bytes already in memory: a queued event body, a LookupEvents page, a Lambda
payload — decoding reads it like a file."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from engine.sources.blob import Blob


def payload_blob(name: str, payload: bytes, ack: Callable[[], None] | None = None) -> Blob:
    def open_() -> BinaryIO:
        return io.BytesIO(payload)

    return Blob(name=name, open=open_, size=len(payload), ack=ack)
