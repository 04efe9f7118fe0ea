"""The window tables of the --state file: what a stage saves comes back, state saved under another
definition of a rule is dropped (and said), and reported windows are remembered across runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from engine.detection.stateful.window import Hit, Window, event_dict
from engine.statefile.windows import WindowStore
from engine.types import Origin
from tests.detection.stateful.support import PACK, by_rule, denied, load, run, runnable


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """Meta values, per-rule state with fingerprints and the reported table survive a reopen."""
    store = WindowStore(tmp_path / "s.db")
    store.save(
        {"max_time": 12.5}, {"r1": ("abc", {"state": {"x": [1, 2]}, "pending": []})}, {"f1": (3, 99.0)}
    )
    store.save({"watermark": 2.0}, {}, {"f2": (1, 5.0)})
    store.close()
    saved = WindowStore(tmp_path / "s.db").load()
    assert saved.meta == {"max_time": 12.5, "watermark": 2.0}
    assert saved.rules == {"r1": ("abc", {"state": {"x": [1, 2]}, "pending": []})}
    assert saved.reported == {"f2": (1, 5.0)}


def test_window_tables_live_beside_other_state_in_one_file(tmp_path: Path) -> None:
    """The store adds its own tables to the state file and leaves other tables alone."""
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE checkpoints_example (x TEXT)")
        conn.execute("INSERT INTO checkpoints_example VALUES ('kept')")
    store = WindowStore(path)
    store.save({"version": 1}, {}, {})
    store.close()
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("SELECT x FROM checkpoints_example").fetchone() == ("kept",)
    assert {"window_meta", "window_state", "window_reported", "checkpoints_example"} <= tables


def test_windows_saved_under_another_definition_are_dropped(tmp_path: Path) -> None:
    """Three events counted under `count: 5`, then the rule changes to `count: 4`: the saved counts
    are dropped (not misread as counts of the new rule), and the summary names the rule."""
    state = str(tmp_path / "state.db")
    rules = runnable(load(tmp_path / "v1"), select=["denied-burst"])
    _, stats = run(rules, [denied(t) for t in (0, 10, 20)], state_path=state)
    assert any("Windows saved to" in n for n in (stats.windows.lines() + stats.notes))
    changed = runnable(load(tmp_path / "v2", PACK.replace("count: 5", "count: 4")), select=["denied-burst"])
    findings, stats = run(changed, [denied(t) for t in (30, 40)], state_path=state)
    assert by_rule(findings, "denied-burst") == []
    assert "Dropped saved windows of changed rule(s): denied-burst." in (stats.windows.lines() + stats.notes)


def test_state_kept_by_the_same_rules_continues_the_count(tmp_path: Path) -> None:
    """The in-process twin of the restart test: 3 events, then 2 more in a second Scanner, one finding."""
    state = str(tmp_path / "state.db")
    rules = runnable(load(tmp_path), select=["denied-burst"])
    first, _ = run(rules, [denied(t) for t in (0, 10, 20)], state_path=state)
    second, _ = run(rules, [denied(t) for t in (30, 40)], state_path=state)
    assert first == []
    (finding,) = second
    assert finding["count"] == 5 and len(finding["event_ids"]) == 5


def test_hits_and_windows_holding_event_text_save_the_event_itself() -> None:
    """An event a parallel worker matched stays orjson text in the parent's windows; what the state
    file gets, and what a finding renders, is the event as a dict, the same as for a parsed one."""
    event = denied(30.0)
    text = orjson.dumps(event)
    origin = Origin("part.json", 4)
    as_dict = Hit(30.0, "r", event, origin, '["a"]', event["eventID"], None, event["eventID"])
    as_text = Hit(30.0, "r", text, origin, '["a"]', event["eventID"], None, event["eventID"])
    assert as_text.dump() == as_dict.dump()
    assert Hit.load(orjson.loads(orjson.dumps(as_text.dump()))) == as_dict
    window = Window.open(as_text, 300.0)
    assert window.dump()["event"] == event
    assert event_dict(window.event) == event
