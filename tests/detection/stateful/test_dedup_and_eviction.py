"""dedup (one finding per key per window, with the count, emitted at close) and bounded state
(groups past the cap evicted oldest first, counted in the summary, fired windows still reported)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from engine.resources import schema_path
from tests.detection.stateful.support import ALICE, BOB, by_rule, call, denied, load, run, runnable


def describe(seconds: float, arn: str = ALICE, cluster: str = "prod") -> dict:
    return call("DescribeCluster", seconds, arn, requestParameters={"name": cluster})


def test_dedup_makes_one_finding_per_key_and_window_with_the_count(tmp_path: Path) -> None:
    """Ten repeats in an hour are one finding showing the first event, count 10, first and last seen."""
    rules = runnable(load(tmp_path))
    events = [describe(t * 300) for t in range(10)]
    findings, _ = run(rules, events)
    (finding,) = by_rule(findings, "describe-noise")
    assert finding["count"] == 10
    assert finding["event_id"] == events[0]["eventID"]
    assert (finding["first_seen"], finding["last_seen"]) == ("2026-11-20T10:00:00Z", "2026-11-20T10:45:00Z")
    assert finding["event_ids"] == [e["eventID"] for e in events]
    assert finding["window"] == {
        "kind": "dedup",
        "group": {"userIdentity.arn": ALICE, "requestParameters.name": "prod"},
        "start": "2026-11-20T10:00:00Z",
        "end": "2026-11-20T11:00:00Z",
        "events": 10,
    }


def test_dedup_keys_and_windows_split_findings(tmp_path: Path) -> None:
    """Other clusters and other principals are other keys; a repeat after the hour opens a new window."""
    rules = runnable(load(tmp_path))
    events = [describe(0), describe(10, cluster="dev"), describe(20, BOB), describe(3599), describe(3600)]
    findings, _ = run(rules, events)
    got = sorted(
        (f["window"]["group"]["requestParameters.name"], f["actor"]["arn"], f["count"], f["first_seen"])
        for f in by_rule(findings, "describe-noise")
    )
    assert got == [
        ("dev", ALICE, 1, "2026-11-20T10:00:10Z"),
        ("prod", ALICE, 1, "2026-11-20T11:00:00Z"),
        ("prod", ALICE, 2, "2026-11-20T10:00:00Z"),
        ("prod", BOB, 1, "2026-11-20T10:00:20Z"),
    ]


def test_window_finding_ids_are_stable_and_findings_match_the_schema(tmp_path: Path) -> None:
    """The same events give the same finding ids on another run, and every window finding is a valid native finding."""
    rules = runnable(load(tmp_path))
    events = [describe(t * 60) for t in range(5)] + [denied(t) for t in range(0, 50, 10)]
    first, _ = run(rules, events)
    second, _ = run(rules, events)
    assert [f["finding_id"] for f in first] == [f["finding_id"] for f in second]
    schema = json.loads(schema_path("finding.schema.json").read_text())
    assert len(first) == 2
    for finding in first:
        jsonschema.validate(finding, schema)


def test_event_ids_are_bounded(tmp_path: Path) -> None:
    """A window lists at most max_event_ids ids and says it was truncated; the count stays exact."""
    rules = runnable(load(tmp_path))
    findings, _ = run(rules, [describe(t) for t in range(30)], max_event_ids=8)
    (finding,) = by_rule(findings, "describe-noise")
    assert finding["count"] == 30
    assert len(finding["event_ids"]) == 8
    assert finding["window"]["truncated"] is True


def test_groups_past_the_cap_are_evicted_oldest_first_and_counted(tmp_path: Path) -> None:
    """With a cap of 3 groups, 5 principals evict the 2 least recently active; u0 comes back and
    evicts a third. u0's five events would have fired, but its first was evicted with its group."""
    rules = runnable(load(tmp_path), select=["denied-burst"])
    arns = [f"arn:aws:sts::111122223333:assumed-role/ops/u{i}" for i in range(5)]
    events = [denied(i, arn) for i, arn in enumerate(arns)]
    events += [denied(10 + k, arns[0]) for k in range(4)]
    findings, stats = run(rules, events, max_groups=3)
    assert findings == []
    (note,) = [n for n in (stats.windows.lines() + stats.notes) if n.startswith("Evicted")]
    assert note.startswith(
        "Evicted 3 group(s) past the cap of open groups per rule (--max-groups): denied-burst 3"
    )


def test_an_evicted_window_that_fired_is_still_reported(tmp_path: Path) -> None:
    """A burst that crossed the count is reported when its group is evicted, not lost."""
    rules = runnable(load(tmp_path), select=["denied-burst"])
    burst = [denied(t) for t in range(5)]
    others = [denied(10 + i, f"arn:aws:sts::111122223333:assumed-role/ops/u{i}") for i in range(3)]
    findings, stats = run(rules, burst + others, max_groups=2)
    (finding,) = findings
    assert finding["actor"]["arn"] == ALICE and finding["count"] == 5
    assert any(n.startswith("Evicted 2 group(s)") for n in (stats.windows.lines() + stats.notes))


def test_expired_groups_leave_the_table(tmp_path: Path) -> None:
    """Groups idle for longer than the window are forgotten as event time moves on, so they never
    count against the cap: 500 principals one after another, cap 10, no eviction."""
    rules = runnable(load(tmp_path), select=["denied-burst"])
    events = [denied(i * 400, f"arn:aws:sts::111122223333:assumed-role/ops/u{i}") for i in range(500)]
    _, stats = run(rules, events, max_groups=10, lateness=60)
    assert not any(n.startswith("Evicted") for n in (stats.windows.lines() + stats.notes))


def test_waiting_events_past_the_cap_are_taken_early_and_counted(tmp_path: Path) -> None:
    """With a cap of 3, in-order matches no longer wait for the lateness: the burst is still found,
    the summary says events were taken early, and an older event arriving after that is late."""
    rules = runnable(load(tmp_path), select=["denied-burst"])
    events = [denied(t) for t in range(0, 50, 10)] + [denied(1)]
    findings, stats = run(rules, events, max_waiting=3)
    (finding,) = findings
    assert finding["count"] == 5
    assert any(
        n.startswith("Took 2 matching event(s) before the lateness had passed")
        for n in (stats.windows.lines() + stats.notes)
    )
    assert any("Dropped 1 matching event(s)" in n for n in (stats.windows.lines() + stats.notes))
