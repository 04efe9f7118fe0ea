"""Lines out of a stream of chunks, copying as little as possible.

`io.BufferedReader.readline` copies a long line three times (into its buffer, into a list of pieces,
into the result). Here a line that lies inside one chunk is one slice, and a chunk that is a whole
line — an S3 delivery file, inflated in one step — is returned as it is, without a copy."""

from __future__ import annotations

from collections.abc import Iterator

from engine.errors import DecodeError


class ChunkReader:
    """`readline` and `read_rest` over an iterator of byte chunks (file reads or inflated pieces)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = self._until_failure(chunks)
        self._buffer = b""
        self._pos = 0
        # Why the chunks stopped early (a truncated or corrupt gzip stream): the reader then ends
        # where they did, so what came before the damage is still read, and the framing reports it.
        self.failure: DecodeError | None = None

    def _until_failure(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        try:
            yield from chunks
        except DecodeError as exc:
            self.failure = exc

    def readline(self, size: int) -> bytes:
        """The next line with its newline, or its first `size` bytes when it is longer; b"" at the end."""
        buffer, pos = self._buffer, self._pos
        end = buffer.find(b"\n", pos, pos + size)
        if end >= 0:
            self._pos = end + 1
            return buffer[pos : end + 1]
        if len(buffer) - pos >= size:
            self._pos = pos + size
            return buffer[pos : pos + size]
        return self._gather(buffer[pos:], size)

    def _gather(self, head: bytes, size: int) -> bytes:
        """A line that runs past the current chunk: collect pieces until a newline, `size` or the end."""
        pieces = [head] if head else []
        have = len(head)
        for chunk in self._chunks:
            room = size - have
            end = chunk.find(b"\n", 0, room)
            cut = end + 1 if end >= 0 else min(len(chunk), room)
            pieces.append(chunk[:cut] if cut < len(chunk) else chunk)
            have += cut
            if end >= 0 or have >= size:
                self._buffer, self._pos = chunk, cut
                return b"".join(pieces)
        self._buffer, self._pos = b"", 0
        return b"".join(pieces)

    def read_rest(self, limit: int, what: str, prefix: bytes = b"") -> bytes:
        """`prefix` and everything left, joined once; DecodeError once more than `limit` bytes came
        (a bomb, a runaway file)."""
        pieces = [prefix, self._buffer[self._pos :]]
        have = len(prefix) + len(pieces[1])
        self._buffer, self._pos = b"", 0
        for chunk in self._chunks:
            have += len(chunk)
            if have > limit:
                break
            pieces.append(chunk)
        if have > limit:
            raise DecodeError(f"{what} is larger than {limit:,} bytes, the most read at once")
        return b"".join(pieces)
