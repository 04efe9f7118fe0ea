"""Lean decoding gives the full decoder's records, skips and indexes: a wanted record is the full
event, any other holds exactly the plan's fields of it; whatever the lean path cannot read goes to
the full decoder."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.decoding import LeanPlan, Record, Skip, decode_blob, decode_bytes
from engine.decoding.lean import BASE_PATHS
from engine.sources import SourceOptions
from engine.sources.local import open_local
from tests.decoding.builders import dumps, eventbridge, json_lines, sample_events
from tests.helpers import REPO, SHARED, event

Items = list[Record | Skip]
EXTRA = (("userIdentity", "type"), ("requestParameters", "name"))
PATHS = BASE_PATHS + EXTRA


def plan(wants: Callable[[dict[str, Any]], bool]) -> LeanPlan:
    return LeanPlan(EXTRA, wants)


def nothing(_: dict[str, Any]) -> bool:
    return False


def everything(_: dict[str, Any]) -> bool:
    return True


def some(head: dict[str, Any]) -> bool:
    return head.get("eventName") in {"CreateCluster", "ConsoleLogin"}


def project(full: dict[str, Any]) -> dict[str, Any]:
    """What a head holds: the plan's fields present in the event, nested as in the event."""
    head: dict[str, Any] = {}
    for path in PATHS:
        source, target = full, head
        for depth, key in enumerate(path):
            if not isinstance(source, dict) or key not in source:
                break
            if depth == len(path) - 1:
                target[key] = source[key]
            elif source[key] is None:
                target[key] = None
                break
            else:
                source = source[key]
                target = target.setdefault(key, {})
    return head


def assert_lean_matches(full: Items, lean: Items, wants: Callable[[dict[str, Any]], bool]) -> None:
    assert len(lean) == len(full)
    for whole, light in zip(full, lean, strict=True):
        assert type(whole) is type(light)
        if isinstance(whole, Skip):
            assert light == whole
            continue
        assert isinstance(light, Record)
        assert light.origin == whole.origin
        assert not whole.partial
        if light.event != whole.event:  # taken lean: only the plan's fields, and not wanted
            assert light.event == project(whole.event)
            assert not wants(light.event) and light.partial


def both(
    data: bytes, wants: Callable[[dict[str, Any]], bool], name: str = "input.json"
) -> tuple[Items, Items]:
    return list(decode_bytes(data, name)), list(decode_bytes(data, name, lean=plan(wants)))


EVENTS = [
    *sample_events(9),
    event(eventName="ConsoleLogin", userIdentity={"type": "Root", "accountId": "111122223333"}),
    event(eventName="GetObject", userIdentity=None),
    event(eventName="GetObject", userIdentity="not an object"),  # the full decoder reads it as it is
    event(eventName="ListBuckets", requestParameters=None),
    event(eventName="CreateCluster", requestParameters={"name": {"nested": [1, 2.5, None, True]}}),
    {"eventName": "NoTime", "@timestamp": "2020-09-14T00:44:23.000Z", "eventSource": "s3.amazonaws.com"},
    eventbridge(event(eventName="DeleteRole")),
    {"not": "an event"},
    42,
    event(eventName="Unicode", requestParameters={"text": 'ĉu vi — 東京 \u2028 \\ " é'}),
]
for _number, _item in enumerate(EVENTS):  # each its own eventID: the same one twice is a duplicate
    if isinstance(_item, dict) and isinstance(_item.get("eventID"), str):
        _item["eventID"] = f"lean-{_number}"

SHAPES: dict[str, bytes] = {
    "s3-delivery": dumps({"Records": EVENTS}),
    "pretty-delivery": json.dumps({"Records": EVENTS}, indent=2).encode(),
    "delivery-lines": json_lines([{"Records": EVENTS[:5]}, {"Records": EVENTS[5:]}]),
    "delivery-then-damage": dumps({"Records": EVENTS[:4]})
    + b"\n{not json\n"
    + dumps({"Records": EVENTS[4:6]}),
    "array": dumps(EVENTS),
    "event-lines": json_lines(EVENTS),
    "records-not-a-list": dumps({"Records": {"a": 1}}),
    "empty-records": dumps({"Records": []}),
    "event-with-records": dumps({**event(eventName="X"), "Records": EVENTS}),
    "s3-notification": dumps(
        {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {}}]}
    ),
    "first-record-not-an-event": dumps({"Records": [{"x": 1}, *EVENTS]}),
    "bom": b"\xef\xbb\xbf" + dumps({"Records": EVENTS}),
    "truncated": dumps({"Records": EVENTS})[:-40],
    "trailing": dumps({"Records": EVENTS}) + b"{}",
    "duplicate-keys": b'{"Records":[{"eventName":"A","eventName":"CreateCluster","eventTime":"2026-11-20T10:00:00Z"}]}',
}


@pytest.mark.parametrize("wants", [nothing, everything, some], ids=["nothing", "everything", "some"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_lean_decoding_gives_the_full_decoders_items(
    shape: str, wants: Callable[[dict[str, Any]], bool]
) -> None:
    full, lean = both(SHAPES[shape], wants)
    assert_lean_matches(full, lean, wants)
    if wants is everything:
        assert lean == full


def test_records_no_rule_wants_hold_only_the_plans_fields() -> None:
    """The proof that the lean path ran: the unwanted records of a delivery file are heads."""
    full, lean = both(SHAPES["s3-delivery"], some)
    heads = [r for r in lean if isinstance(r, Record) and r.partial]  # the scan will not evaluate them
    assert len(heads) >= 8
    assert all("eventVersion" not in r.event for r in heads)
    wanted = [r.event["eventName"] for r in lean if isinstance(r, Record) and not r.partial]
    assert {"CreateCluster", "ConsoleLogin"} <= set(wanted)
    assert_lean_matches(full, lean, some)


def test_a_file_msgspec_refuses_is_read_by_the_full_decoder() -> None:
    """A lone surrogate escape: both parsers refuse the document, the full decoder cuts it into
    records, and the bad one is the only skip."""
    bad = b'{"eventName":"A","eventTime":"2026-11-20T10:00:00Z","x":"\\ud800"}'
    data = b'{"Records":[' + dumps(event(eventName="B")) + b"," + bad + b"]}"
    full, lean = both(data, nothing)
    assert lean == full and [type(i).__name__ for i in lean] == ["Record", "Skip"]


def test_a_wanted_record_the_full_parser_refuses_is_skipped_alone() -> None:
    """Nesting past the limit: msgspec finds the record's bounds, the full parser refuses to build
    it. Wanted, it is one skip naming its index; unwanted, it is counted on its plan fields."""
    deep = {
        "eventName": "CreateCluster",
        "eventTime": "2026-11-20T10:00:00Z",
        "x": json.loads("[" * 300 + "]" * 300),
    }
    data = dumps({"Records": [event(eventName="B"), deep]})
    wanted = list(decode_bytes(data, "f.json", lean=plan(some)))
    assert [type(i).__name__ for i in wanted] == ["Record", "Skip"]
    skip = wanted[1]
    assert (
        isinstance(skip, Skip)
        and skip.where == "f.json (record 1)"
        and "nested deeper than 250" in skip.reason
    )
    unwanted = list(decode_bytes(data, "f.json", lean=plan(nothing)))
    assert [r.origin.index for r in unwanted if isinstance(r, Record)] == [0, 1]


def test_a_record_too_deep_for_the_full_decoder_costs_only_itself_when_no_rule_wants_it() -> None:
    """The documented difference: the full decoder skips the deep record by its index; the lean
    path never builds it (no rule can match it) and counts it on its plan fields. Both keep its
    neighbours."""
    deep = {"eventName": "Deep", "eventTime": "2026-11-20T10:00:00Z", "x": json.loads("[" * 300 + "]" * 300)}
    data = dumps({"Records": [event(eventName="CreateCluster"), deep]})
    full, lean = both(data, some)
    assert [type(i).__name__ for i in full] == ["Record", "Skip"]
    assert full[0] == lean[0]
    assert [type(i).__name__ for i in lean] == ["Record", "Record"]
    assert lean[0].event["eventName"] == "CreateCluster" and lean[1].event["eventName"] == "Deep"  # type: ignore[union-attr]


def _decode_tree(root: Path, lean: LeanPlan | None) -> Items:
    items: Items = []
    for blob in open_local(str(root), SourceOptions()):
        items.extend([blob] if isinstance(blob, Skip) else decode_blob(blob, lean=lean))
    return items


@pytest.mark.parametrize("wants", [nothing, some], ids=["nothing", "some"])
def test_the_bundled_fixtures_decode_the_same_lean(wants: Callable[[dict[str, Any]], bool]) -> None:
    root = REPO / "fixtures"
    assert_lean_matches(_decode_tree(root, None), _decode_tree(root, plan(wants)), wants)


@pytest.mark.shared
def test_the_shared_cloudtrail_samples_decode_the_same_lean(tmp_path: Path) -> None:
    samples = SHARED / "data" / "cloudtrail-samples"
    if not samples.is_dir():
        pytest.skip(f"the shared CloudTrail samples are not at {samples} (../shared/ is absent)")
    full, lean = _decode_tree(samples, None), _decode_tree(samples, plan(some))
    assert sum(isinstance(i, Record) for i in full) > 1000
    assert_lean_matches(full, lean, some)


def test_gzip_delivery_files_decode_the_same_lean(tmp_path: Path) -> None:
    path = tmp_path / "111122223333_CloudTrail_us-east-1_20261120T1000Z_abc.json.gz"
    path.write_bytes(gzip.compress(SHAPES["s3-delivery"]))
    assert_lean_matches(_decode_tree(tmp_path, None), _decode_tree(tmp_path, plan(some)), some)


def test_a_field_a_rule_reads_whole_stays_whole_in_the_head() -> None:
    """A rule keyed on all of userIdentity gets all of it, though the scope reads only accountId."""
    identity = {"type": "AssumedRole", "accountId": "111122223333", "sessionContext": {"x": [1]}}
    lean = LeanPlan((("userIdentity",),), nothing)
    head = lean.head(dumps(event(eventName="GetObject", userIdentity=identity)))
    assert head is not None and head["userIdentity"] == identity
