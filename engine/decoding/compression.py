"""Gzip, recognised by its magic bytes (never by a file name) and inflated as a stream.

CloudTrail writes `.json.gz`, but exports get renamed, S3 serves objects with or without
Content-Encoding, and Firehose concatenates gzip members; so the bytes decide. The reader here
inflates in bounded steps, accepts multi-member files, and says how far it got when a stream is cut
short — a half-written or half-downloaded file is a common sight in an incident folder."""

from __future__ import annotations

import io
import zlib
from typing import BinaryIO

from engine.decoding.limits import MIB
from engine.errors import DecodeError

GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 31  # zlib's "gzip header and trailer" mode


class GzipError(DecodeError):
    """A gzip stream that cannot be inflated to its end (truncated, corrupt, trailing garbage)."""


class _Prefixed(io.RawIOBase):
    """A stream whose first bytes were already read to sniff it: hands them back, then the rest."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        # read1 when there is one: a pipe then yields what has arrived instead of waiting for a
        # full chunk, so `tail -f … | trailwarden scan -` sees each line as it comes
        self._read = getattr(rest, "read1", rest.read)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


class GzipReader(io.RawIOBase):
    """Inflate a gzip stream (one or several members) at most `step` output bytes at a time."""

    def __init__(self, raw: BinaryIO | io.RawIOBase, chunk: int = MIB, step: int = 4 * MIB) -> None:
        self._raw = raw
        self._chunk = chunk
        self._step = step
        self._inflater = zlib.decompressobj(_GZIP_WBITS)
        self._out = memoryview(b"")
        self._done = False
        self.compressed = 0
        self.decompressed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._out:
            if self._done:
                return 0
            self._refill()
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _refill(self) -> None:
        inflater = self._inflater
        if inflater.unconsumed_tail:
            self._inflate(inflater.unconsumed_tail)
        elif inflater.eof:
            self._next_member(inflater.unused_data)
        else:
            data = self._read()
            if not data:
                raise GzipError(
                    f"gzip stream truncated after {self.compressed:,} bytes "
                    f"({self.decompressed:,} bytes once inflated): the end-of-stream marker is missing"
                )
            self._inflate(data)

    def _inflate(self, data: bytes) -> None:
        try:
            out = self._inflater.decompress(data, self._step)
        except zlib.error as exc:
            raise GzipError(f"corrupt gzip data after {self.compressed:,} bytes: {exc}") from None
        self.decompressed += len(out)
        self._out = memoryview(out)

    def _next_member(self, rest: bytes) -> None:
        """After one member ends: another member, zero padding (tape-era writers), or the end."""
        while len(rest) < 2:
            more = self._read()
            if not more:
                break
            rest += more
        if not rest:
            self._done = True
        elif rest.startswith(GZIP_MAGIC):
            self._inflater = zlib.decompressobj(_GZIP_WBITS)
            self._inflate(rest)
        elif not rest.strip(b"\x00"):
            self._skip_padding()
            self._done = True
        else:
            raise GzipError(
                f"unexpected data after the end of the gzip stream, near byte {self.compressed:,}"
            )

    def _skip_padding(self) -> None:
        while more := self._read():
            if more.strip(b"\x00"):
                raise GzipError(
                    f"unexpected data after the end of the gzip stream, near byte {self.compressed:,}"
                )

    def _read(self) -> bytes:
        data = self._raw.read(self._chunk) or b""
        self.compressed += len(data)
        return data


def open_inflated(stream: BinaryIO, buffer_size: int = MIB) -> BinaryIO:
    """A buffered stream of the content: inflated when it starts with the gzip magic, as-is otherwise."""
    head = _read_exactly(stream, len(GZIP_MAGIC))
    raw: io.RawIOBase = _Prefixed(head, stream)
    if head == GZIP_MAGIC:
        raw = GzipReader(raw)
    return io.BufferedReader(raw, buffer_size)


def gunzip_bytes(data: bytes, limit: int) -> bytes:
    """Inflate an in-memory gzip payload, refusing more than `limit` bytes of output."""
    stream = open_inflated(io.BytesIO(data))
    return read_bounded(stream, limit, what="the inflated payload")


def read_bounded(stream: BinaryIO, limit: int, what: str = "the document", chunk: int = MIB) -> bytes:
    """Read to the end, or raise once more than `limit` bytes came (a gzip bomb, a runaway file)."""
    parts: list[bytes] = []
    total = 0
    while piece := stream.read(chunk):
        total += len(piece)
        if total > limit:
            raise DecodeError(f"{what} is larger than {limit:,} bytes, the most read at once")
        parts.append(piece)
    return b"".join(parts)


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    """Up to n bytes, looping: a pipe may hand them over one at a time."""
    data = b""
    while len(data) < n:
        more = stream.read(n - len(data))
        if not more:
            break
        data += more
    return data
