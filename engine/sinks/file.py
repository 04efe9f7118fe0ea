"""stdout and files: one line per finding in the chosen format, appended and flushed per batch.

A file is opened in append mode so a second run adds to it, flushed after every batch so a reader
tailing it sees whole lines, and fsynced on close so findings reported as written survive a crash
of the machine. A write that fails (disk full, closed pipe) is a retryable failure: the batch goes
to the spool rather than being lost.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from engine.errors import UsageError
from engine.sinks.base import Delivery, Finding, Sink, SinkOptions, register_sink
from engine.sinks.url import SinkURL


class _StreamSink(Sink):
    default_batch_size = 200
    default_batch_bytes = 1024 * 1024

    stream: BinaryIO

    def send(self, batch: Sequence[Finding]) -> Delivery:
        lines, refused = self.encode_each(batch, lambda finding: _line(self.format.to_line(finding)))
        data = b"".join(line for _, line in lines)
        ids = [fid for fid, _ in lines]
        try:
            self.stream.write(data)
            self.stream.flush()
        except OSError as exc:
            return refused + Delivery.failed(ids, f"cannot write to {self.url}: {exc.strerror or exc}")
        return refused + Delivery.ok(ids, len(data))


def _line(data: bytes) -> bytes:
    return data if data.endswith(b"\n") else data + b"\n"


@register_sink("stdout")
class StdoutSink(_StreamSink):
    """Findings to standard output (the default when no sink is named)."""

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        self.stream = sys.stdout.buffer

    def close(self) -> None:
        # A closed pipe (`| head`) at exit is the reader's choice, not a failure.
        with contextlib.suppress(OSError):
            self.stream.flush()


@register_sink("file")
class FileSink(_StreamSink):
    """Findings appended to a local file: `file:///var/log/trailwarden.jsonl` or a plain path."""

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        path = Path(url.path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.stream = path.open("ab")
        except OSError as exc:
            raise UsageError(f"sink {path}: cannot open for append: {exc.strerror or exc}") from None

    def close(self) -> None:
        if self.stream.closed:
            return
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
        finally:
            self.stream.close()
