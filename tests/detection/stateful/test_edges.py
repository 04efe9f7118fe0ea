"""Window edges on event time: exactly N events at the boundary of the window, an event late but
inside the lateness, one beyond it (dropped and counted), events without a time, and duplicates."""

from __future__ import annotations

from pathlib import Path

from tests.detection.stateful.support import ALICE, BOB, by_rule, call, denied, load, run, runnable

# denied-burst: 5 denied calls from one principal with last - first < 5 minutes.


def test_five_events_just_inside_the_window_fire(tmp_path: Path) -> None:
    """Five events whose first and last are 299 s apart make one threshold finding."""
    rules = runnable(load(tmp_path))
    findings, _ = run(rules, [denied(t) for t in (0, 60, 120, 200, 299)])
    (finding,) = by_rule(findings, "denied-burst")
    assert finding["count"] == 5
    assert (finding["first_seen"], finding["last_seen"]) == ("2026-11-20T10:00:00Z", "2026-11-20T10:04:59Z")
    assert finding["window"]["start"] == "2026-11-20T10:00:00Z"
    assert finding["window"]["end"] == "2026-11-20T10:05:00Z"
    assert len(finding["event_ids"]) == 5


def test_five_events_exactly_one_window_apart_do_not_fire(tmp_path: Path) -> None:
    """The window is half-open: events exactly 300 s apart are not in one 5-minute window."""
    rules = runnable(load(tmp_path))
    findings, _ = run(rules, [denied(t) for t in (0, 60, 120, 200, 300)])
    assert by_rule(findings, "denied-burst") == []


def test_four_events_do_not_fire_and_other_principals_do_not_add_up(tmp_path: Path) -> None:
    """Four events of one principal and one of another are two groups below the count."""
    rules = runnable(load(tmp_path))
    findings, _ = run(rules, [denied(t) for t in (0, 10, 20, 30)] + [denied(40, BOB)])
    assert by_rule(findings, "denied-burst") == []


def test_events_inside_a_fired_window_join_its_finding_and_the_next_burst_is_new(tmp_path: Path) -> None:
    """After firing, later events inside the window raise the count; after the window a new count starts."""
    rules = runnable(load(tmp_path))
    first = [denied(t) for t in (0, 10, 20, 30, 40, 250, 299)]
    second = [denied(t) for t in (300, 310, 320, 330)]  # four: below the count on their own
    third = [denied(t) for t in (900, 901, 902, 903, 904)]
    findings, _ = run(rules, first + second + third)
    burst = by_rule(findings, "denied-burst")
    assert [(f["count"], f["first_seen"]) for f in burst] == [
        (7, "2026-11-20T10:00:00Z"),
        (5, "2026-11-20T10:15:00Z"),
    ]
    assert burst[0]["finding_id"] != burst[1]["finding_id"]


def test_a_late_event_inside_the_lateness_still_counts(tmp_path: Path) -> None:
    """An event 14m30s behind the newest seen (lateness 15m) completes the burst; nothing is dropped."""
    rules = runnable(load(tmp_path))
    events = [denied(t) for t in (0, 30, 60, 90)]
    events.append(call("ListClusters", 16 * 60, BOB, requestParameters={}))  # moves event time on
    events.append(denied(90 + 30))  # 10:02:00, 14 min behind 10:16:00
    findings, stats = run(rules, events, lateness=900)
    (finding,) = by_rule(findings, "denied-burst")
    assert finding["count"] == 5
    assert not any("too late" in note for note in (stats.windows.lines() + stats.notes))


def test_an_event_exactly_at_the_lateness_still_counts(tmp_path: Path) -> None:
    """An event exactly `lateness` behind the newest one is on time (late means strictly older)."""
    rules = runnable(load(tmp_path))
    events = [denied(t) for t in (0, 30, 60, 90)]
    events.append(call("ListClusters", 120 + 900, BOB, requestParameters={}))
    events.append(denied(120))
    findings, _ = run(rules, events, lateness=900)
    assert len(by_rule(findings, "denied-burst")) == 1


def test_an_event_beyond_the_lateness_is_dropped_and_counted(tmp_path: Path) -> None:
    """An event 18 minutes behind the newest one is dropped from windows, and the summary says so."""
    rules = runnable(load(tmp_path))
    events = [denied(t) for t in (0, 30, 60, 90)]
    events.append(call("ListClusters", 20 * 60, BOB, requestParameters={}))
    events.append(denied(120))  # 10:02:00, 18 min behind 10:20:00
    findings, stats = run(rules, events, lateness=900)
    assert by_rule(findings, "denied-burst") == []
    (note,) = [n for n in (stats.windows.lines() + stats.notes) if "too late" in n]
    assert "Dropped 1 matching event(s)" in note and "--lateness" in note and "denied-burst 1" in note


def test_events_without_an_event_time_are_counted_not_placed(tmp_path: Path) -> None:
    """A matching event with no readable eventTime cannot join a window; the summary counts it."""
    rules = runnable(load(tmp_path))
    broken = denied(0)
    broken["eventTime"] = "yesterday"
    missing = denied(1)
    del missing["eventTime"]
    findings, stats = run(rules, [broken, missing] + [denied(t) for t in (10, 20, 30, 40)])
    assert by_rule(findings, "denied-burst") == []
    assert any(
        n.startswith("2 matching event(s) had no readable eventTime")
        for n in (stats.windows.lines() + stats.notes)
    )


def test_a_record_delivered_twice_is_counted_once(tmp_path: Path) -> None:
    """CloudTrail may deliver a record twice: four distinct events plus a repeat are still four."""
    rules = runnable(load(tmp_path))
    events = [denied(t) for t in (0, 10, 20, 30)]
    findings, stats = run(rules, [*events, events[2]])
    assert by_rule(findings, "denied-burst") == []
    assert any("repeated delivery" in n for n in (stats.windows.lines() + stats.notes))


def test_plain_rules_still_make_one_finding_per_event_beside_stateful_ones(tmp_path: Path) -> None:
    """A member rule that generates keeps its per-event findings; a threshold rule makes none per event."""
    rules = runnable(load(tmp_path))
    grant = call(
        "AssociateAccessPolicy",
        0,
        ALICE,
        requestParameters={
            "clusterName": "prod",
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        },
    )
    findings, _ = run(rules, [grant, denied(5)])
    assert [f["rule_id"] for f in findings] == ["admin-granted"]
    assert "window" not in findings[0]
