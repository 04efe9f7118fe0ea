"""Open stateful windows in the --state file, so a restarted scan neither loses a half-counted burst
nor counts it twice.

Three tables: `window_meta` (how far event time has gone), `window_state` (one row per stateful
rule: its open groups and the events still waiting in its reorder buffer, as JSON, with a
fingerprint of the rule's definition so state saved under an older definition is not misread),
and `window_reported` (windows a run reported before they closed, with the count it reported, so
the run that closes them repeats the finding only if it grew). Each save is one transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from engine.statefile.db import StateDB

_DDL = """
CREATE TABLE IF NOT EXISTS window_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS window_state (
    rule_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS window_reported (
    finding_id TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    ends REAL NOT NULL
);
"""


@dataclass(slots=True)
class SavedWindows:
    """What a previous run left: event-time progress, each rule's state, and windows reported early."""

    meta: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # id -> (fingerprint, state)
    reported: dict[str, tuple[int, float]] = field(default_factory=dict)  # finding id -> (count, window end)


class WindowStore:
    def __init__(self, path: str | Path) -> None:
        self.db = StateDB.shared(path)
        self.db.ensure(_DDL)

    def load(self) -> SavedWindows:
        saved = SavedWindows()
        with self.db.lock:
            conn = self.db.conn
            for name, value in conn.execute("SELECT name, value FROM window_meta"):
                saved.meta[str(name)] = orjson.loads(value)
            for rule_id, fingerprint, state in conn.execute(
                "SELECT rule_id, fingerprint, state FROM window_state"
            ):
                saved.rules[str(rule_id)] = (str(fingerprint), orjson.loads(state))
            for finding_id, count, ends in conn.execute(
                "SELECT finding_id, count, ends FROM window_reported"
            ):
                saved.reported[str(finding_id)] = (int(count), float(ends))
        return saved

    def save(
        self,
        meta: Mapping[str, Any],
        rules: Mapping[str, tuple[str, dict[str, Any]]],
        reported: Mapping[str, tuple[int, float]],
    ) -> None:
        """Replace the meta values, the rows of the rules given (others are left as they were:
        a run that selected fewer rules keeps the rest's windows) and the reported table."""
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO window_meta VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                [(name, _dumps(value).decode()) for name, value in meta.items()],
            )
            conn.executemany(
                "INSERT INTO window_state VALUES (?, ?, ?) ON CONFLICT(rule_id) DO UPDATE SET "
                "fingerprint = excluded.fingerprint, state = excluded.state",
                [(rule_id, fp, _dumps(state)) for rule_id, (fp, state) in rules.items()],
            )
            conn.execute("DELETE FROM window_reported")
            conn.executemany(
                "INSERT INTO window_reported VALUES (?, ?, ?)",
                [(fid, count, ends) for fid, (count, ends) in reported.items()],
            )

    def close(self) -> None:
        self.db.close()


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer past 64 bits in some event: orjson refuses, json does not
        return json.dumps(value).encode()
