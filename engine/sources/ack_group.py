"""Several blobs that stand or fall together: the objects one SQS message names, the pages of one
LookupEvents window. The group is complete when it is closed (no more parts will come) and every
part was acknowledged; one failed part keeps it from ever completing."""

from __future__ import annotations

import threading
from collections.abc import Callable


class AckGroup:
    def __init__(self, on_complete: Callable[[], None]) -> None:
        self._on_complete = on_complete
        self._open_parts = 0
        self._closed = False
        self._failed = False
        self._completed = False
        self._lock = threading.Lock()

    def part(self) -> Callable[[], None]:
        """A new part; the returned callable is its acknowledgement (idempotent)."""
        with self._lock:
            self._open_parts += 1
        acked = threading.Event()

        def ack() -> None:
            if acked.is_set():
                return
            acked.set()
            with self._lock:
                self._open_parts -= 1
            self._complete_if_done()

        return ack

    def fail(self) -> None:
        """A part could not be read: the group never completes."""
        with self._lock:
            self._failed = True

    def close(self) -> None:
        """No more parts will be added."""
        with self._lock:
            self._closed = True
        self._complete_if_done()

    @property
    def failed(self) -> bool:
        return self._failed

    @property
    def completed(self) -> bool:
        return self._completed

    def _complete_if_done(self) -> None:
        with self._lock:
            if self._completed or self._failed or not self._closed or self._open_parts:
                return
            self._completed = True
        self._on_complete()
