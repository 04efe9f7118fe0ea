"""engine.sources.securitylake: a lake folder or bucket is walked in its layout and pruned on its
folder names, and scanning a lake made from a trail gives the trail's findings, rule for rule."""

from __future__ import annotations

import importlib.util
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.decoding import Record, Skip, decode_blob
from engine.errors import UsageError
from engine.sources import SourceOptions, open_sources
from engine.sources import securitylake as lake
from engine.types import Blob
from tests.decoding.parquet_lake import trail_events, write_lake
from tests.helpers import REPO, SHARED, event
from tests.rules_packs.scanning import scan
from tests.sources.aws_server import aws_client

SAMPLES = SHARED / "data" / "cloudtrail-samples"
SIGMA = SHARED / "data" / "sigma-cloudtrail-rules" / "rules"
BUCKET = "aws-security-data-lake-us-east-1-abcdefghij"
ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "eu-west-1")
DAYS = ("2026-11-19", "2026-11-20", "2026-11-21")
# Security Lake carries no CloudTrail Insights events: the one rule on them cannot fire on a lake.
NOT_IN_A_LAKE = frozenset({"ct-insights-unusual-api-activity"})


def grid_events() -> list[dict[str, Any]]:
    """Three events in every account, region and day of the grid."""
    events = []
    for account in ACCOUNTS:
        for region in REGIONS:
            for day in DAYS:
                for n in range(3):
                    events.append(
                        event(
                            eventID=f"{account}-{region}-{day}-{n}",
                            eventTime=f"{day}T1{n}:00:00Z",
                            awsRegion=region,
                            recipientAccountId=account,
                        )
                    )
    return events


@pytest.fixture
def grid(tmp_path: Path) -> Path:
    write_lake(grid_events(), tmp_path / "lake", rows_per_object=2, row_group_rows=1)
    return tmp_path / "lake"


def blobs(items: list[Blob | Skip]) -> list[Blob]:
    return [item for item in items if isinstance(item, Blob)]


def event_ids(items: list[Blob | Skip]) -> list[str]:
    ids = []
    for blob in blobs(items):
        for record in decode_blob(blob):
            assert isinstance(record, Record), record
            ids.append(record.event["eventID"])
    return ids


def test_lakes_are_claimed_by_bucket_name_and_folder_layout(grid: Path, tmp_path: Path) -> None:
    assert lake.claims(f"s3://{BUCKET}/")
    assert lake.claims(f"s3://{BUCKET}")
    assert not lake.claims("s3://my-trail-bucket/AWSLogs/")
    assert lake.claims(str(grid))
    assert lake.claims(f"file://{grid}")
    assert lake.claims(str(grid / "aws" / "CLOUD_TRAIL_MGMT" / "2.0" / "region=eu-west-1"))
    assert not lake.claims(str(REPO / "fixtures" / "AWSLogs"))
    single = next(grid.rglob("*.gz.parquet"))
    assert not lake.claims(str(single))  # one file: the local source hands it to decoding
    assert not lake.claims("sqs://queue")


def test_a_whole_lake_is_read_day_by_day_across_accounts_and_regions(grid: Path) -> None:
    items = list(lake.open_lake(str(grid), SourceOptions()))
    ids = event_ids(items)
    assert sorted(ids) == sorted(item["eventID"] for item in grid_events())
    days = [blob.name.split("eventDay=")[1][:8] for blob in blobs(items)]
    assert days == sorted(days)
    assert not [item for item in items if isinstance(item, Skip)]


def test_a_days_objects_are_read_by_their_first_event_time_across_regions(tmp_path: Path) -> None:
    """As a trail's files are merged by delivery time: windows on event time see the day in order."""
    hours = {"us-east-1": (10, 12), "eu-west-1": (11, 13)}
    events = [
        event(eventID=f"{region}-{hour}", eventTime=f"2026-11-20T{hour}:00:00Z", awsRegion=region)
        for region, times in hours.items()
        for hour in times
    ]
    write_lake(events, tmp_path / "lake", rows_per_object=1)
    items = list(lake.open_lake(str(tmp_path / "lake"), SourceOptions()))
    assert event_ids(items) == ["us-east-1-10", "eu-west-1-11", "us-east-1-12", "eu-west-1-13"]


def test_accounts_regions_and_days_prune_the_folders_before_any_object_is_read(grid: Path) -> None:
    """One account, one region, one day of a 2x2x3 grid: 2 of the 24 objects, and notes for the
    folders passed over."""
    options = SourceOptions(
        since=datetime(2026, 11, 20, 9, tzinfo=UTC),
        until=datetime(2026, 11, 20, 23, tzinfo=UTC),
        accounts=("444455556666",),
        regions=("eu-west-1",),
    )
    items = list(lake.open_lake(str(grid), options))
    assert len(blobs(items)) == 2
    assert sorted(event_ids(items)) == [f"444455556666-eu-west-1-2026-11-20-{n}" for n in range(3)]
    notes = {item.reason for item in items if isinstance(item, Skip)}
    assert notes == {
        "region not in --regions",
        "account not in --accounts",
        "day before --since",
        "day after --until",
    }
    assert not any(item.error for item in items if isinstance(item, Skip))


def test_other_lake_sources_and_table_metadata_are_passed_over_with_a_note(grid: Path) -> None:
    (grid / "aws" / "VPC_FLOW" / "2.0" / "region=us-east-1").mkdir(parents=True)
    (grid / "aws" / "CLOUD_TRAIL_MGMT" / "2.0" / "metadata").mkdir()
    (grid / "aws" / "CLOUD_TRAIL_MGMT" / "2.0" / "metadata" / "v1.metadata.json").write_text("{}")
    (grid / "ext" / "trailwarden" / "1.0").mkdir(parents=True)
    items = list(lake.open_lake(str(grid), SourceOptions()))
    notes = {Path(item.where).name: item.reason for item in items if isinstance(item, Skip)}
    assert notes["VPC_FLOW"] == "Security Lake source VPC_FLOW: not CloudTrail, not read"
    assert "table metadata" in notes["metadata"]
    assert "custom sources" in notes["ext"]
    assert len(blobs(items)) == 24


def test_without_pyarrow_naming_a_lake_says_which_extra_to_install(
    grid: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )
    with pytest.raises(UsageError) as caught:
        list(open_sources([str(grid)], SourceOptions()))
    assert "pip install 'trailwarden[securitylake]'" in str(caught.value)


def upload(moto_url: str, root: Path, bucket: str = BUCKET) -> None:
    s3 = aws_client(moto_url, "s3")
    s3.create_bucket(Bucket=bucket)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            s3.put_object(Bucket=bucket, Key=path.relative_to(root).as_posix(), Body=path.read_bytes())


def test_a_lake_bucket_reads_as_the_same_lake_pruned_the_same_way(grid: Path, aws_env: str) -> None:
    upload(aws_env, grid)
    whole = list(open_sources([f"s3://{BUCKET}/"], SourceOptions()))
    assert sorted(event_ids(whole)) == sorted(item["eventID"] for item in grid_events())
    assert [blob.name.split(BUCKET + "/")[1] for blob in blobs(whole)] == [
        Path(blob.name).relative_to(grid).as_posix()
        for blob in blobs(list(lake.open_lake(str(grid), SourceOptions())))
    ]
    options = SourceOptions(
        accounts=("111122223333",), regions=("us-east-1",), since=datetime(2026, 11, 21, tzinfo=UTC)
    )
    pruned = list(open_sources([f"s3://{BUCKET}/aws/CLOUD_TRAIL_MGMT/2.0/"], options))
    assert [blob.name for blob in blobs(pruned)] == [
        f"s3://{BUCKET}/aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId=111122223333/eventDay=20261121/part-{n:05d}.gz.parquet"
        for n in range(2)
    ]


def test_an_object_in_the_bucket_is_read_by_ranged_gets_not_downloaded_whole(
    tmp_path: Path, aws_env: str
) -> None:
    """A 2 MB object read with the lean plan's few columns: the footer and those column chunks."""
    noise = random.Random(7)  # request parameters that do not compress: the object is big
    events = [
        event(eventID=f"id-{n:05d}", requestParameters={"blob": noise.randbytes(700).hex()})
        for n in range(1500)
    ]
    write_lake(events, tmp_path / "big", rows_per_object=1500, row_group_rows=500)
    bucket = "aws-security-data-lake-eu-west-1-ranged"
    upload(aws_env, tmp_path / "big", bucket)
    (blob,) = blobs(list(open_sources([f"s3://{bucket}/"], SourceOptions())))
    assert blob.size is not None and blob.size > 1_000_000
    with blob.open() as stream:
        raw: Any = stream
        from engine.decoding.context import DecodeContext
        from engine.decoding.lean import LeanPlan
        from engine.decoding.limits import DEFAULT_LIMITS
        from engine.decoding.parquet import decode_parquet

        plan = LeanPlan((), lambda head: False)
        records = list(decode_parquet(stream, DecodeContext(blob.name, DEFAULT_LIMITS, lean=plan)))
        assert len(records) == 1500 and all(isinstance(item, Record) and item.partial for item in records)
        assert raw.requests >= 2
        assert raw.fetched < blob.size / 4, (raw.fetched, blob.size)


def findings(*sources: str | Path, rules: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    result, found = scan(*sources, extra=rules)
    assert result.exit_code in (0, 1), result.stderr
    return {(item["rule_id"], item["event_id"]) for item in found}


def assert_same_findings(
    trail: list[Path], tmp_path: Path, rules: tuple[str, ...] = ()
) -> set[tuple[str, str]]:
    written = write_lake(trail_events(*trail), tmp_path / "lake", rows_per_object=40, row_group_rows=15)
    assert max(written.values()) > 1, "several objects in some partition"
    from_trail = findings(*trail, rules=rules)
    from_lake = findings(tmp_path / "lake", rules=rules)
    assert from_trail, "the trail gives findings to compare"
    assert {pair for pair in from_trail if pair[0] not in NOT_IN_A_LAKE} == from_lake
    return from_lake


def test_the_fixture_lake_gives_the_fixture_trails_findings(tmp_path: Path) -> None:
    found = assert_same_findings([REPO / "fixtures" / "AWSLogs"], tmp_path)
    assert len({rule for rule, _ in found}) > 30


def test_a_single_parquet_file_named_anything_is_scanned(tmp_path: Path) -> None:
    write_lake(trail_events(REPO / "fixtures" / "AWSLogs"), tmp_path / "lake", rows_per_object=10_000)
    one = next((tmp_path / "lake").rglob("*.gz.parquet"))
    renamed = tmp_path / "export.bin"
    renamed.write_bytes(one.read_bytes())
    assert findings(renamed) == findings(one) != set()


@pytest.mark.shared
def test_the_shared_samples_give_the_same_findings_from_a_lake(tmp_path: Path) -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"the shared CloudTrail samples are not at {SAMPLES} (../shared/ is absent)")
    assert_same_findings([SAMPLES / "invictus-ir", SAMPLES / "stratus-red-team"], tmp_path)


@pytest.mark.shared
def test_sigma_rules_give_the_same_findings_from_a_lake(tmp_path: Path) -> None:
    if not SIGMA.is_dir() or not SAMPLES.is_dir():
        pytest.skip(f"the shared Sigma rules or samples are absent ({SIGMA}, {SAMPLES})")
    if importlib.util.find_spec("engine.sigma") is None:
        pytest.skip("this build loads no Sigma rules (engine.sigma is absent)")
    assert_same_findings(
        [SAMPLES / "invictus-ir", SAMPLES / "stratus-red-team"], tmp_path, rules=("--rules", str(SIGMA))
    )
