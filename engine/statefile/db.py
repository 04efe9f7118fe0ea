"""The one SQLite file named by `--state`.

Checkpoints, open stateful windows and the delivery spool each own their tables in it; they share
one connection per process so a checkpoint and the findings it covers can commit together."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from engine.errors import UsageError
from engine.interrupts import DeferringLock

FORMAT_VERSION = 1  # of the file as a whole; each table's owner versions its own rows
LOCK_SECONDS = 30

_META = """
CREATE TABLE IF NOT EXISTS trailwarden_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO trailwarden_meta VALUES ('format', '1');
"""

_SHARED: dict[str, StateDB] = {}
_SHARED_LOCK = threading.Lock()
_CHECKED: set[str] = set()  # files found sound by this process (checked once: a full read)


class StateFileError(UsageError):
    """The state file cannot be used as it is: named, said why, and left untouched (exit 2)."""


class StateDB:
    """A thread-safe handle on the state file; modules create their own tables with `ensure`.

    Opening checks the file first — SQLite, sound (`PRAGMA quick_check`), not from a newer
    trailwarden, writable, not held by another scan for longer than LOCK_SECONDS — and refuses it
    with a StateFileError before anything is written to it."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.lock = DeferringLock()  # a transaction under way is never cut by Ctrl-C
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False: sinks deliver from worker threads; `lock` serialises writers.
            self.conn = sqlite3.connect(
                self.path, timeout=LOCK_SECONDS, check_same_thread=False, isolation_level=None
            )
            self._check()
            self.conn.execute("PRAGMA journal_mode=WAL")
            # FULL, not NORMAL: a finding reported as spooled must survive a power cut or SIGKILL.
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute(f"PRAGMA busy_timeout={LOCK_SECONDS * 1000}")
            self.conn.executescript(_META)
        except (sqlite3.Error, OSError) as exc:
            raise self._refusal(exc) from None

    def _check(self) -> None:
        if self.path == ":memory:" or self.path in _CHECKED:
            return
        (verdict,) = self.conn.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({verdict})")
        tables = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "trailwarden_meta" in tables:
            row = self.conn.execute("SELECT value FROM trailwarden_meta WHERE key = 'format'").fetchone()
            if row is not None and int(row[0]) > FORMAT_VERSION:
                raise StateFileError(
                    f"state file {self.path} was written by a newer trailwarden (format {row[0]})",
                    hint="upgrade trailwarden, or give --state a new path",
                )
        _CHECKED.add(self.path)

    def _refusal(self, exc: BaseException) -> StateFileError:
        if isinstance(exc, StateFileError):
            return exc
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StateFileError(
                f"state file {self.path} is in use by another scan (still locked after {LOCK_SECONDS} s)",
                hint="wait for the other scan to finish, or give this one its own --state",
            )
        if "readonly" in text or "read-only" in text or isinstance(exc, OSError) or "unable to open" in text:
            return StateFileError(
                f"cannot write to the state file {self.path}: {text}",
                hint="check the file's and its folder's permissions, and the free disk space",
            )
        return StateFileError(
            f"{self.path} is not a usable trailwarden state file (not SQLite, or damaged): {text}",
            hint="give --state a new path, or move this file away; it has not been changed",
        )

    def ensure(self, ddl: str) -> None:
        """Create a table or index if it is missing (idempotent DDL: `CREATE … IF NOT EXISTS`)."""
        with self.lock:
            try:
                self.conn.executescript(ddl)
            except sqlite3.Error as exc:
                raise self._refusal(exc) from None

    @classmethod
    def shared(cls, path: str | Path) -> StateDB:
        """The process's one handle on the file at `path` (opened on first use, counted, closed by
        the last `close`): the seen event ids, the windows and the spool of a scan then share a
        connection, so one transaction can hold several of them."""
        key = str(Path(path).resolve()) if str(path) != ":memory:" else None
        if key is None:
            return cls(path)
        with _SHARED_LOCK:
            found = _SHARED.get(key)
            if found is None or found.closed:
                found = _SHARED[key] = cls(path)
            found.refs += 1
            return found

    refs = 0
    closed = False

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction; one opened inside another joins it (only the outermost commits)."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self.conn.execute("COMMIT")

    _depth = 0

    def close(self) -> None:
        with self.lock:
            if self.refs > 1:
                self.refs -= 1
                return
            self.refs = 0
            if not self.closed:
                self.closed = True
                self.conn.close()

    def __enter__(self) -> StateDB:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
