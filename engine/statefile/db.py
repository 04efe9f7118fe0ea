"""The one SQLite file named by `--state`.

Checkpoints, open stateful windows and the delivery spool each own their tables in it; they share
one connection per process so a checkpoint and the findings it covers can commit together."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType

from engine.interrupts import DeferringLock


class StateDB:
    """A thread-safe handle on the state file; modules create their own tables with `ensure`."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: sinks deliver from worker threads; `lock` serialises writers.
        self.conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self.lock = DeferringLock()  # a transaction under way is never cut by Ctrl-C
        self.conn.execute("PRAGMA journal_mode=WAL")
        # FULL, not NORMAL: a finding reported as spooled must survive a power cut or SIGKILL.
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA busy_timeout=30000")

    def ensure(self, ddl: str) -> None:
        """Create a table or index if it is missing (idempotent DDL: `CREATE … IF NOT EXISTS`)."""
        with self.lock:
            self.conn.executescript(ddl)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def __enter__(self) -> StateDB:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
