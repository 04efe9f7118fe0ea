"""Security Lake lakes for tests and benchmarks: CloudTrail records written as OCSF API Activity
Parquet (engine.decoding.ocsf_forward) in the lake's layout, several objects and row groups per
partition, as Security Lake's own writer leaves them.

    python -m tests.decoding.parquet_lake fixtures/AWSLogs/ /tmp/lake    # a lake of the fixtures
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from engine.decoding import Record, decode_blob
from engine.decoding.ocsf_forward import arrow_schema, to_ocsf
from engine.sources import SourceOptions
from engine.sources.local import open_local
from engine.types import Blob

Event = dict[str, Any]
SOURCE = "CLOUD_TRAIL_MGMT"


def partition_of(event: Event, source: str = SOURCE) -> str:
    """`aws/<source>/2.0/region=<r>/accountId=<a>/eventDay=<yyyymmdd>` for one record."""
    day = str(event.get("eventTime", ""))[:10].replace("-", "")
    account = event.get("recipientAccountId") or (event.get("userIdentity") or {}).get("accountId")
    return f"aws/{source}/2.0/region={event.get('awsRegion')}/accountId={account}/eventDay={day}"


def write_table(rows: list[Event], path: Path, row_group_rows: int) -> None:
    table = pa.Table.from_pylist(rows, schema=arrow_schema())
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=row_group_rows, compression="gzip")


def write_lake(
    events: Iterable[Event],
    root: Path,
    *,
    rows_per_object: int = 50,
    row_group_rows: int = 20,
    source: str = SOURCE,
) -> dict[str, int]:
    """Write `events` under `root` in the lake layout; the number of objects per partition folder."""
    by_partition: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_partition[partition_of(event, source)].append(to_ocsf(event))
    objects: dict[str, int] = {}
    for folder, rows in sorted(by_partition.items()):
        rows.sort(key=lambda row: row["time"] or 0)
        chunks = [rows[at : at + rows_per_object] for at in range(0, len(rows), rows_per_object)]
        for number, chunk in enumerate(chunks):
            write_table(chunk, root / folder / f"part-{number:05d}.gz.parquet", row_group_rows)
        objects[folder] = len(chunks)
    return objects


def trail_events(*roots: str | Path) -> list[Event]:
    """Every CloudTrail API record under `roots` (Insights events aside: Security Lake has none)."""
    events: list[Event] = []
    for root in roots:
        for item in open_local(str(root), SourceOptions()):
            if not isinstance(item, Blob):
                continue
            for record in decode_blob(item):
                if isinstance(record, Record) and record.event.get("eventType") != "AwsCloudTrailInsight":
                    events.append(record.event)
    return events


if __name__ == "__main__":
    source_folder, lake_folder = sys.argv[1], Path(sys.argv[2])
    written = write_lake(trail_events(source_folder), lake_folder)
    print(f"{sum(written.values())} objects in {len(written)} partitions under {lake_folder}")
