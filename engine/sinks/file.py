"""stdout and files: one line per finding in the chosen format, appended and flushed per batch.

A file is opened in append mode so a second run adds to it, flushed after every batch so a reader
tailing it sees whole lines, and fsynced on close so findings reported as written survive a crash
of the machine. A batch counts as written only when every byte of it is. A file write that fails
(disk full) is a retryable failure: the batch goes to the spool rather than being lost.

Standard output is never spooled: what a reader did not take belongs to no later run. When the
reader goes away (`trailwarden scan … | head -1`), the sink says so (`reader_gone`) and the scan
ends quietly, as Unix tools do.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from engine.errors import UsageError
from engine.sinks.base import READER_GONE, Delivery, Finding, Sink, SinkOptions, finding_id, register_sink
from engine.sinks.url import SinkURL


class _StreamSink(Sink):
    default_batch_size = 200
    default_batch_bytes = 1024 * 1024

    stream: BinaryIO

    def send(self, batch: Sequence[Finding]) -> Delivery:
        lines, refused = self.encode_each(batch, lambda finding: _line(self.format.to_line(finding)))
        data = b"".join(line for _, line in lines)
        ids = [fid for fid, _ in lines]
        written = 0
        try:
            written = _write_all(self.stream, data)
        except OSError as exc:
            return refused + self._failed(lines, written, exc)
        return refused + Delivery.ok(ids, len(data))

    def _failed(self, lines: list[tuple[str, bytes]], written: int, exc: OSError) -> Delivery:
        """Lines wholly written before the failure are delivered; the rest are not."""
        done: list[str] = []
        for fid, line in lines:
            if written < len(line):
                break
            written -= len(line)
            done.append(fid)
        rest = [fid for fid, _ in lines[len(done) :]]
        return Delivery.ok(done) + Delivery.failed(rest, f"cannot write to {self.url}: {exc.strerror or exc}")


def _write_all(stream: BinaryIO, data: bytes) -> int:
    """Write every byte (a raw stream may take fewer than it is given); the count written."""
    view = memoryview(data)
    done = 0
    while done < len(view):
        count = stream.write(view[done:])
        if count is None:  # a non-blocking stream that would block: try again
            continue
        done += count
    stream.flush()
    return done


def _line(data: bytes) -> bytes:
    return data if data.endswith(b"\n") else data + b"\n"


@register_sink("stdout")
class StdoutSink(_StreamSink):
    """Findings to standard output (the default when no sink is named)."""

    spoolable = False

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        self.stream = sys.stdout.buffer

    def send(self, batch: Sequence[Finding]) -> Delivery:
        if self.reader_gone:
            return Delivery.refused((finding_id(f) for f in batch), READER_GONE)
        try:
            return super().send(batch)
        except BrokenPipeError:  # raised by the flush of what the buffer already held
            pass
        self._reader_left()
        return Delivery.refused((finding_id(f) for f in batch), READER_GONE)

    def _failed(self, lines: list[tuple[str, bytes]], written: int, exc: OSError) -> Delivery:
        result = super()._failed(lines, written, exc)
        if isinstance(exc, BrokenPipeError):
            self._reader_left()
            return Delivery.ok(result.delivered) + Delivery.refused(result.retry, READER_GONE)
        return result

    def _reader_left(self) -> None:
        """The reader closed the pipe: stop writing, and point stdout at /dev/null so that Python's
        own flush at exit does not complain about it either."""
        self.reader_gone = True
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)

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
            _end_torn_line(path, self.stream)
        except OSError as exc:
            raise UsageError(f"sink {path}: cannot open for append: {exc.strerror or exc}") from None

    def close(self) -> None:
        if self.stream.closed:
            return
        try:
            self.stream.flush()
            try:
                os.fsync(self.stream.fileno())
            except OSError:
                if Path(self.target.path).is_file():
                    raise  # a device such as /dev/null cannot be synced; a file must be
        finally:
            self.stream.close()


def _end_torn_line(path: Path, stream: BinaryIO) -> None:
    """A run killed mid-write may have left half a line at the end: end it, so the findings this
    run appends (the killed run's among them: nothing unacknowledged was lost) start on a line of
    their own instead of being glued to it."""
    size = path.stat().st_size
    if not size:
        return
    with path.open("rb") as existing:
        existing.seek(size - 1)
        last = existing.read(1)
    if last != b"\n":
        stream.write(b"\n")
        stream.flush()
