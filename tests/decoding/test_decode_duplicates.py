"""A record read twice from one input — concatenated gzip members of the same delivery, a file
appended to itself — is evaluated once: the repeat is a deliberate skip naming its index, so a
stateless rule gives one finding per event, with or without --state."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from engine.decoding import DecodeLimits, LeanPlan, decode_bytes
from engine.decoding.context import DUPLICATE
from tests.cli.conftest import findings, run
from tests.decoding.builders import dumps, events_of, json_lines, sample_events, skips
from tests.decoding.test_decode_lean import assert_lean_matches, everything, nothing
from tests.helpers import ROOT_IDENTITY, event, write_rules

EVENTS = sample_events(5)

TWICE = {
    "gzip-members": gzip.compress(dumps({"Records": EVENTS})) * 2,
    "json-lines": json_lines(EVENTS + EVENTS[:2]),
    "array": dumps(EVENTS + EVENTS[::-1]),
}


@pytest.mark.parametrize("name", list(TWICE))
def test_a_record_read_twice_is_evaluated_once(name: str) -> None:
    """Each event once, in order of first sight; every repeat a deliberate (not error) skip."""
    items = list(decode_bytes(TWICE[name], "twice"))
    assert events_of(items) == EVENTS
    assert skips(items, error=True) == []
    repeats = skips(items, error=False)
    assert repeats and all(s.reason == DUPLICATE and s.where.startswith("twice (") for s in repeats)


@pytest.mark.parametrize("name", list(TWICE))
def test_lean_decoding_finds_the_same_duplicates(name: str) -> None:
    full = list(decode_bytes(TWICE[name], "twice"))
    for wants in (everything, nothing):
        assert_lean_matches(full, list(decode_bytes(TWICE[name], "twice", lean=LeanPlan((), wants))), wants)


def test_records_without_an_event_id_are_never_taken_for_duplicates() -> None:
    """Only the eventID tells a repeat: records without one (or with a non-string one) all count."""
    bare = [{k: v for k, v in e.items() if k != "eventID"} for e in EVENTS[:2]]
    odd = [{**EVENTS[0], "eventID": 7}, {**EVENTS[0], "eventID": 7}]
    items = list(decode_bytes(dumps({"Records": bare + bare + odd}), "f.json"))
    assert len(events_of(items)) == 6 and skips(items) == []


RULES = """
id: t-root
title: Root acts
description: Any call by root.
severity: critical
match: {userIdentity.type: Root}
condition: eventName != null
"""


def test_through_the_command_a_duplicated_delivery_gives_one_finding_per_event(tmp_path: Path) -> None:
    write_rules(tmp_path, "rules/t.yml", RULES)
    roots = [event(eventID=f"r{i}", userIdentity=ROOT_IDENTITY) for i in range(3)]
    data = tmp_path / "twice.json.gz"
    data.write_bytes(gzip.compress(dumps({"Records": roots})) * 2)
    result = run("scan", "--no-bundled", "--rules", str(tmp_path / "rules"), str(data))
    assert result.returncode == 0, result.stderr.decode()
    assert sorted(f["event_id"] for f in findings(result)) == ["r0", "r1", "r2"]


def test_the_memory_of_event_ids_is_bounded() -> None:
    """Past `max_remembered_ids` the memory starts over (a bounded set, never one id per record of a
    huge JSON-lines stream): a repeat from before is read again, a later one is still caught."""
    events = [event(eventID=f"id-{i}") for i in range(6)]
    limits = DecodeLimits(max_remembered_ids=3)
    data = json_lines([*events, events[5], events[0]])
    items = list(decode_bytes(data, "f.jsonl", limits))
    # the memory started over at id-3: id-5 again is caught, id-0 again (forgotten) is read again
    assert [s.where for s in skips(items)] == ["f.jsonl (line 7, record 6)"]
    assert [e["eventID"] for e in events_of(items)] == [*(e["eventID"] for e in events), "id-0"]
