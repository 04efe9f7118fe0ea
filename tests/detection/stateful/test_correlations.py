"""Correlation rules with Sigma v2 semantics: event_count, value_count, temporal and
temporal_ordered, grouped and bounded by their timespan; conditions other than gte judged at the
window's end; member rules with `generate: false` feed correlations without findings of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.detection.stateful.support import ALICE, BOB, PACK, by_rule, call, load, run, runnable

ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


def entry(seconds: float, arn: str = ALICE, cluster: str = "prod") -> dict[str, Any]:
    params = {"clusterName": cluster, "principalArn": "arn:aws:iam::111122223333:role/intruder"}
    return call("CreateAccessEntry", seconds, arn, requestParameters=params)


def grant(seconds: float, arn: str = ALICE, cluster: str = "prod", policy: str = ADMIN) -> dict[str, Any]:
    params = {
        "clusterName": cluster,
        "principalArn": "arn:aws:iam::111122223333:role/intruder",
        "policyArn": policy,
    }
    return call("AssociateAccessPolicy", seconds, arn, requestParameters=params)


def delete(seconds: float, name: str, arn: str = ALICE) -> dict[str, Any]:
    return call("DeleteCluster", seconds, arn, requestParameters={"name": name})


# temporal_ordered: backdoor = entry-created then admin-granted, same actor and cluster, within 10m.


def test_ordered_sequence_within_the_timespan_fires_once(tmp_path: Path) -> None:
    """Entry then admin grant 4 minutes later, same actor and cluster: one finding with both events."""
    rules = runnable(load(tmp_path))
    first, second = entry(0), grant(240)
    findings, _ = run(rules, [first, second])
    (finding,) = by_rule(findings, "backdoor")
    assert finding["event_ids"] == [first["eventID"], second["eventID"]]
    assert finding["count"] == 2
    assert finding["event_id"] == second["eventID"]  # the finding shows the last event
    assert finding["window"]["kind"] == "temporal_ordered"
    assert finding["window"]["group"] == {"userIdentity.arn": ALICE, "requestParameters.clusterName": "prod"}
    assert finding["window"]["rules"] == ["entry-created", "admin-granted"]
    assert finding["severity"] == "high"


@pytest.mark.parametrize(
    ("events", "why"),
    [
        ([grant(0), entry(60)], "wrong order"),
        ([entry(0), grant(600)], "exactly the timespan apart"),
        ([entry(0), grant(60, BOB)], "another actor"),
        ([entry(0), grant(60, cluster="dev")], "another cluster"),
        ([entry(0), grant(60, policy=VIEW)], "a view policy does not match the member rule"),
    ],
)
def test_ordered_sequence_does_not_fire(tmp_path: Path, events: list[dict[str, Any]], why: str) -> None:
    """Order, timespan and group all matter to temporal_ordered."""
    rules = runnable(load(tmp_path))
    findings, _ = run(rules, events)
    assert by_rule(findings, "backdoor") == [], why


def test_ordered_steps_in_the_same_second_count_in_step_order(tmp_path: Path) -> None:
    """CloudTrail times have whole seconds: both steps in one second still read entry-then-grant,
    whatever their event ids and arrival order."""
    rules = runnable(load(tmp_path))
    first, second = entry(30), grant(30)
    first["eventID"], second["eventID"] = "zzzz", "aaaa"
    findings, _ = run(rules, [second, first])
    assert len(by_rule(findings, "backdoor")) == 1


def test_ordered_uses_the_latest_start(tmp_path: Path) -> None:
    """An old entry (out of the timespan) then a fresh one: the grant pairs with the fresh one."""
    rules = runnable(load(tmp_path))
    old, fresh, then = entry(0), entry(500), grant(700)
    findings, _ = run(rules, [old, fresh, then])
    (finding,) = by_rule(findings, "backdoor")
    assert finding["event_ids"] == [fresh["eventID"], then["eventID"]]


def test_generate_false_members_feed_but_make_no_findings(tmp_path: Path) -> None:
    """entry-created has generate: false; admin-granted does not: only the latter makes its own findings."""
    rules = runnable(load(tmp_path))
    findings, _ = run(rules, [entry(0), grant(10)])
    assert sorted(f["rule_id"] for f in findings) == ["admin-granted", "backdoor"]


def test_a_selected_correlation_brings_its_members_feed_only(tmp_path: Path) -> None:
    """--select backdoor runs the member rules too, but only the correlation makes findings."""
    rules = runnable(load(tmp_path), select=["backdoor"])
    assert {r.id for r in rules} == {"backdoor", "entry-created", "admin-granted"}
    findings, _ = run(rules, [entry(0), grant(10)])
    assert [f["rule_id"] for f in findings] == ["backdoor"]


# temporal: create-and-delete = entry-created and cluster-deleted, any order, within 15m.


@pytest.mark.parametrize("order", ["entry first", "delete first"])
def test_temporal_fires_in_either_order(tmp_path: Path, order: str) -> None:
    """temporal needs every member rule within the timespan, in any order."""
    rules = runnable(load(tmp_path))
    pair = [entry(0), delete(800, "prod")]
    if order == "delete first":
        pair = [delete(0, "prod"), entry(800)]
    findings, _ = run(rules, pair)
    (finding,) = by_rule(findings, "create-and-delete")
    assert finding["first_seen"] == "2026-11-20T10:00:00Z"
    assert finding["last_seen"] == "2026-11-20T10:13:20Z"


def test_temporal_does_not_fire_with_one_rule_repeated_or_out_of_span(tmp_path: Path) -> None:
    """Two entries are one rule; an entry and a deletion 15 minutes apart are out of the timespan."""
    rules = runnable(load(tmp_path))
    findings, _ = run(rules, [entry(0), entry(10), delete(910, "prod")])
    assert by_rule(findings, "create-and-delete") == []


def test_temporal_condition_counts_rules(tmp_path: Path) -> None:
    """A temporal condition {gte: 2} over three rules fires on any two of them."""
    extra = """
---
id: view-granted
title: View granted
description: third member.
severity: low
generate: false
match: {eventSource: eks.amazonaws.com, eventName: AssociateAccessPolicy}
condition: "ends_with(requestParameters.policyArn, 'AmazonEKSViewPolicy')"
---
kind: correlation
id: two-of-three
title: Two of three
description: temporal with a condition.
severity: low
type: temporal
rules: [entry-created, cluster-deleted, view-granted]
group-by: [userIdentity.arn]
timespan: 5m
condition: {gte: 2}
"""
    rules = runnable(load(tmp_path, PACK + extra))
    findings, _ = run(rules, [grant(0, policy=VIEW), delete(100, "x"), entry(1000)])
    assert len(by_rule(findings, "two-of-three")) == 1


# value_count: many-clusters-deleted = at least 3 distinct names per principal in 30m.
# event_count: deletions = at least 4 deletions per principal in 30m.


def test_value_count_counts_distinct_values(tmp_path: Path) -> None:
    """Deleting prod three times is one value; a, b and c within 30 minutes are three."""
    rules = runnable(load(tmp_path))
    findings, _ = run(rules, [delete(0, "prod"), delete(60, "prod"), delete(120, "prod")])
    assert by_rule(findings, "many-clusters-deleted") == []
    findings, _ = run(rules, [delete(0, "a"), delete(60, "a"), delete(600, "b"), delete(1700, "c")])
    (finding,) = by_rule(findings, "many-clusters-deleted")
    assert finding["count"] == 3
    assert sorted(finding["window"]["values"]) == ["a", "b", "c"]
    assert finding["window"]["field"] == "requestParameters.name"


def test_value_count_forgets_values_older_than_the_timespan(tmp_path: Path) -> None:
    """a at 0, b at 20m, c at 31m: a has left the 30-minute window when c comes."""
    rules = runnable(load(tmp_path))
    findings, _ = run(rules, [delete(0, "a"), delete(1200, "b"), delete(1860, "c")])
    assert by_rule(findings, "many-clusters-deleted") == []


def test_event_count_fires_at_the_count_per_group(tmp_path: Path) -> None:
    """Four deletions by Alice fire; three by Bob in the same time do not."""
    rules = runnable(load(tmp_path))
    events = [delete(t, f"n{t}") for t in (0, 100, 200, 300)] + [
        delete(t, f"m{t}", BOB) for t in (0, 100, 200)
    ]
    findings, _ = run(rules, events)
    (finding,) = by_rule(findings, "deletions")
    assert finding["window"]["group"] == {"userIdentity.arn": ALICE}
    assert finding["count"] == 4


LOW_ACTIVITY = """
---
kind: correlation
id: lonely-deletion
title: A single deletion
description: event_count with eq, judged when the window ends.
severity: low
type: event_count
rules: [cluster-deleted]
group-by: [userIdentity.arn]
timespan: 10m
condition: {eq: 1}
"""


def test_conditions_other_than_gte_are_judged_when_the_window_closes(tmp_path: Path) -> None:
    """eq 1: Alice's lone deletion fires at the window's end; Bob's two do not."""
    rules = runnable(load(tmp_path, PACK + LOW_ACTIVITY))
    events = [delete(0, "a"), delete(10, "b", BOB), delete(20, "c", BOB), delete(900, "d", BOB)]
    findings, _ = run(rules, events)
    got = by_rule(findings, "lonely-deletion")
    assert [(f["window"]["group"]["userIdentity.arn"], f["count"]) for f in got] == [(ALICE, 1), (BOB, 1)]
    assert got[1]["first_seen"] == "2026-11-20T10:15:00Z"  # Bob's later window, alone in its 10 minutes
