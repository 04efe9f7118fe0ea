"""`s3://` against a real moto server: an organisation trail bucket (3 accounts, 3 regions, 3 days,
digests, an Insights file, >1,000 keys) read whole and pruned, compared with reading the same
files from disk, and the listing calls counted through botocore's event hooks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.decoding import decode_blob
from engine.sources import SourceOptions, open_source, s3_fetch
from engine.sources.s3 import S3Reader
from engine.sources.s3_fetch import ObjectRef, fetch_objects
from engine.sources.trail_keys import Scope, parse_key
from engine.statefile.checkpoints import Checkpoints
from engine.statefile.db import StateDB
from engine.types import Blob, Record, Skip
from tests.sources.aws_server import aws_client
from tests.sources.trail import DAYS, TrailObject, log_file, logs, org_trail, upload, write_local

BUCKET = "org-trail"


@dataclass
class Listings:
    """ListObjectsV2 calls seen on a client: their parameters, and how many keys they returned."""

    prefixes: list[str] = field(default_factory=list)
    keys: int = 0

    @property
    def calls(self) -> int:
        return len(self.prefixes)


def watch_listings(client: Any) -> Listings:
    seen = Listings()

    def before(params: dict[str, Any], **_: Any) -> None:
        seen.prefixes.append(params.get("Prefix", ""))

    def after(parsed: dict[str, Any], **_: Any) -> None:
        seen.keys += len(parsed.get("Contents", []))

    client.meta.events.register("provide-client-params.s3.ListObjectsV2", before)
    client.meta.events.register("after-call.s3.ListObjectsV2", after)
    return seen


@pytest.fixture(scope="module")
def trail(moto_url: str) -> list[TrailObject]:
    objects = org_trail()
    upload(aws_client(moto_url, "s3"), BUCKET, objects)
    return objects


@pytest.fixture
def s3(moto_url: str) -> Any:
    return aws_client(moto_url, "s3")


def blob_names(items: list[Blob | Skip]) -> list[str]:
    return [item.name for item in items if isinstance(item, Blob)]


def records(items: Iterator[Blob | Skip] | list[Blob | Skip]) -> list[Record]:
    out: list[Record] = []
    for item in items:
        if isinstance(item, Blob):
            out.extend(r for r in decode_blob(item) if isinstance(r, Record))
    return out


@dataclass
class WholeScan:
    names: list[str]
    skips: list[Skip]
    records: list[Record]
    listings: Listings


@pytest.fixture(scope="module")
def whole(trail: list[TrailObject], moto_url: str) -> WholeScan:
    """The whole bucket read once (it is the slow part), for the tests that look at it."""
    s3 = aws_client(moto_url, "s3")
    listings = watch_listings(s3)
    names: list[str] = []
    skips: list[Skip] = []
    found: list[Record] = []
    for item in S3Reader(s3, BUCKET, "").blobs():
        if isinstance(item, Skip):
            skips.append(item)
        else:
            names.append(item.name)
            found.extend(r for r in decode_blob(item) if isinstance(r, Record))
    return WholeScan(names, skips, found, listings)


def test_whole_bucket_lists_every_log_file_once_and_reports_digests(
    trail: list[TrailObject], whole: WholeScan
) -> None:
    expected = sorted(f"s3://{BUCKET}/{o.key}" for o in logs(trail))
    assert len(expected) > 1000
    assert sorted(whole.names) == expected
    # merged across the 10 region folders in delivery order, for the windows of stateful rules
    delivered = [parse_key(name).delivered for name in whole.names]  # type: ignore[union-attr]
    assert delivered == sorted(delivered)
    assert all(not s.error for s in whole.skips)
    digests = [s.where for s in whole.skips if "digest" in s.reason]
    assert len(digests) == 3  # one per account folder, none of the 27 digest files listed
    assert f"s3://{BUCKET}/notes/" in [s.where for s in whole.skips]
    assert whole.listings.keys == len(expected)  # digests and notes/ were never listed
    # root, AWSLogs/, the org, 3 account folders, 4 log folders, 10 region folders (the busy one in 2 pages)
    assert whole.listings.calls == 1 + 1 + 1 + 3 + 4 + 10 + 1


def test_records_are_those_of_the_same_files_read_from_disk(
    trail: list[TrailObject], whole: WholeScan, tmp_path: Path
) -> None:
    write_local(tmp_path, trail)
    local = [
        Blob(str(tmp_path / o.key), (lambda p=tmp_path / o.key: p.open("rb")), None) for o in logs(trail)
    ]
    from_disk = records(local)
    assert len(whole.records) == len(from_disk) > 2000
    key = lambda r: (r.event["eventID"], r.origin.index)  # noqa: E731
    assert sorted(map(key, whole.records)) == sorted(map(key, from_disk))
    assert {r.origin.source.removeprefix(f"s3://{BUCKET}/") for r in whole.records} == {
        str(Path(r.origin.source).relative_to(tmp_path)) for r in from_disk
    }
    insight = [r for r in whole.records if r.event.get("eventType") == "AwsCloudTrailInsight"]
    assert len(insight) == 1


PRUNINGS = {
    "one account": Scope(accounts=frozenset({"222222222222"})),
    "one region": Scope(regions=frozenset({"eu-west-1"})),
    "one day": Scope(since=DAYS[1], until=DAYS[1] + timedelta(hours=23, minutes=59)),
    "an afternoon, one account, two regions": Scope(
        since=DAYS[2] + timedelta(hours=12),
        until=DAYS[2] + timedelta(hours=18),
        accounts=frozenset({"333333333333"}),
        regions=frozenset({"us-east-1", "ap-southeast-2"}),
    ),
}


def wanted(obj: TrailObject, scope: Scope, *, until: bool = True) -> bool:
    assert obj.account and obj.region and obj.delivered
    return (
        scope.wants_account(obj.account)
        and scope.wants_region(obj.region)
        and (scope.since is None or obj.delivered >= scope.since - timedelta(minutes=5))
        and (not until or scope.until is None or obj.delivered <= scope.until + timedelta(hours=1))
    )


@pytest.mark.parametrize("name", list(PRUNINGS))
def test_pruned_scan_lists_only_prefixes_that_can_hold_wanted_keys(
    name: str, trail: list[TrailObject], s3: Any
) -> None:
    scope = PRUNINGS[name]
    listings = watch_listings(s3)
    items = list(S3Reader(s3, BUCKET, "", scope).blobs())
    expected = sorted(f"s3://{BUCKET}/{o.key}" for o in logs(trail) if wanted(o, scope))
    assert expected
    assert sorted(blob_names(items)) == expected
    assert not [i for i in items if isinstance(i, Skip) and i.error]
    # Keys listed: those of wanted accounts and regions from --since on, no others (a listing
    # cannot end at --until, but it stops asking for pages there).
    assert listings.keys == sum(1 for o in logs(trail) if wanted(o, scope, until=False))
    assert listings.keys < sum(1 for _ in logs(trail))
    unwanted = [a for a in ("111111111111", "222222222222", "333333333333") if not scope.wants_account(a)]
    unwanted += [r for r in ("us-east-1", "eu-west-1", "ap-southeast-2") if not scope.wants_region(r)]
    assert not [p for p in listings.prefixes for word in unwanted if word in p]


def test_a_prefix_inside_the_layout_is_walked_from_there(trail: list[TrailObject], s3: Any) -> None:
    listings = watch_listings(s3)
    prefix = "AWSLogs/o-aa11bb22cc/111111111111/CloudTrail/eu-west-1/2026/11/20/"
    items = list(S3Reader(s3, BUCKET, prefix).blobs())
    assert sorted(blob_names(items)) == sorted(
        f"s3://{BUCKET}/{o.key}" for o in trail if o.key.startswith(prefix)
    )
    assert len(items) == 12
    assert listings.prefixes == [prefix]  # nothing discovered: the prefix names it all


def test_a_digest_prefix_is_reported_not_listed(trail: list[TrailObject], s3: Any) -> None:
    listings = watch_listings(s3)
    items = list(S3Reader(s3, BUCKET, "AWSLogs/333333333333/CloudTrail-Digest/").blobs())
    assert [(i.where, i.error) for i in items if isinstance(i, Skip)] == [
        (f"s3://{BUCKET}/AWSLogs/333333333333/CloudTrail-Digest/", False)
    ]
    assert listings.calls == 0


def test_a_prefix_that_is_not_a_trail_is_listed_whole_and_filtered_by_file_names(s3: Any) -> None:
    """Without AWSLogs/, every key is read, but CloudTrail file names still give time, account,
    region and digest-ness to filter on."""
    bucket = "flat-export"
    s3.create_bucket(Bucket=bucket)
    names = {
        "export/111111111111_CloudTrail_us-east-1_20261120T1005Z_a.json.gz": "read",
        "export/111111111111_CloudTrail_us-east-1_20261118T1005Z_b.json.gz": "delivered before --since",
        "export/111111111111_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T110000Z.json.gz": "digest",
        "export/events.json": "read",
    }
    for key in names:
        s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
    items = list(S3Reader(s3, bucket, "export/", Scope(since=datetime(2026, 11, 20, tzinfo=UTC))).blobs())
    assert sorted(blob_names(items)) == sorted(f"s3://{bucket}/{k}" for k, v in names.items() if v == "read")
    reasons = sorted(i.reason for i in items if isinstance(i, Skip))
    assert reasons == ["CloudTrail digest file (hashes, not events)", "delivered before --since"]


@pytest.mark.parametrize("prefix", ["", "AWSLogs/111111111111/"])
def test_a_missing_bucket_is_one_clear_error_and_ends_following(s3: Any, prefix: str) -> None:
    items = list(S3Reader(s3, "no-such-bucket-here", prefix, follow=True, sleep=Polls()).blobs())
    assert len(items) == 1 and isinstance(items[0], Skip) and items[0].error
    assert items[0].where == f"s3://no-such-bucket-here/{prefix}"
    assert "NoSuchBucket" in items[0].reason and "check the bucket name" in items[0].reason


def test_an_object_gone_since_listing_is_a_skip_naming_it(s3: Any) -> None:
    bucket = "vanishing"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a.json", Body=b'{"Records": []}')
    failed: list[str] = []
    ref = ObjectRef(bucket, "gone.json", 10, fail=lambda: failed.append("gone"))
    items = list(fetch_objects(s3, [ObjectRef(bucket, "a.json", 15), ref]))
    assert isinstance(items[0], Blob) and items[0].open().read() == b'{"Records": []}'
    assert isinstance(items[1], Skip) and items[1].where == f"s3://{bucket}/gone.json"
    assert "NoSuchKey" in items[1].reason
    assert failed == ["gone"]


def test_downloads_run_ahead_of_the_consumer_by_at_most_the_window(trail: list[TrailObject], s3: Any) -> None:
    started: list[str] = []
    lock = threading.Lock()

    def count(params: dict[str, Any], **_: Any) -> None:
        with lock:
            started.append(params["Key"])

    s3.meta.events.register("provide-client-params.s3.GetObject", count)
    refs = [ObjectRef(BUCKET, o.key, len(o.body)) for o in list(logs(trail))[:40]]
    assert len(refs) == 40
    consumed = 0
    for item in fetch_objects(s3, refs, workers=4, window=4):
        consumed += 1
        assert isinstance(item, Blob)
        with lock:
            assert len(started) - consumed <= 3
    assert consumed == 40 and len(started) == 40


def test_objects_too_big_to_hold_are_streamed_when_opened(
    trail: list[TrailObject], s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_fetch, "MAX_PREFETCH_BYTES", 64)
    obj = next(logs(trail))
    gets: list[str] = []
    s3.meta.events.register(
        "provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"])
    )
    (blob,) = fetch_objects(s3, [ObjectRef(BUCKET, obj.key, len(obj.body))])
    assert isinstance(blob, Blob)
    assert gets == []  # not fetched ahead
    with blob.open() as stream:
        assert stream.read() == obj.body
    assert len(records([blob])) == 2


def test_the_registered_opener_uses_the_standard_credential_chain(
    trail: list[TrailObject], aws_env: str
) -> None:
    options = SourceOptions(accounts=("333333333333",), regions=("eu-west-1",), since=DAYS[2])
    items = list(open_source(f"s3://{BUCKET}/", options))
    assert len(blob_names(items)) == 12


# -- follow mode and checkpoints -----------------------------------------------------------------


class Polls:
    """A `sleep` for the reader that, instead of sleeping, runs the next scripted change to the
    bucket — and ends following after the last one."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)

    def __call__(self, seconds: float) -> None:
        if not self.steps:
            raise StopFollowing
        self.steps.pop(0)()


class StopFollowing(Exception):
    pass


def follow(reader: S3Reader, ack: bool = True) -> list[str]:
    names: list[str] = []
    try:
        for item in reader.blobs():
            if isinstance(item, Blob):
                names.append(item.name.removeprefix(f"s3://{reader.bucket}/"))
                if ack and item.ack:
                    item.ack()
    except StopFollowing:
        pass
    return names


def test_follow_picks_up_new_keys_late_ones_and_the_next_day(s3: Any, tmp_path: Path) -> None:

    bucket = "growing-trail"
    account, region = "333333333333", "us-east-1"
    day = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    first = [log_file(account, region, day + timedelta(minutes=m)) for m in (0, 30, 50)]
    upload(s3, bucket, first)
    late = log_file(account, region, day + timedelta(minutes=50), salt="late")  # same minute as the last
    next_day = log_file(account, region, day + timedelta(minutes=70))  # 2026/11/21/…
    # named 23:58 on the 20th, it arrives after 00:10 on the 21st was read: within the late margin
    late_across_midnight = log_file(account, region, day + timedelta(minutes=58))
    polls = Polls(
        *(
            lambda obj=obj: s3.put_object(Bucket=bucket, Key=obj.key, Body=obj.body)
            for obj in (late, next_day, late_across_midnight)
        ),
        lambda: None,  # a poll with nothing new
    )
    reader = S3Reader(s3, bucket, "", follow=True, sleep=polls, poll_seconds=0)
    names = follow(reader)
    assert names == [o.key for o in first] + [late.key, next_day.key, late_across_midnight.key]
    assert next_day.key.split("/")[-2] == "21"


def test_a_restarted_follow_reads_no_acknowledged_key_and_every_other(s3: Any, tmp_path: Path) -> None:
    """What SIGKILL leaves: some keys acknowledged, some handed out but not; the restart reads
    exactly the others."""

    bucket = "restart-trail"
    day = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    objects = [log_file("111111111111", "eu-west-1", day + timedelta(minutes=5 * n)) for n in range(12)]
    upload(s3, bucket, objects)
    state = tmp_path / "state.db"
    first = S3Reader(s3, bucket, "", checkpoints=Checkpoints(StateDB(state)))
    acked = set()
    for n, item in enumerate(first.blobs()):
        assert isinstance(item, Blob) and item.ack
        if n in (0, 1, 2, 4, 7, 8):
            item.ack()
            acked.add(item.name.removeprefix(f"s3://{bucket}/"))
        if n == 9:
            break  # killed: 10 and 11 never handed out, 3, 5, 6, 9 handed out but not acknowledged
    second = S3Reader(s3, bucket, "", checkpoints=Checkpoints(StateDB(state)))
    again = follow(second)
    assert sorted(again) == sorted({o.key for o in objects} - acked)
    third = S3Reader(s3, bucket, "", checkpoints=Checkpoints(StateDB(state)))
    assert follow(third) == []
