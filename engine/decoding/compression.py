"""Gzip, recognised by its magic bytes (never by a file name) and inflated as a stream of chunks.

CloudTrail writes `.json.gz`, but exports get renamed, S3 serves objects with or without
Content-Encoding, and Firehose concatenates gzip members; so the bytes decide. Inflation goes in
bounded steps, accepts multi-member files and zero padding, and says how far it got when a stream
is cut short — a half-written or half-downloaded file is a common sight in an incident folder.

Chunks rather than a file object: the reader above splits lines out of whole chunks, so a one-line
S3 delivery file is inflated into one bytes object and handed to the parser without further copies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, cast

from isal import isal_zlib

from engine.decoding.limits import MIB
from engine.errors import DecodeError

GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 31  # zlib's "gzip header and trailer" mode
# ISA-L inflates CloudTrail files about 2.4x faster than zlib (igzip: 0.19 s against 0.46 s for
# 200,000 events; zlib-ng 0.24 s), with the same decompressobj interface and results; measured by
# bench/bench.py and the notes in README's Performance section. Its stub types `error` loosely.
_InflateError = cast(type[Exception], isal_zlib.error)


class _Inflater(Protocol):
    """What inflate() uses of a decompressobj (zlib's and isal_zlib's alike)."""

    unused_data: bytes
    unconsumed_tail: bytes
    eof: bool

    def decompress(self, data: bytes, max_length: int = 0, /) -> bytes: ...


def _new_inflater() -> _Inflater:
    return isal_zlib.decompressobj(_GZIP_WBITS)


class GzipError(DecodeError):
    """A gzip stream that cannot be inflated to its end (truncated, corrupt, trailing garbage)."""


def content_chunks(stream: BinaryIO, chunk: int = MIB, step: int = 16 * MIB) -> Iterator[bytes]:
    """The content of `stream` in chunks: inflated when it starts with the gzip magic, as-is otherwise."""
    raw = raw_chunks(stream, chunk)
    head = b""
    for piece in raw:  # a pipe may hand over the two magic bytes one read apart
        head += piece
        if len(head) >= len(GZIP_MAGIC):
            break
    if not head:
        return iter(())
    rest = _chain(head, raw)
    return inflate(rest, step) if head.startswith(GZIP_MAGIC) else rest


def raw_chunks(stream: BinaryIO, chunk: int) -> Iterator[bytes]:
    # read1 when there is one: a pipe then yields what has arrived instead of waiting for a whole
    # chunk, so `tail -f … | trailwarden scan -` sees each line as it comes
    read: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
    while piece := read(chunk):
        yield piece


@dataclass(slots=True)
class _Progress:
    compressed: int = 0
    inflated: int = 0
    padding: bool = False

    def truncated(self) -> GzipError:
        return GzipError(
            f"gzip stream truncated after {self.compressed:,} bytes ({self.inflated:,} bytes once "
            "inflated): the end-of-stream marker is missing"
        )

    def trailing(self) -> GzipError:
        return GzipError(f"unexpected data after the end of the gzip stream, near byte {self.compressed:,}")

    def corrupt(self, exc: Exception) -> GzipError:
        return GzipError(f"corrupt gzip data near byte {self.compressed:,} ({exc})")


def inflate(chunks: Iterator[bytes], step: int = 16 * MIB) -> Iterator[bytes]:
    """Inflate one or more gzip members, yielding at most `step` bytes at a time (a bomb never lands
    in memory whole)."""
    progress = _Progress()
    inflater: _Inflater | None = _new_inflater()
    carry = b""  # a lone first byte of what may be the next member's magic number
    for piece in chunks:
        progress.compressed += len(piece)
        data = carry + piece if carry else piece
        carry = b""
        while data:
            if inflater is None:  # between members
                if progress.padding or not GZIP_MAGIC.startswith(data[: len(GZIP_MAGIC)]):
                    _padding(data, progress)
                    break
                if len(data) < len(GZIP_MAGIC):
                    carry = data
                    break
                inflater = _new_inflater()
            yield from _inflate_all(inflater, data, step, progress)
            data, inflater = (inflater.unused_data, None) if inflater.eof else (b"", inflater)
    if carry:
        raise progress.trailing()
    if inflater is not None:
        raise progress.truncated()


def _padding(data: bytes, progress: _Progress) -> None:
    """Zero bytes after the last member (writers that pad to a block size) are not damage."""
    if data.strip(b"\x00"):
        raise progress.trailing()
    progress.padding = True


def _inflate_all(inflater: _Inflater, data: bytes, step: int, progress: _Progress) -> Iterator[bytes]:
    """All the output `data` gives, at most `step` bytes per piece — calling again while zlib still
    holds input, or when a full step came out, since more output may be pending inside zlib."""
    while True:
        try:
            out = inflater.decompress(data, step)
        except _InflateError as exc:
            raise progress.corrupt(exc) from None
        if out:
            progress.inflated += len(out)
            yield out
        data = inflater.unconsumed_tail
        if inflater.eof or (not data and len(out) < step):
            return


def gunzip_bytes(data: bytes, limit: int) -> bytes:
    """Inflate an in-memory payload (passed through when it is not gzip), refusing more than `limit`."""
    if not data.startswith(GZIP_MAGIC):
        return data
    parts: list[bytes] = []
    total = 0
    for piece in inflate(iter((data,)), step=min(limit + 1, 16 * MIB)):
        total += len(piece)
        if total > limit:
            raise DecodeError(f"the inflated payload is larger than {limit:,} bytes, the most read at once")
        parts.append(piece)
    return b"".join(parts)


def _chain(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from rest
