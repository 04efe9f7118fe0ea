"""A huge JSON-lines stream is decoded in constant memory: far more data passes through than the
process ever holds."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO

CHILD = """
import io, json, resource, sys, zlib
from engine.decoding import Record, decode_blob
from engine.types import Blob

LINE = json.dumps({"eventVersion": "1.09", "eventName": "GetObject", "eventTime": "2026-11-20T10:00:00Z",
                   "eventSource": "s3.amazonaws.com", "requestParameters": {"key": "k" * 1200}}).encode() + b"\\n"
TOTAL = int(sys.argv[1])

class GeneratedGzip(io.RawIOBase):
    # gzip of TOTAL bytes of JSON lines, produced as it is read: the input is never in memory either
    def __init__(self):
        self.left = TOTAL
        self.packer = zlib.compressobj(1, zlib.DEFLATED, 31)
        self.out = b""
    def readable(self):
        return True
    def readinto(self, buffer):
        while not self.out and self.left > 0:
            block = LINE * min(2000, self.left // len(LINE) + 1)
            self.left -= len(block)
            self.out = self.packer.compress(block) + (self.packer.flush() if self.left <= 0 else b"")
        n = min(len(buffer), len(self.out))
        buffer[:n] = self.out[:n]
        self.out = self.out[n:]
        return n

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
records = sum(isinstance(item, Record) for item in decode_blob(Blob("huge.jsonl.gz", GeneratedGzip)))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(records, before, after)
"""


def test_a_huge_json_lines_stream_is_decoded_in_constant_memory() -> None:
    """200 MB of JSON lines (gzip, generated on the fly) raise the peak memory by less than 64 MB."""
    total = 200 * 1024 * 1024
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(total)], cwd=REPO, capture_output=True, check=True, text=True
    )
    records, before_kib, after_kib = map(int, out.stdout.split())
    assert records > 150_000  # every line of the stream came out
    assert after_kib - before_kib < 64 * 1024, f"peak memory grew by {(after_kib - before_kib) // 1024} MiB"
