"""Lines out of chunks: the same lines as a file object gives, wherever the chunk borders fall."""

from __future__ import annotations

import io

import pytest

from engine.decoding.reader import ChunkReader
from engine.errors import DecodeError

TEXT = b'{"a": 1}\n\n{"b": [2, 3]}\nlast line without newline'


def lines(reader: ChunkReader, size: int) -> list[bytes]:
    out = []
    while line := reader.readline(size):
        out.append(line)
    return out


@pytest.mark.parametrize("chunk", [1, 2, 5, 9, 10, 64])
@pytest.mark.parametrize("size", [3, 9, 1000])
def test_readline_matches_a_file_object(chunk: int, size: int) -> None:
    """For any chunking and any size limit, the lines equal what io.BytesIO.readline returns."""
    pieces = iter([TEXT[i : i + chunk] for i in range(0, len(TEXT), chunk)])
    expected = lines(io.BytesIO(TEXT), size)  # type: ignore[arg-type]
    assert lines(ChunkReader(pieces), size) == expected


def test_a_chunk_that_is_one_whole_line_is_returned_without_a_copy() -> None:
    """An S3 delivery file inflated in one step is handed on as the very same bytes object."""
    chunk = b'{"Records": []}' * 1000
    reader = ChunkReader(iter([chunk]))
    assert reader.readline(10**9) is chunk
    assert reader.readline(10**9) == b""


def test_read_rest_returns_what_readline_left_and_is_bounded() -> None:
    """After a line, the rest comes whole; more than the limit is a DecodeError naming the size."""
    reader = ChunkReader(iter([b"first\nsec", b"ond", b"\nthird"]))
    assert reader.readline(100) == b"first\n"
    assert reader.read_rest(100, "the rest", prefix=b">") == b">second\nthird"
    reader = ChunkReader(iter([b"x" * 10, b"y" * 10]))
    with pytest.raises(DecodeError, match="the rest is larger than 15 bytes"):
        reader.read_rest(15, "the rest")
