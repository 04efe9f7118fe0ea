"""Gzip is recognised by its magic bytes whatever the name, inflated as a stream, and every way a
gzip stream goes wrong is a skip that says how."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from engine.decoding import decode_blob
from engine.decoding.compression import GzipError, gunzip_bytes, inflate
from engine.errors import DecodeError
from engine.types import Blob
from tests.decoding.builders import decode, decode_path, dumps, events_of, json_lines, sample_events, skips

EVENTS = sample_events(5)


@pytest.mark.parametrize("name", ["trail.json", "trail.txt", "trail", "trail.json.gz.bak"])
def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path: Path, name: str) -> None:
    """A gzip file whose name says nothing (or lies) is still inflated."""
    path = tmp_path / name
    path.write_bytes(gzip.compress(dumps({"Records": EVENTS})))
    assert events_of(decode_path(path)) == EVENTS


def test_plain_json_named_gz_is_read_as_plain_json(tmp_path: Path) -> None:
    """A `.json.gz` that was already gunzipped (a browser does that) is read as the JSON it is."""
    path = tmp_path / "trail.json.gz"
    path.write_bytes(dumps({"Records": EVENTS}))
    items = decode_path(path)
    assert skips(items) == []
    assert events_of(items) == EVENTS


def test_multi_member_gzip_is_read_to_the_last_member() -> None:
    """`cat a.gz b.gz` (and Firehose) make one stream of several members: all of them are read."""
    data = gzip.compress(json_lines(EVENTS[:2])) + gzip.compress(json_lines(EVENTS[2:]))
    assert events_of(decode(data, "cat.jsonl.gz")) == EVENTS


def test_zero_padding_after_the_gzip_stream_is_ignored() -> None:
    """Some writers pad to a block size with NUL bytes after the last member; that is not damage."""
    data = gzip.compress(dumps(EVENTS)) + b"\x00" * 700
    items = decode(data, "padded.gz")
    assert skips(items) == []
    assert events_of(items) == EVENTS


def test_garbage_after_the_gzip_stream_is_reported() -> None:
    """Bytes after the end of the gzip data that are not another member: the records, then a skip."""
    data = gzip.compress(json_lines(EVENTS)) + b"this is not gzip"
    items = decode(data, "tail.gz")
    assert events_of(items) == EVENTS
    [skip] = skips(items)
    assert "unexpected data after the end of the gzip stream" in skip.reason


def test_corrupt_gzip_data_is_reported_as_corrupt() -> None:
    """A flipped stretch inside the deflate stream (or a bad checksum) names corruption, not JSON."""
    data = bytearray(gzip.compress(dumps({"Records": EVENTS * 20})))
    data[-8:-4] = b"\x00\x00\x00\x00"  # the CRC-32 of the trailer
    [skip] = skips(decode(bytes(data), "crc.json.gz"))
    assert skip.where == "crc.json.gz"
    assert skip.reason.startswith("corrupt gzip data near byte ")
    assert (
        "incorrect" in skip.reason.lower() and "check" in skip.reason.lower()
    )  # zlib and ISA-L word it apart


class Trickle(io.RawIOBase):
    """A pipe that hands over one byte per read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.pos >= len(self.data):
            return 0
        buffer[0] = self.data[self.pos]
        self.pos += 1
        return 1


def test_gzip_is_sniffed_on_a_stream_that_gives_one_byte_at_a_time() -> None:
    """The two magic bytes are gathered even when the source delivers them one read apart."""
    data = gzip.compress(json_lines(EVENTS))
    blob = Blob("-", lambda: Trickle(data))  # type: ignore[arg-type,return-value]
    assert events_of(list(decode_blob(blob))) == EVENTS


def test_inflation_goes_in_bounded_steps() -> None:
    """Each piece of output is at most one step, so a bomb never lands in memory at once."""
    data = gzip.compress(b"\n" * 20_000_000)
    sizes = [len(piece) for piece in inflate(iter([data]), step=1 << 20)]
    assert max(sizes) <= 1 << 20
    assert sum(sizes) == 20_000_000


def test_inflation_is_exact_whatever_the_chunking() -> None:
    """Members split across reads at every awkward place (inside the magic number, the trailer) still
    inflate to the same bytes."""
    text = json_lines(EVENTS) * 50
    data = gzip.compress(text[:3000]) + gzip.compress(text[3000:]) + b"\x00" * 3
    for size in (1, 2, 3, 7, 1000, len(data)):
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        assert b"".join(inflate(iter(pieces), step=4096)) == text


def test_gunzip_bytes_refuses_output_over_its_limit() -> None:
    """In-memory payloads (Lambda `awslogs.data`) are bounded too."""
    with pytest.raises(DecodeError, match="larger than 1,000 bytes"):
        gunzip_bytes(gzip.compress(b"x" * 5000), limit=1000)
    assert gunzip_bytes(gzip.compress(b"x" * 5000), limit=5000) == b"x" * 5000


def test_truncated_gzip_raises_a_decode_error_with_counts() -> None:
    """Inflation itself says how many bytes it had read and inflated when the stream ended early."""
    data = gzip.compress(b"abc" * 1000)
    with pytest.raises(GzipError, match=r"truncated after \d+ bytes \(3,000 bytes once inflated\)"):
        b"".join(inflate(iter([data[:-8]])))  # the trailer is missing
