"""Naming what a file is when it is not JSON, so the skip tells the user what they handed us
("a zip archive (unpack it first)", "it looks like CSV") rather than only where parsing stopped."""

from __future__ import annotations

import re

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip data inside gzip (decompress it once, then scan it)"),
    (b"PK\x03\x04", "a zip archive (unpack it, then scan the folder)"),
    (b"BZh", "bzip2-compressed data (decompress it first)"),
    (b"\xfd7zXZ\x00", "xz-compressed data (decompress it first)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data (decompress it first)"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
)
_CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))
_YAML_KEY = re.compile(rb"^(---|[A-Za-z_@][\w@.-]*:(\s|$))")


def describe_binary(head: bytes) -> str | None:
    """What binary data this is, or None when it reads as text."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    sample = head[:1024]
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    if b"\x00" in sample or controls * 100 > len(sample):
        return f"binary data (it starts with bytes {sample[:8].hex(' ')})"
    return None


def text_hint(first_line: bytes) -> str:
    """A guess at the format of a text that is not JSON, as a parenthesised aside (or '')."""
    line = first_line.strip()
    if line.startswith((b"{", b"[")):
        return ""
    if line.startswith(b"<"):
        return " (it looks like XML or HTML)"
    if _YAML_KEY.match(line):
        return " (it looks like YAML)"
    if line.count(b",") >= 2:
        return " (it looks like CSV)"
    return ""
