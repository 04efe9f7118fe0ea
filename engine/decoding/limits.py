"""How much one input may ask of the decoder before it is refused rather than read."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """Bounds that keep a hostile or broken input from exhausting memory or the stack.

    `max_depth` is counted from the top of each JSON document (a file, a line, or a JSON string
    embedded in one, such as `CloudTrailEvent`). 250 leaves room for the few levels a finding wraps
    around its event: orjson refuses to serialise anything deeper than 254, so an event the decoder
    accepts can always be written out as evidence. Real CloudTrail records stay under 20.

    `max_document_bytes` bounds what is read whole: one S3-style document, one line of JSON lines,
    or one gunzipped Lambda payload, all measured after decompression. A JSON-lines stream as a whole
    is never bounded because it is never held in memory.

    `max_record_skips` caps the skips reported one by one for a single input; the rest are counted
    into one closing skip, so a mis-shaped file of a million lines gives a readable report.

    `max_remembered_ids` bounds the eventIDs remembered per input to tell a record read twice
    (concatenated gzip members, a file appended to itself): 250,000 ids, ~30 MB at most, far more
    than an S3 delivery file holds; past it the memory starts over.

    `read_chunk_bytes` is how much is read from a source at once; `inflate_step_bytes` how much gzip
    output is produced at once (a typical S3 delivery file inflates in one step, so its one line is
    handed to the parser without being copied)."""

    max_depth: int = 250
    max_document_bytes: int = 256 * MIB
    max_record_skips: int = 100
    max_remembered_ids: int = 250_000
    read_chunk_bytes: int = 16 * MIB
    inflate_step_bytes: int = 16 * MIB


DEFAULT_LIMITS = DecodeLimits()
