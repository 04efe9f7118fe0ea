"""`cloudtrail-api://` with botocore's Stubber on a real CloudTrail client (moto has no
LookupEvents): paging, the 2 requests/second quota, throttling backoff, moving windows in follow
mode, and checkpoints. Time is simulated: a clock the reader's sleeps advance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from engine.decoding import decode_blob
from engine.errors import UsageError
from engine.sources import SourceOptions
from engine.sources.cloudtrail_api import OVERLAP, LookupReader, parse_spec
from engine.sources.rate import TokenBucket
from engine.statefile.checkpoints import Checkpoints
from engine.statefile.db import StateDB
from engine.types import Blob, Record, Skip
from tests.sources.trail import event_record

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ANY_PARAMS = {"StartTime": ANY, "EndTime": ANY, "MaxResults": 50}


class Clock:
    """Simulated time: `sleep` moves it forward and records how long each sleep was."""

    def __init__(self, start: datetime = NOW) -> None:
        self.at = start
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.at.timestamp()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def client() -> Iterator[tuple[Any, Stubber]]:
    ct = boto3.client("cloudtrail", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ct) as stub:
        yield ct, stub
        stub.assert_no_pending_responses()


def entry(n: int, when: datetime = NOW) -> dict[str, Any]:
    record = event_record("111111111111", "eu-west-1", when, n, "lookup")
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "EventTime": when,
        "EventSource": record["eventSource"],
        "CloudTrailEvent": json.dumps(record),
    }


def page(entries: list[dict[str, Any]], token: str | None = None) -> dict[str, Any]:
    return {"Events": entries, **({"NextToken": token} if token else {})}


def reader(ct: Any, clock: Clock, **kwargs: Any) -> LookupReader:
    kwargs.setdefault("limiter", TokenBucket(2.0, burst=2.0, clock=clock.monotonic, sleep=clock.sleep))
    return LookupReader(ct, "eu-west-1", sleep=clock.sleep, now=clock.now, **kwargs)


def event_ids(items: list[Blob | Skip]) -> list[str]:
    return [
        r.event["eventID"]
        for i in items
        if isinstance(i, Blob)
        for r in decode_blob(i)
        if isinstance(r, Record)
    ]


def test_pages_are_followed_and_each_decoded_as_a_blob(client: tuple[Any, Stubber]) -> None:
    ct, stub = client
    since = NOW - timedelta(days=1)
    attribute = [{"AttributeKey": "EventSource", "AttributeValue": "eks.amazonaws.com"}]
    params = {"StartTime": since, "EndTime": NOW, "MaxResults": 50, "LookupAttributes": attribute}
    stub.add_response("lookup_events", page([entry(0), entry(1)], "t1"), params)
    stub.add_response("lookup_events", page([entry(2)]), {**params, "NextToken": "t1"})
    items = list(reader(ct, Clock(), attribute=("EventSource", "eks.amazonaws.com"), since=since).blobs())
    assert len(items) == 2 and all(isinstance(i, Blob) for i in items)
    assert event_ids(items) == [entry(n)["EventId"] for n in range(3)]
    assert items[0].name.startswith(
        "cloudtrail-api://eu-west-1?EventSource=eks.amazonaws.com 2026-11-19T12:00:00Z"
    )


def test_requests_stay_under_two_per_second(client: tuple[Any, Stubber]) -> None:
    ct, stub = client
    for n in range(6):
        params = {**ANY_PARAMS, "NextToken": f"t{n - 1}"} if n else ANY_PARAMS
        stub.add_response("lookup_events", page([entry(n)], f"t{n}" if n < 5 else None), params)
    clock = Clock()
    stamps: list[datetime] = []
    ct.meta.events.register("before-call.cloudtrail.LookupEvents", lambda **_: stamps.append(clock.at))
    items = list(reader(ct, clock, since=NOW - timedelta(hours=1)).blobs())
    assert len(items) == 6
    for first, third in zip(stamps, stamps[2:], strict=False):
        assert (third - first).total_seconds() >= 1.0 - 1e-9  # never 3 requests within a second


def test_throttling_is_backed_off_and_the_same_page_asked_again(client: tuple[Any, Stubber]) -> None:
    ct, stub = client
    stub.add_response("lookup_events", page([entry(0)], "t1"), ANY_PARAMS)
    stub.add_client_error("lookup_events", "ThrottlingException", "Rate exceeded", 400)
    stub.add_client_error("lookup_events", "ThrottlingException", "Rate exceeded", 400)
    stub.add_response("lookup_events", page([entry(1)]), {**ANY_PARAMS, "NextToken": "t1"})
    clock = Clock()
    items = list(
        reader(ct, clock, since=NOW - timedelta(hours=1), limiter=TokenBucket(1e9, burst=1e9)).blobs()
    )
    assert event_ids(items) == [entry(0)["EventId"], entry(1)["EventId"]]
    assert len(clock.sleeps) == 2 and 0.5 <= clock.sleeps[0] <= 1.0 and 1.0 <= clock.sleeps[1] <= 2.0


def test_a_denied_call_is_a_skip_ends_following_and_keeps_the_checkpoint(
    client: tuple[Any, Stubber], tmp_path: Path
) -> None:
    ct, stub = client
    stub.add_client_error("lookup_events", "AccessDeniedException", "not authorized", 400)
    checkpoints = Checkpoints(StateDB(tmp_path / "s.db"))
    clock = Clock()
    follow = reader(ct, clock, since=NOW - timedelta(hours=1), checkpoints=checkpoints, follow=True)
    items = list(follow.blobs())  # denied: following ends, no poll
    assert clock.sleeps == []
    assert len(items) == 1 and isinstance(items[0], Skip) and items[0].error
    assert "AccessDeniedException: not authorized" in items[0].reason
    assert checkpoints.position("cloudtrail-api://eu-west-1") is None


def test_follow_moves_the_window_with_an_overlap_and_passes_over_repeats(
    client: tuple[Any, Stubber], tmp_path: Path
) -> None:
    ct, stub = client
    clock = Clock()
    late = entry(1, NOW - timedelta(minutes=3))  # shows up in LookupEvents only at the second poll
    stub.add_response(
        "lookup_events",
        page([entry(0, NOW - timedelta(minutes=1))]),
        {**ANY_PARAMS, "StartTime": NOW - timedelta(hours=1), "EndTime": NOW},
    )
    second = {**ANY_PARAMS, "StartTime": NOW - OVERLAP, "EndTime": NOW + timedelta(seconds=60)}
    stub.add_response("lookup_events", page([entry(0, NOW - timedelta(minutes=1)), late]), second)
    checkpoints = Checkpoints(StateDB(tmp_path / "s.db"))
    blobs = reader(
        ct, clock, since=NOW - timedelta(hours=1), follow=True, poll_seconds=60, checkpoints=checkpoints
    ).blobs()
    got: list[Blob | Skip] = []
    for item in blobs:
        got.append(item)
        assert isinstance(item, Blob) and item.ack
        item.ack()
        if len(got) == 2:
            break
    assert event_ids(got) == [entry(0)["EventId"], late["EventId"]]  # entry 0 once, though returned twice
    assert checkpoints.position("cloudtrail-api://eu-west-1") == "2026-11-20T12:01:00.000000Z"


def test_a_restart_resumes_a_little_before_the_last_acknowledged_window(
    client: tuple[Any, Stubber], tmp_path: Path
) -> None:
    ct, stub = client
    path = tmp_path / "s.db"
    stub.add_response("lookup_events", page([entry(0)]), {**ANY_PARAMS, "StartTime": NOW - timedelta(days=2)})
    for item in reader(
        ct, Clock(), since=NOW - timedelta(days=2), checkpoints=Checkpoints(StateDB(path))
    ).blobs():
        assert isinstance(item, Blob) and item.ack
        item.ack()
    later = Clock(NOW + timedelta(hours=1))
    stub.add_response(
        "lookup_events", page([]), {**ANY_PARAMS, "StartTime": NOW - OVERLAP, "EndTime": later.at}
    )
    assert (
        list(reader(ct, later, since=NOW - timedelta(days=2), checkpoints=Checkpoints(StateDB(path))).blobs())
        == []
    )


def test_the_window_never_reaches_past_90_days() -> None:
    ct = boto3.client("cloudtrail", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ct) as stub:
        stub.add_response("lookup_events", page([]), {**ANY_PARAMS, "StartTime": NOW - timedelta(days=90)})
        assert list(reader(ct, Clock(), since=NOW - timedelta(days=400)).blobs()) == []
        stub.assert_no_pending_responses()


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(2.0, burst=2.0, clock=clock.monotonic, sleep=clock.sleep)
    for _ in range(6):
        bucket.acquire()
    assert clock.sleeps == [0.5, 0.5, 0.5, 0.5]  # 2 at once, then one every half second


@pytest.mark.parametrize(
    ("spec", "attribute", "expected"),
    [
        ("cloudtrail-api://us-east-1", None, ("us-east-1", None)),
        (
            "cloudtrail-api://us-east-1?EventName=ConsoleLogin",
            None,
            ("us-east-1", ("EventName", "ConsoleLogin")),
        ),
        ("cloudtrail-api://eu-west-1", "Username=alice", ("eu-west-1", ("Username", "alice"))),
    ],
)
def test_specs_name_a_region_and_at_most_one_lookup_attribute(
    spec: str, attribute: str | None, expected: tuple[str, Any]
) -> None:
    assert parse_spec(spec, SourceOptions(lookup_attribute=attribute)) == expected


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        ("cloudtrail-api://", SourceOptions(), "no region"),
        ("cloudtrail-api://us-east-1?Colour=blue", SourceOptions(), "unknown lookup attribute 'Colour'"),
        (
            "cloudtrail-api://us-east-1?EventName=A",
            SourceOptions(lookup_attribute="Username=b"),
            "one lookup",
        ),
        ("cloudtrail-api://us-east-1", SourceOptions(lookup_attribute="EventName"), "is not Key=Value"),
    ],
)
def test_bad_specs_are_usage_errors(spec: str, options: SourceOptions, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_spec(spec, options)
