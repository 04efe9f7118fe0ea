"""Recent event ids, so an event CloudTrail delivers twice (it does, rarely, in two files) gives
findings once. Bounded by count and by event-time age — event time, not the wall clock, so a
replayed export behaves like the live stream — and kept in the state file across runs.

Ids are stored only with `commit`, which the pipeline calls when it acknowledges a blob, for that
blob's ids: an id must not be stored before its findings are out, or a crash in between would make
the restarted scan pass over an event whose findings were never delivered."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from engine.statefile.db import StateDB

_DDL = """
CREATE TABLE IF NOT EXISTS seen_events (
    event_id TEXT PRIMARY KEY,
    event_time REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_events_time ON seen_events (event_time);
"""

DEFAULT_MAX_EVENTS = 200_000
DEFAULT_MAX_AGE = timedelta(hours=24)


class SeenEvents:
    """`first_time(event_id, event_time)` answers and remembers in memory; `commit(ids)` stores."""

    def __init__(
        self,
        db: StateDB | None = None,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_age: timedelta = DEFAULT_MAX_AGE,
    ) -> None:
        self.db = db
        self.max_events = max_events
        self.max_age = max_age.total_seconds()
        self._times: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []  # (event time, id): the oldest is evicted first
        self._newest = float("-inf")
        self._lock = threading.Lock()
        if db is not None:
            db.ensure(_DDL)
            self._load(db)

    def first_time(self, event_id: str, event_time: object) -> bool:
        """True the first time `event_id` is seen within the window (and remember it); False for a
        repeat. An event without a parseable time counts as being as new as the newest seen."""
        when = _seconds(event_time)
        with self._lock:
            if event_id in self._times:
                return False
            if when is None:
                when = self._newest if self._newest != float("-inf") else 0.0
            if when < self._newest - self.max_age:
                return True  # older than the window: too old to be remembered, so never a repeat
            self._times[event_id] = when
            heapq.heappush(self._heap, (when, event_id))
            self._newest = max(self._newest, when)
            self._evict()
            return True

    def commit(self, event_ids: Iterable[str]) -> None:
        """Store these ids (those of an acknowledged blob) and forget stored ones out of the window."""
        if self.db is None:
            return
        with self._lock:
            rows = [(i, self._times[i]) for i in event_ids if i in self._times]
            horizon = self._newest - self.max_age
        with self.db.transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO seen_events VALUES (?, ?)", rows)
            conn.execute("DELETE FROM seen_events WHERE event_time < ?", (horizon,))
            conn.execute(
                "DELETE FROM seen_events WHERE event_id IN (SELECT event_id FROM seen_events "
                "ORDER BY event_time DESC LIMIT -1 OFFSET ?)",
                (self.max_events,),
            )

    def __len__(self) -> int:
        return len(self._times)

    def _evict(self) -> None:
        horizon = self._newest - self.max_age
        while self._heap and (len(self._times) > self.max_events or self._heap[0][0] < horizon):
            _, event_id = heapq.heappop(self._heap)
            self._times.pop(event_id, None)

    def _load(self, db: StateDB) -> None:
        with db.lock:
            rows = db.conn.execute(
                "SELECT event_id, event_time FROM seen_events ORDER BY event_time DESC LIMIT ?",
                (self.max_events,),
            ).fetchall()
        for event_id, when in rows:
            self._times[str(event_id)] = float(when)
            self._heap.append((float(when), str(event_id)))
            self._newest = max(self._newest, float(when))
        heapq.heapify(self._heap)


def _seconds(value: object) -> float | None:
    """The time as epoch seconds; None for anything else a record may hold (a number, a list…)."""
    if isinstance(value, datetime):
        return value.timestamp()
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError):  # not a time, or one the platform cannot place
        return None
