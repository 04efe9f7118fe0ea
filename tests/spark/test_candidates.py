"""The stateful split that lets a parallel scan window events (no Spark needed): a Scanner with
`candidates=` hands out stateful matches, CandidateReplay windows them per group after sorting,
and the union of the groups' findings is exactly the local Scanner's."""

from __future__ import annotations

import random
import zlib
from pathlib import Path
from typing import Any

import pytest

from engine.detection.stateful.candidates import Candidate, CandidateReplay, CandidateSplit
from engine.pipeline import Scanner
from engine.types import Origin, Record
from tests.detection.stateful.support import load, run, runnable
from tests.spark.exports import STATEFUL_RULES, scenario


def split_and_replay(
    rules: Any, records: list[dict[str, Any]], partitions: int
) -> tuple[list[dict[str, Any]], list[Candidate]]:
    """What the Spark job does, in one process: scan in candidates mode, route by group, sort, replay."""
    findings: list[dict[str, Any]] = []
    candidates: list[Candidate] = []
    scanner = Scanner(
        rules, findings.append, stage=lambda emit: CandidateSplit.build(rules, candidates.append)
    )
    for i, record in enumerate(records):
        scanner.scan_record(Record(record, Origin("memory", i)))
    scanner.finish()
    buckets: list[list[Candidate]] = [[] for _ in range(partitions)]
    for candidate in candidates:
        buckets[zlib.crc32(candidate.route.encode()) % partitions].append(candidate)
    for bucket in buckets:
        replay = CandidateReplay(rules, findings.append)
        for candidate in sorted(bucket, key=lambda c: (c.order, c.route, c.origin.index)):
            replay.feed(candidate)
        replay.finish()
    return findings, candidates


def _sorted(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: (f["finding_id"], f["event_id"] or "", f["origin"]["index"]))


@pytest.mark.parametrize(("seed", "partitions"), [(1, 1), (2, 3), (3, 8)])
def test_split_and_replay_equals_the_local_scanner(tmp_path: Path, seed: int, partitions: int) -> None:
    """Shuffled input, candidates routed to any number of groups of routes: same findings, field for field."""
    rules = runnable(load(tmp_path))
    records = scenario(seed)
    expected, _ = run(rules, records, lateness=86400)
    shuffled = records[:]
    random.Random(seed).shuffle(shuffled)
    found, candidates = split_and_replay(rules, shuffled, partitions)
    assert _sorted(found) == _sorted(run(rules, shuffled, lateness=86400)[0])
    assert {f["finding_id"] for f in found} == {f["finding_id"] for f in expected}
    assert {c.operator for c in candidates} >= set(STATEFUL_RULES)
    for rule_id in STATEFUL_RULES:
        assert any(f["rule_id"] == rule_id for f in found)


def test_a_member_of_two_correlations_gives_one_candidate_per_operator(tmp_path: Path) -> None:
    """cluster-deleted feeds three correlations: one match, three candidates, each with its own group."""
    rules = runnable(load(tmp_path))
    candidates: list[Candidate] = []
    scanner = Scanner(
        rules, lambda finding: None, stage=lambda emit: CandidateSplit.build(rules, candidates.append)
    )
    event = scenario(1)[0] | {
        "eventName": "DeleteCluster",
        "requestParameters": {"name": "x"},
        "eventID": "d1",
    }
    scanner.scan_record(Record(event, Origin("memory", 0)))
    assert sorted(c.operator for c in candidates) == [
        "create-and-delete",
        "deletions",
        "many-clusters-deleted",
    ]
    assert {c.rule_id for c in candidates} == {"cluster-deleted"} and len({c.route for c in candidates}) == 3


def test_untimed_matches_are_counted_not_handed_out(tmp_path: Path) -> None:
    """A stateful match without a readable eventTime cannot be placed: counted per rule, as locally."""
    rules = runnable(load(tmp_path))
    candidates: list[Candidate] = []
    scanner = Scanner(
        rules, lambda finding: None, stage=lambda emit: CandidateSplit.build(rules, candidates.append)
    )
    event = next(r for r in scenario(1) if r["eventName"] == "DescribeCluster") | {"eventTime": "yesterday"}
    scanner.scan_record(Record(event, Origin("memory", 0)))
    stats = scanner.finish()
    assert candidates == []
    assert any(
        "no readable eventTime" in note and "describe-noise 1" in note for note in stats.windows.lines()
    )
