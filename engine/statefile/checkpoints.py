"""How far each stream (an S3 region folder, a LookupEvents region) has been read, kept in the state
file so a restarted scan — even after SIGKILL — resumes where it stopped.

A stream's items (S3 keys, window ends) are handed out in sort order and acknowledged in any order,
once their findings are delivered or spooled. The stored `position` is the last item up to which
every item handed out was acknowledged; items acknowledged beyond it are stored one by one. On
restart a source lists again from a little before the position (late arrivals sort before it) and
passes over the stored items: nothing acknowledged is read twice, nothing unacknowledged is missed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

import structlog

from engine.statefile.db import StateDB

log = structlog.get_logger("trailwarden.checkpoints")

_DDL = """
CREATE TABLE IF NOT EXISTS checkpoints (
    stream TEXT PRIMARY KEY,
    position TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoint_items (
    stream TEXT NOT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (stream, item)
) WITHOUT ROWID;
"""

Status = Literal["out", "failed", "done"]


class Checkpoints:
    """The two checkpoint tables of the state file."""

    def __init__(self, db: StateDB) -> None:
        self.db = db
        db.ensure(_DDL)

    def position(self, stream: str) -> str | None:
        with self.db.lock:
            row = self.db.conn.execute(
                "SELECT position FROM checkpoints WHERE stream = ?", (stream,)
            ).fetchone()
        return None if row is None else str(row[0])

    def items_from(self, stream: str, lower: str) -> set[str]:
        """Acknowledged items of `stream` that sort at or after `lower`."""
        with self.db.lock:
            rows = self.db.conn.execute(
                "SELECT item FROM checkpoint_items WHERE stream = ? AND item >= ?", (stream, lower)
            ).fetchall()
        return {str(row[0]) for row in rows}

    def record(self, stream: str, item: str | None, position: str | None, prune_below: str | None) -> None:
        """Store an acknowledged item and, when it moved, the new position — in one transaction, so
        a crash leaves either both or neither."""
        with self.db.transaction() as conn:
            if item is not None:
                conn.execute("INSERT OR IGNORE INTO checkpoint_items VALUES (?, ?)", (stream, item))
            if position is not None:
                conn.execute(
                    "INSERT INTO checkpoints VALUES (?, ?) "
                    "ON CONFLICT(stream) DO UPDATE SET position = excluded.position",
                    (stream, position),
                )
            if prune_below is not None:
                conn.execute(
                    "DELETE FROM checkpoint_items WHERE stream = ? AND item < ?", (stream, prune_below)
                )


def open_checkpoints(state_path: str | None) -> Checkpoints:
    """Checkpoints in the `--state` file (in memory without one), on a connection of their own
    that does not fsync every commit. In WAL mode a SIGKILL loses no committed checkpoint; a power
    cut may lose the last few, and their files are then read again — never skipped. An fsync per
    acknowledged file (~5 ms) would cap a scan at a couple of hundred files a second."""
    db = StateDB(state_path or ":memory:")
    with db.lock:
        db.conn.execute("PRAGMA synchronous=NORMAL")
    return Checkpoints(db)


class StreamProgress:
    """One stream's progress: which items were handed out, failed or acknowledged, and the stored
    position that moves only over an unbroken run of acknowledged items.

    `keep_from(position)` is where a re-listing starts: acknowledged items from there on are kept
    (to be passed over), older ones forgotten. Thread-safe: acks come from the pipeline's threads."""

    def __init__(
        self,
        store: Checkpoints,
        stream: str,
        keep_from: Callable[[str], str] = lambda position: position,
        max_attempts: int = 3,
    ) -> None:
        self.store = store
        self.stream = stream
        self.keep_from = keep_from
        self.max_attempts = max_attempts
        self.position = store.position(stream)
        self._done = store.items_from(stream, keep_from(self.position)) if self.position else set()
        self._outstanding: dict[str, Status] = {}  # handed out, in order; insertion order is sort order
        self._attempts: dict[str, int] = {}
        self._dirty = False  # the position moved and is not stored yet
        self._lock = threading.Lock()

    def resume_after(self) -> str | None:
        """Where listing starts again (exclusive), or None to start at the beginning."""
        with self._lock:
            return None if self.position is None else self.keep_from(self.position)

    def wants(self, item: str) -> bool:
        """True when `item` should be handed out: never acknowledged, not out already (a failed one
        is wanted again until it has used its attempts)."""
        with self._lock:
            return item not in self._done and self._outstanding.get(item, "failed") == "failed"

    def handed_out(self, item: str) -> None:
        with self._lock:
            self._outstanding[item] = "out"
            self._attempts[item] = self._attempts.get(item, 0) + 1

    def failed(self, item: str) -> None:
        """The item could not be read: keep it outstanding so the position waits for it and it is
        tried again (at the next poll, or the next run); after `max_attempts` give it up."""
        with self._lock:
            attempts = self._attempts.get(item, 1)
        if attempts < self.max_attempts:
            with self._lock:
                self._outstanding[item] = "failed"
            return
        log.error(
            "giving up on an input after repeated failures", stream=self.stream, item=item, attempts=attempts
        )
        self.acked(item)

    def withdraw(self, item: str) -> None:
        """Take back an item that will be handed out again under another name (a LookupEvents
        window retried as part of a larger one): the position no longer waits for it."""
        with self._lock:
            self._outstanding.pop(item, None)
            self._attempts.pop(item, None)
            self._advance()

    def acked(self, item: str) -> None:
        """The item's findings are delivered or spooled: store it, and move the position if it can."""
        with self._lock:
            self._done.add(item)
            self._outstanding[item] = "done"
            self._advance()
            self._persist(item)

    def passed_over(self, item: str) -> None:
        """The item was seen and deliberately not read (a digest, outside --since): the position may
        move over it, but it is not worth a write of its own — `flush` or the next ack stores it."""
        with self._lock:
            self._done.add(item)
            self._outstanding[item] = "done"
            self._advance()

    def flush(self) -> None:
        """Store a position that moved over passed-over items only."""
        with self._lock:
            if self._dirty:
                self._persist(None)

    def _advance(self) -> None:
        while self._outstanding:
            head = next(iter(self._outstanding))
            if self._outstanding[head] != "done":
                break
            del self._outstanding[head]
            self._attempts.pop(head, None)
            if self.position is None or head > self.position:
                self.position = head
                self._dirty = True

    def _persist(self, item: str | None) -> None:
        prune = self.keep_from(self.position) if self._dirty and self.position else None
        if prune is not None:
            self._done = {d for d in self._done if d >= prune}
        if item is not None or self._dirty:
            self.store.record(self.stream, item, self.position if self._dirty else None, prune)
        self._dirty = False

    def idle(self) -> bool:
        """True when nothing handed out is still waiting for its acknowledgement."""
        with self._lock:
            return all(status != "out" for status in self._outstanding.values())
