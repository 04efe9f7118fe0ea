"""Checkpoints: the stored position moves only over an unbroken run of acknowledged items, and a
new process (as after SIGKILL) resumes with nothing acknowledged read twice and nothing missed."""

from __future__ import annotations

from pathlib import Path

from engine.statefile.checkpoints import Checkpoints, StreamProgress
from engine.statefile.db import StateDB

ITEMS = [f"k{n:02d}" for n in range(10)]


def hand_out(progress: StreamProgress, items: list[str]) -> None:
    for item in items:
        assert progress.wants(item)
        progress.handed_out(item)


def test_position_waits_for_the_oldest_unacknowledged_item(tmp_path: Path) -> None:
    progress = StreamProgress(Checkpoints(StateDB(tmp_path / "s.db")), "s3://b/p/")
    hand_out(progress, ITEMS[:4])
    progress.acked("k01")
    progress.acked("k02")
    assert progress.position is None
    progress.acked("k00")
    assert progress.position == "k02"
    progress.acked("k03")
    assert progress.position == "k03"


def test_a_new_process_reads_again_exactly_what_was_not_acknowledged(tmp_path: Path) -> None:
    """Acks out of order, then the process dies: the restart skips the acked, re-reads the rest."""
    path = tmp_path / "s.db"
    first = StreamProgress(Checkpoints(StateDB(path)), "s3://b/p/")
    hand_out(first, ITEMS)
    for item in ("k00", "k01", "k02", "k05", "k07"):
        first.acked(item)
    # no close, no flush: what is in the file is what a SIGKILL would leave
    second = StreamProgress(Checkpoints(StateDB(path)), "s3://b/p/")
    assert second.resume_after() == "k02"
    assert [i for i in ITEMS if i > "k02" and second.wants(i)] == ["k03", "k04", "k06", "k08", "k09"]


def test_items_before_the_rewound_position_are_forgotten(tmp_path: Path) -> None:
    """Only acknowledged items a re-listing can meet again (after keep_from(position)) are kept."""
    db = StateDB(tmp_path / "s.db")
    progress = StreamProgress(Checkpoints(db), "st", keep_from=lambda p: f"k{int(p[1:]) - 2:02d}")
    hand_out(progress, ITEMS)
    for item in ITEMS:
        progress.acked(item)
    assert progress.resume_after() == "k07"
    rows = db.conn.execute("SELECT item FROM checkpoint_items WHERE stream = 'st' ORDER BY item").fetchall()
    assert [r[0] for r in rows] == ["k07", "k08", "k09"]


def test_a_failed_item_is_retried_then_given_up(tmp_path: Path) -> None:
    progress = StreamProgress(Checkpoints(StateDB(tmp_path / "s.db")), "st", max_attempts=2)
    hand_out(progress, ["k00", "k01"])
    progress.acked("k01")
    progress.failed("k00")
    assert progress.position is None  # the position waits for the failed item
    assert progress.wants("k00")
    progress.handed_out("k00")
    progress.failed("k00")  # second failure: given up, reported, and the position moves on
    assert progress.position == "k01"
    assert progress.resume_after() == "k01"  # a re-listing starts after it


def test_passed_over_items_move_the_position_once_flushed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    progress = StreamProgress(Checkpoints(StateDB(path)), "st")
    progress.passed_over("k00")
    progress.passed_over("k01")
    assert Checkpoints(StateDB(path)).position("st") is None  # not worth a write of its own
    progress.flush()
    assert Checkpoints(StateDB(path)).position("st") == "k01"


def test_withdrawn_items_no_longer_hold_the_position(tmp_path: Path) -> None:
    progress = StreamProgress(Checkpoints(StateDB(tmp_path / "s.db")), "st")
    hand_out(progress, ["k00", "k01"])
    progress.withdraw("k00")
    progress.acked("k01")
    assert progress.position == "k01"
    assert progress.idle()


def test_streams_keep_separate_positions(tmp_path: Path) -> None:
    store = Checkpoints(StateDB(tmp_path / "s.db"))
    a, b = StreamProgress(store, "a"), StreamProgress(store, "b")
    hand_out(a, ["k05"])
    a.acked("k05")
    assert store.position("a") == "k05"
    assert store.position("b") is None
    assert b.wants("k05")
