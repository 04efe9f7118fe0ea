"""Seen event ids: a repeat within the window is caught, the window is bounded by count and by
event-time age, and only committed ids survive a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.statefile.db import StateDB
from engine.statefile.seen_events import SeenEvents

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_an_event_delivered_twice_is_first_seen_once() -> None:
    seen = SeenEvents()
    assert seen.first_time("e1", "2026-11-20T12:00:00Z")
    assert seen.first_time("e2", "2026-11-20T12:00:01Z")
    assert not seen.first_time("e1", "2026-11-20T12:00:00Z")


def test_ids_older_than_the_window_by_event_time_are_forgotten() -> None:
    seen = SeenEvents(max_age=timedelta(hours=1))
    assert seen.first_time("old", T0)
    assert seen.first_time("new", T0 + timedelta(hours=2))  # pushes "old" out of the window
    assert len(seen) == 1
    assert seen.first_time("late", T0 - timedelta(hours=3))  # too old to remember: never a repeat
    assert len(seen) == 1


def test_the_window_holds_at_most_max_events_dropping_the_oldest() -> None:
    seen = SeenEvents(max_events=3)
    for n in range(5):
        assert seen.first_time(f"e{n}", T0 + timedelta(seconds=n))
    assert len(seen) == 3
    assert not seen.first_time("e4", T0 + timedelta(seconds=4))
    assert seen.first_time("e0", T0)  # evicted: it counts as new again


def test_only_committed_ids_survive_a_restart(tmp_path: Path) -> None:
    """Ids of a blob whose findings were not acknowledged must be evaluated again after a crash."""
    path = tmp_path / "state.db"
    seen = SeenEvents(StateDB(path))
    for event_id in ("a1", "a2", "b1"):
        assert seen.first_time(event_id, T0)
    seen.commit(["a1", "a2"])  # blob A acknowledged; blob B not yet
    again = SeenEvents(StateDB(path))
    assert not again.first_time("a1", T0)
    assert not again.first_time("a2", T0)
    assert again.first_time("b1", T0)


def test_stored_ids_are_pruned_by_age_and_count(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    seen = SeenEvents(db, max_events=2, max_age=timedelta(hours=1))
    ids = [f"e{n}" for n in range(4)]
    for n, event_id in enumerate(ids):
        seen.first_time(event_id, T0 + timedelta(minutes=n))
    seen.commit(ids)
    seen.first_time("later", T0 + timedelta(hours=2))
    seen.commit(["later"])
    assert [r[0] for r in db.conn.execute("SELECT event_id FROM seen_events")] == ["later"]
