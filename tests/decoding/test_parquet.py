"""engine.decoding.parquet and engine.decoding.ocsf: Security Lake's OCSF Parquet decodes to the
CloudTrail records it was made from, a row group at a time, and bad Parquet is named, not read."""

from __future__ import annotations

import io
import sys
import tracemalloc
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.decoding import LeanPlan, Record, Skip, decode_blob
from engine.decoding.ocsf import to_cloudtrail
from engine.decoding.ocsf_forward import arrow_schema, to_ocsf
from engine.types import Blob
from tests.decoding.parquet_lake import trail_events, write_table
from tests.helpers import REPO, SHARED, event

SAMPLES = SHARED / "data" / "cloudtrail-samples"


def without_nulls(value: Any) -> Any:
    """What survives OCSF: a JSON null is an absent field there (JMESPath reads both alike)."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def decoded(path: Path, lean: LeanPlan | None = None) -> list[Record | Skip]:
    return list(decoded_iter(path, lean))


def parquet_of(events: list[dict[str, Any]], path: Path, row_group_rows: int = 1000) -> Path:
    write_table([to_ocsf(item) for item in events], path, row_group_rows)
    return path


def test_the_mapping_gives_back_every_field_of_the_fixture_records() -> None:
    """CloudTrail → OCSF → CloudTrail keeps every field but JSON nulls, including the session
    issuer's userName that AWS's mapping drops (rebuilt from the issuer ARN)."""
    events = trail_events(REPO / "fixtures" / "AWSLogs")
    assert len(events) > 500
    for original in events:
        row = to_ocsf(original)
        row["unmapped"] = dict(row["unmapped"])
        assert to_cloudtrail(row) == without_nulls(original), original["eventID"]


@pytest.mark.shared
def test_the_mapping_gives_back_every_field_of_the_shared_samples() -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"the shared CloudTrail samples are not at {SAMPLES} (../shared/ is absent)")
    events = trail_events(SAMPLES / "invictus-ir", SAMPLES / "stratus-red-team")
    assert len(events) > 3000
    for original in events:
        assert to_cloudtrail(to_ocsf(original)) == without_nulls(original), original.get("eventID")


def test_parquet_is_known_by_its_magic_bytes_not_its_name(tmp_path: Path) -> None:
    """A Parquet file named like JSON is read as Parquet; every row is a record, in order."""
    events = [event(eventID=f"id-{n}", eventName="CreateCluster") for n in range(5)]
    items = decoded(parquet_of(events, tmp_path / "export.json"))
    assert [item.event["eventID"] for item in items if isinstance(item, Record)] == [
        f"id-{n}" for n in range(5)
    ]
    assert [item.origin.index for item in items if isinstance(item, Record)] == list(range(5))
    assert items[0].event == without_nulls(events[0])  # type: ignore[union-attr]


def test_rows_come_from_every_row_group(tmp_path: Path) -> None:
    events = [event(eventID=f"id-{n:03d}") for n in range(250)]
    path = parquet_of(events, tmp_path / "lake.gz.parquet", row_group_rows=40)
    assert pq.ParquetFile(path).num_row_groups == 7
    records = [item for item in decoded(path) if isinstance(item, Record)]
    assert [record.event["eventID"] for record in records] == [f"id-{n:03d}" for n in range(250)]


def test_parquet_on_a_stream_that_cannot_seek_is_read_whole() -> None:
    """Standard input: the footer is at the end, so the stream is held (within the document limit)."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([to_ocsf(event())], schema=arrow_schema()), buffer)
    blob = Blob.of_bytes("-", buffer.getvalue())
    records = [item for item in decode_blob(blob) if isinstance(item, Record)]
    assert records[0].event["eventName"] == "CreateCluster"


def test_a_row_of_another_ocsf_class_or_version_is_skipped_on_its_own(tmp_path: Path) -> None:
    rows = [to_ocsf(event(eventID=f"id-{n}")) for n in range(3)]
    rows[0]["class_uid"] = 2004
    rows[1]["metadata"]["version"] = "1.3.0"
    path = tmp_path / "mixed.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), path)
    items = decoded(path)
    skips = [item for item in items if isinstance(item, Skip)]
    assert [item.event["eventID"] for item in items if isinstance(item, Record)] == ["id-2"]
    assert "OCSF class 2004" in skips[0].reason and skips[0].where == f"{path} (record 0)"
    assert "version '1.3.0'" in skips[1].reason and skips[1].where == f"{path} (record 1)"


def test_a_truncated_parquet_file_is_named_with_the_reason(tmp_path: Path) -> None:
    path = parquet_of([event()], tmp_path / "cut.parquet")
    path.write_bytes(path.read_bytes()[:-200])
    (skip,) = decoded(path)
    assert isinstance(skip, Skip) and skip.error
    assert skip.where == str(path) and "not a readable Parquet file" in skip.reason


def test_a_column_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    table = pa.table(
        {"class_uid": [6003], "api": [{"operation": 7, "service": {"name": "eks.amazonaws.com"}}]}
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    (skip,) = decoded(path)
    assert isinstance(skip, Skip) and "column api.operation is int64, not a string" in skip.reason


def test_parquet_that_is_not_ocsf_is_named(tmp_path: Path) -> None:
    path = tmp_path / "sales.parquet"
    pq.write_table(pa.table({"order": [1, 2], "price": [3.5, 4.0]}), path)
    (skip,) = decoded(path)
    assert isinstance(skip, Skip) and "without the OCSF column(s) class_uid, api" in skip.reason
    assert "columns: order, price" in skip.reason


def test_without_pyarrow_one_skip_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = parquet_of([event()], tmp_path / "lake.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    (skip,) = decoded(path)
    assert isinstance(skip, Skip) and "pip install 'trailwarden[securitylake]'" in skip.reason


def test_a_lean_plan_reads_full_rows_only_in_row_groups_it_wants(tmp_path: Path) -> None:
    """The plan's fields for every row; the full record only for the row the index wants, and a
    row group without a wanted row never has its other columns read."""
    events = [event(eventID=f"id-{n:02d}", eventName="ListClusters") for n in range(40)]
    events[25]["eventName"] = "CreateCluster"
    path = parquet_of(events, tmp_path / "lean.parquet", row_group_rows=10)
    plan = LeanPlan((("userIdentity", "type"),), lambda head: head.get("eventName") == "CreateCluster")
    records = [item for item in decoded(path, plan) if isinstance(item, Record)]
    assert [record.event["eventID"] for record in records] == [f"id-{n:02d}" for n in range(40)]
    full = [record for record in records if not record.partial]
    assert [record.event["eventID"] for record in full] == ["id-25"]
    assert full[0].event == without_nulls(events[25])
    assert records[0].event == {
        "eventSource": "eks.amazonaws.com",
        "eventName": "ListClusters",
        "eventType": "AwsApiCall",
        "eventTime": "2026-11-20T10:05:00Z",
        "eventID": "id-00",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"accountId": "111122223333", "type": "AssumedRole"},
    }


def test_memory_holds_one_batch_not_the_file(tmp_path: Path) -> None:
    """A file of 40,000 rows in 10 row groups: Arrow and Python memory stay far below what the
    whole table takes, since rows become records one batch at a time."""
    rows = [to_ocsf(event(eventID=f"id-{n:05d}", requestParameters={"name": "x" * 200})) for n in range(4000)]
    table = pa.Table.from_pylist(rows, schema=arrow_schema())
    whole = pa.concat_tables([table] * 10)
    path = tmp_path / "big.parquet"
    pq.write_table(whole, path, row_group_size=4000)
    whole_bytes = whole.nbytes
    del rows, table, whole
    arrow_peak = 0
    tracemalloc.start()
    count = 0
    for item in decoded_iter(path):
        count += isinstance(item, Record)
        arrow_peak = max(arrow_peak, pa.total_allocated_bytes())
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 40_000
    assert arrow_peak < whole_bytes / 3, (arrow_peak, whole_bytes)
    assert python_peak < whole_bytes / 4, (python_peak, whole_bytes)


def decoded_iter(path: Path, lean: LeanPlan | None = None) -> Iterator[Record | Skip]:
    blob = Blob(str(path), partial(path.open, "rb"), path.stat().st_size, path=str(path))
    return decode_blob(blob, lean=lean)


def test_heads_built_column_by_column_equal_the_full_mapping_cut_to_the_plan(tmp_path: Path) -> None:
    """engine.decoding.parquet_heads against to_cloudtrail on every fixture row, with times that
    have milliseconds and rows without `time_dt` among them."""
    from engine.decoding.context import DecodeContext
    from engine.decoding.limits import DEFAULT_LIMITS
    from engine.decoding.parquet import _head_columns, _head_of
    from engine.decoding.parquet_heads import heads

    events = trail_events(REPO / "fixtures" / "AWSLogs")
    events[0]["eventTime"] = "2026-11-20T10:05:00.250Z"
    rows = [to_ocsf(item) for item in events]
    rows[1]["time_dt"] = None
    rows[2]["cloud"]["account"] = None
    path = tmp_path / "fixtures.parquet"
    write_table(rows, path, 1000)
    paths = (("userIdentity", "type"), ("userIdentity", "arn"), ("sourceIPAddress",))
    plan = LeanPlan(paths, lambda head: False)
    parquet = pq.ParquetFile(path)
    columns = _head_columns(DecodeContext(str(path), DEFAULT_LIMITS, lean=plan), parquet.schema_arrow)
    assert columns is not None and "unmapped" not in columns  # what the lean path reads
    for batch in parquet.iter_batches(batch_size=300, columns=columns):
        expected = [_head_of(row, paths, "999988887777") for row in batch.to_pylist()]
        assert heads(batch, paths, "999988887777") == expected


def test_of_the_bundled_rules_only_the_insights_rule_has_a_lake_gap() -> None:
    """What `validate --source-format ocsf` would warn about: the rule on Insights events, which a
    lake does not hold, and nothing else of the bundled packs."""
    from engine.decoding.ocsf import lake_gaps
    from engine.detection.build import load_ruleset

    rules = load_ruleset().rules
    gaps = {rule.id: lake_gaps([repr(rule.rule)], insight=rule.insight) for rule in rules}
    assert {rule_id for rule_id, found in gaps.items() if found} == {"ct-insights-unusual-api-activity"}
    assert lake_gaps(["userIdentity.identityProvider == 'x'"]) == [
        "userIdentity.identityProvider shares actor.idp.name with the web-identity provider"
    ]
