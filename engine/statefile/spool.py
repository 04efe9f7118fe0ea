"""The delivery spool: findings a sink could not take yet, kept until it can (at least once).

A finding is written here, with the sink's URL and its finding_id, in one committed transaction
(synchronous=FULL) BEFORE anyone is told it is spooled, so a SIGKILL or a power cut right after
cannot lose it. Rows are keyed on (sink, finding_id): spooling the same finding again replaces it,
and a re-send of a stable id upserts where the destination does.

`pending` rows are re-sent first by the next run or by `trailwarden flush`; `rejected` rows are
those the destination refused for good (bad token, mapping error): kept with the reason so nothing
is lost, re-sent only when asked (`flush --include-rejected`) once the cause is fixed.

Without `--state`, findings still have somewhere to go: `Spool.fallback()` is a spool file at
`$TRAILWARDEN_SPOOL`, else `$XDG_STATE_HOME/trailwarden/spool.sqlite` (`~/.local/state/…`), created
only when something is first spooled.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from engine.statefile.db import StateDB

PENDING = "pending"
REJECTED = "rejected"
SPOOL_ENV = "TRAILWARDEN_SPOOL"

_DDL = """
CREATE TABLE IF NOT EXISTS spool (
    sink        TEXT NOT NULL,
    finding_id  TEXT NOT NULL,
    finding     BLOB NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    reason      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 1,
    spooled_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (sink, finding_id)
);
CREATE INDEX IF NOT EXISTS spool_by_sink_status ON spool (sink, status);
"""
_PAGE = 500


def default_spool_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where findings wait when no `--state` file was given."""
    env = os.environ if environ is None else environ
    if env.get(SPOOL_ENV):
        return Path(env[SPOOL_ENV]).expanduser()
    base = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "trailwarden" / "spool.sqlite"


class Spool:
    """The spool table in a state file. Give it an open StateDB, or use `Spool.at(path)` to open
    the file only when there is something to write (or it already exists)."""

    def __init__(
        self, db: StateDB | None = None, *, path: str | Path | None = None, owned: bool = False
    ) -> None:
        if db is None and path is None:
            raise ValueError("a spool needs a StateDB or a path")
        self._db = db
        self._owned = owned or db is None
        self.path = str(db.path if db is not None else path)
        if db is not None:
            db.ensure(_DDL)

    @classmethod
    def at(cls, path: str | Path) -> Spool:
        return cls(path=path)

    @classmethod
    def fallback(cls, environ: Mapping[str, str] | None = None) -> Spool:
        return cls(path=default_spool_path(environ))

    def _open(self, *, create: bool) -> StateDB | None:
        if self._db is None:
            if not create and not Path(self.path).exists():
                return None
            self._db = StateDB.shared(self.path)
            self._db.ensure(_DDL)
        return self._db

    def add(
        self,
        sink: str,
        findings: Sequence[Mapping[str, Any]],
        *,
        reasons: Mapping[str, str] | None = None,
        status: str = PENDING,
    ) -> int:
        """Spool `findings` for `sink` in one durable transaction; returns how many were written."""
        if not findings:
            return 0
        db = self._open(create=True)
        assert db is not None
        now = _now()
        rows = [
            (
                sink,
                str(f["finding_id"]),
                orjson.dumps(f, default=str),
                status,
                (reasons or {}).get(str(f["finding_id"])),
                now,
                now,
            )
            for f in findings
        ]
        with db.transaction() as conn:
            conn.executemany(
                "INSERT INTO spool (sink, finding_id, finding, status, reason, spooled_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (sink, finding_id) DO UPDATE SET finding = excluded.finding,"
                " status = excluded.status, reason = excluded.reason,"
                " attempts = spool.attempts + 1, updated_at = excluded.updated_at",
                rows,
            )
        return len(rows)

    def pending(self, sink: str, *, include_rejected: bool = False) -> Iterator[dict[str, Any]]:
        """The findings waiting for `sink`, oldest first, read page by page (safe to `remove` while
        iterating)."""
        db = self._open(create=False)
        if db is None:
            return
        statuses = (PENDING, REJECTED) if include_rejected else (PENDING,)
        marks = ", ".join("?" for _ in statuses)
        last = 0
        while True:
            with db.lock:
                rows = db.conn.execute(
                    f"SELECT rowid, finding FROM spool WHERE sink = ? AND status IN ({marks}) AND rowid > ?"
                    " ORDER BY rowid LIMIT ?",
                    (sink, *statuses, last, _PAGE),
                ).fetchall()
            if not rows:
                return
            for rowid, blob in rows:
                last = rowid
                yield orjson.loads(blob)

    def remove(self, sink: str, ids: Iterable[str]) -> int:
        """Forget findings once `sink` has them; returns how many rows went."""
        keys = [(sink, fid) for fid in ids]
        db = self._open(create=False)
        if db is None or not keys:
            return 0
        with db.transaction() as conn:
            before = conn.total_changes
            conn.executemany("DELETE FROM spool WHERE sink = ? AND finding_id = ?", keys)
            return conn.total_changes - before

    def mark(self, sink: str, reasons: Mapping[str, str], *, status: str) -> None:
        """Record another failed attempt (or a rejection) of spooled findings, with its reason."""
        db = self._open(create=False)
        if db is None or not reasons:
            return
        now = _now()
        with db.transaction() as conn:
            conn.executemany(
                "UPDATE spool SET status = ?, reason = ?, attempts = attempts + 1, updated_at = ?"
                " WHERE sink = ? AND finding_id = ?",
                [(status, reason, now, sink, fid) for fid, reason in reasons.items()],
            )

    def count(self, sink: str | None = None, *, status: str | None = PENDING) -> int:
        db = self._open(create=False)
        if db is None:
            return 0
        where, args = _where(sink, status)
        with db.lock:
            row = db.conn.execute(f"SELECT count(*) FROM spool{where}", args).fetchone()
        return int(row[0])

    def ids(self, sink: str, *, status: str | None = None) -> set[str]:
        """Every finding_id spooled for `sink` (for checks and tests; loads ids only)."""
        db = self._open(create=False)
        if db is None:
            return set()
        where, args = _where(sink, status)
        with db.lock:
            return {row[0] for row in db.conn.execute(f"SELECT finding_id FROM spool{where}", args)}

    def sinks(self) -> list[str]:
        """The sinks with anything spooled, for `trailwarden flush` without a sink list."""
        db = self._open(create=False)
        if db is None:
            return []
        with db.lock:
            return [row[0] for row in db.conn.execute("SELECT DISTINCT sink FROM spool ORDER BY sink")]

    def close(self) -> None:
        """Close the file if this spool opened it; a StateDB passed in belongs to the caller."""
        if self._owned and self._db is not None:
            self._db.close()
            self._db = None


def _where(sink: str | None, status: str | None) -> tuple[str, tuple[str, ...]]:
    clauses, args = [], []
    if sink is not None:
        clauses.append("sink = ?")
        args.append(sink)
    if status is not None:
        clauses.append("status = ?")
        args.append(status)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
