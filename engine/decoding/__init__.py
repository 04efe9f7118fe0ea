"""Decoding: from the bytes of one input to CloudTrail records, or to skips that say what was not
read and why. Gzip is recognised by its bytes; the layout (one document or JSON lines) by the first
lines; the shape (S3 delivery, array, LookupEvents, EventBridge, CloudWatch Logs…) by the keys.

    for item in decode_blob(blob):
        if isinstance(item, Record): ...   # item.event, item.origin
        else: ...                          # a Skip: item.where, item.reason, item.error

Nothing here raises on bad input: every problem becomes a Skip naming the input (and the line or
record), and the records around a damaged part still come out."""

from __future__ import annotations

from collections.abc import Iterator

import structlog

from engine.decoding import parquet
from engine.decoding.compression import content_chunks
from engine.decoding.context import DecodeContext
from engine.decoding.framing import decode_stream
from engine.decoding.lean import LeanPlan
from engine.decoding.limits import DEFAULT_LIMITS, DecodeLimits
from engine.decoding.reader import ChunkReader
from engine.decoding.shapes import digest
from engine.errors import TrailwardenError
from engine.types import Blob, Origin, Record, Skip

__all__ = [
    "DEFAULT_LIMITS",
    "DecodeLimits",
    "LeanPlan",
    "Origin",
    "Record",
    "Skip",
    "decode_blob",
    "decode_bytes",
]

log = structlog.get_logger("trailwarden.decoding")


def decode_blob(
    blob: Blob, limits: DecodeLimits = DEFAULT_LIMITS, lean: LeanPlan | None = None
) -> Iterator[Record | Skip]:
    """The records of one input, in order, with a Skip for anything that could not be read.

    At most one input's document is held in memory (JSON lines are streamed); the stream is opened
    here and closed when the iterator ends or is dropped. With a `lean` plan, a record the plan does
    not want comes out holding only the plan's fields (engine.decoding.lean)."""
    if digest.is_digest_name(blob.name):
        yield Skip(blob.name, digest.REASON, error=False)
        return
    ctx = DecodeContext(blob.name, limits, lean=lean)
    try:
        with blob.open() as raw:
            if parquet.sniff(raw):  # Amazon Security Lake's OCSF Parquet (engine.decoding.parquet)
                yield from parquet.decode_parquet(raw, ctx)
                return
            reader = ChunkReader(content_chunks(raw, limits.read_chunk_bytes, limits.inflate_step_bytes))
            yield from decode_stream(reader, ctx)
    except TrailwardenError as exc:
        yield Skip(blob.name, exc.message)
    except OSError as exc:
        yield Skip(blob.name, f"cannot read: {exc.strerror or exc}")
    except Exception as exc:  # a source's client error, or a bug here: report it, never stop the scan
        log.exception("decoding failed", source=blob.name)
        yield Skip(blob.name, f"could not be decoded: {type(exc).__name__}: {exc}")
    yield from ctx.closing()


def decode_bytes(
    data: bytes, source: str, limits: DecodeLimits = DEFAULT_LIMITS, lean: LeanPlan | None = None
) -> Iterator[Record | Skip]:
    """The same for a payload already in memory (an SQS body, a Lambda event, a file read whole)."""
    return decode_blob(Blob.of_bytes(source, data), limits, lean)
