"""engine.sinks.securitylake: findings written as a Security Lake custom source — OCSF Detection
Finding Parquet in `region=/accountId=/eventDay=` partitions — read back as the OCSF the format
makes, valid against the OCSF schema; failures are retried and spooled like every sink's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest

from engine.formats import get_format
from engine.sinks.base import SinkOptions
from engine.sinks.securitylake import SecurityLakeSink
from engine.sinks.url import parse_sink_url
from tests.formats.findings import corpus
from tests.formats.ocsf_validation import validate_ocsf
from tests.sources.aws_server import aws_client, aws_env, moto_url

__all__ = ["aws_env", "moto_url"]  # the moto server fixtures, as tests/sources/conftest.py has them


def read_back(path: Path) -> list[dict[str, Any]]:
    rows = pq.read_table(path).to_pylist()
    for row in rows:
        if row.get("unmapped") is not None:
            row["unmapped"] = {key: orjson.loads(value) for key, value in row["unmapped"]}
    return rows


def without_nulls(value: Any) -> Any:
    """Parquet gives every row every column of its object: a field another row has is null here."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def unique_findings() -> list[dict[str, Any]]:
    """The format tests' findings, one per finding id (some share an id on purpose)."""
    return list({f["finding_id"]: f for f in corpus().values()}.values())


def utf8(finding: dict[str, Any]) -> bool:
    try:
        orjson.dumps(finding, default=str)
    except orjson.JSONEncodeError:
        return False
    return True


def sink(url: str) -> SecurityLakeSink:
    return SecurityLakeSink(parse_sink_url(url), SinkOptions())


def test_findings_round_trip_through_the_lake_layout_as_valid_ocsf(tmp_path: Path) -> None:
    findings = unique_findings()
    lake = sink(f"securitylake+file://{tmp_path}/ext/trailwarden")
    delivery = lake.send(findings)
    unwritable = {f["finding_id"] for f in findings if not utf8(f)}
    assert len(unwritable) == 1  # the corpus's lone surrogate: that finding only is refused, with why
    assert set(delivery.rejected) == unwritable and "UTF-8" in next(iter(delivery.rejected.values()))
    assert sorted(delivery.delivered) == sorted(f["finding_id"] for f in findings if utf8(f))
    assert not delivery.retry
    findings = [f for f in findings if utf8(f)]
    objects = sorted((tmp_path / "ext" / "trailwarden").rglob("*.gz.parquet"))
    assert objects
    expected = {f["finding_id"]: get_format("ocsf").to_record(f) for f in findings}
    seen = {}
    for path in objects:
        partition = path.parent.relative_to(tmp_path / "ext" / "trailwarden").as_posix()
        region, account, day = (part.split("=", 1)[1] for part in partition.split("/"))
        for row in read_back(path):
            record = without_nulls(row)
            validate_ocsf(record)
            assert record["class_uid"] == 2004
            assert region == record["cloud"].get("region", "global")
            assert account == record["cloud"].get("account", {}).get("uid", "unknown")
            assert day == datetime.fromtimestamp(record["time"] / 1000, UTC).strftime("%Y%m%d")
            seen[record["metadata"]["uid"]] = record
    untimed = {f["finding_id"] for f in findings if not f.get("event_time")}  # timed when written
    for fid in untimed:
        seen[fid].pop("time")
        expected[fid].pop("time")
    assert seen == {fid: without_nulls(record) for fid, record in expected.items()}


def test_the_url_can_fix_the_custom_sources_region_and_account(tmp_path: Path) -> None:
    (finding,) = unique_findings()[:1]
    lake = sink(f"securitylake+file://{tmp_path}?region=eu-central-1&account=999988887777")
    assert lake.send([finding]).delivered
    (path,) = tmp_path.rglob("*.parquet")
    assert "region=eu-central-1/accountId=999988887777/eventDay=" in path.as_posix()


def test_a_lake_bucket_gets_the_objects_and_a_failure_is_retried_not_lost(aws_env: str) -> None:
    s3 = aws_client(aws_env, "s3")
    s3.create_bucket(Bucket="aws-security-data-lake-us-east-1-findings")
    findings = unique_findings()[:5]
    lake = sink("securitylake+s3://aws-security-data-lake-us-east-1-findings/ext/trailwarden")
    assert len(lake.send(findings).delivered) == 5
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket="aws-security-data-lake-us-east-1-findings")["Contents"]
    ]
    assert keys and all(
        key.startswith("ext/trailwarden/region=") and key.endswith(".gz.parquet") for key in keys
    )
    gone = sink("securitylake+s3://aws-security-data-lake-us-east-1-no-such-bucket/ext/trailwarden")
    delivery = gone.send(findings)
    assert not delivery.delivered and set(delivery.retry) == {f["finding_id"] for f in findings}
    assert "NoSuchBucket" in next(iter(delivery.retry.values()))


def test_only_the_ocsf_format_fits(tmp_path: Path) -> None:
    from engine.errors import UsageError

    with pytest.raises(UsageError, match="format 'ecs' does not fit"):
        sink(f"securitylake+file://{tmp_path}?format=ecs")
