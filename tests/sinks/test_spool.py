"""The spool in the state file: durable, keyed by sink and finding id, read back oldest first."""

from __future__ import annotations

from pathlib import Path

from engine.statefile.db import StateDB
from engine.statefile.spool import PENDING, REJECTED, Spool, default_spool_path
from tests.sinks.conftest import findings

SINK = "splunk+https://splunk.local:8088"


def test_spooled_findings_survive_closing_and_reopening_the_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with StateDB(path) as db:
        Spool(db).add(SINK, findings(3), reasons={findings(1)[0]["finding_id"]: "HTTP 503"})
    with StateDB(path) as db:
        spool = Spool(db)
        assert [f["finding_id"] for f in spool.pending(SINK)] == [f["finding_id"] for f in findings(3)]
        assert spool.count(SINK) == 3


def test_spooling_the_same_finding_twice_keeps_one_row(tmp_path: Path) -> None:
    with StateDB(tmp_path / "s.db") as db:
        spool = Spool(db)
        spool.add(SINK, findings(2))
        spool.add(SINK, findings(2))
        assert spool.count(SINK) == 2


def test_rows_belong_to_one_sink(tmp_path: Path) -> None:
    with StateDB(tmp_path / "s.db") as db:
        spool = Spool(db)
        spool.add(SINK, findings(2))
        spool.add("syslog+tcp://log.local:601", findings(1))
        assert spool.count(SINK) == 2
        assert spool.sinks() == sorted([SINK, "syslog+tcp://log.local:601"])
        assert spool.remove(SINK, [f["finding_id"] for f in findings(2)]) == 2
        assert spool.count(SINK) == 0 and spool.count("syslog+tcp://log.local:601") == 1


def test_rejected_rows_are_kept_but_not_pending_unless_asked(tmp_path: Path) -> None:
    with StateDB(tmp_path / "s.db") as db:
        spool = Spool(db)
        batch = findings(3)
        spool.add(SINK, batch)
        spool.mark(SINK, {batch[0]["finding_id"]: "HTTP 400: bad event"}, status=REJECTED)
        assert spool.count(SINK, status=PENDING) == 2
        assert spool.count(SINK, status=REJECTED) == 1
        assert len(list(spool.pending(SINK))) == 2
        assert len(list(spool.pending(SINK, include_rejected=True))) == 3


def test_pending_can_be_removed_while_iterating(tmp_path: Path) -> None:
    with StateDB(tmp_path / "s.db") as db:
        spool = Spool(db)
        spool.add(SINK, findings(1200))
        seen: list[str] = []
        for finding in spool.pending(SINK):  # pages of 500: removals cross page boundaries
            seen.append(finding["finding_id"])
            if len(seen) % 100 == 0:
                spool.remove(SINK, seen[-100:])
        assert len(seen) == len(set(seen)) == 1200 and spool.count(SINK) == 0


def test_the_fallback_spool_is_not_created_until_something_is_spooled(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "spool.sqlite"
    spool = Spool.at(path)
    assert list(spool.pending(SINK)) == [] and spool.count(SINK) == 0
    assert not path.exists()
    spool.add(SINK, findings(1))
    spool.close()
    assert path.exists()
    assert Spool.at(path).count(SINK) == 1


def test_default_spool_path_follows_env_then_xdg(tmp_path: Path) -> None:
    assert default_spool_path({"TRAILWARDEN_SPOOL": str(tmp_path / "x.db")}) == tmp_path / "x.db"
    assert default_spool_path({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "trailwarden" / "spool.sqlite"
