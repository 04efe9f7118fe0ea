"""Findings back to Amazon Security Lake, as a custom source: `securitylake+s3://bucket/ext/<source>`
(the URI the lake's console gives a custom source) or `securitylake+file:///path/ext/<source>`.

Each finding is written as OCSF Detection Finding (class 2004, what `--format ocsf` makes) in
Parquet, in the layout the lake expects of a custom source:
`<prefix>/region=<region>/accountId=<account>/eventDay=<yyyymmdd>/<time>-<uuid>.gz.parquet`, one
OCSF class per object, rows sorted by time, gzip-compressed. The region and account are the
finding's own (`cloud.region`, `cloud.account.uid`) unless the URL fixes them (`?region=…&
account=…`, the account or external ID the custom source was created with); the day is the
finding's time.

Columns are typed from the OCSF record (integers, strings, booleans, nested structs, lists);
`unmapped`, whose values are whatever a rule's context holds, is a map of strings holding JSON
text, as Security Lake's own tables have it. An object is closed at every batch: its size is
bounded by the batch (`batch_size`, `batch_bytes`: 10,000 findings or 64 MiB by default, the
lake wants objects under 256 MB) and its age by when the batch is flushed. Delivery is at least
once like every sink: a batch is reported delivered only once its objects are written (S3's PUT
answered, the local file renamed into place), and a failure is retried, then spooled; a retried
batch may leave its findings twice in the lake, with the same `metadata.uid` (the finding id).

Needs pyarrow: `pip install 'trailwarden[securitylake]'`."""

from __future__ import annotations

import io
import os
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from engine.errors import UsageError
from engine.sinks.base import Delivery, Finding, Sink, SinkOptions
from engine.sinks.url import SinkURL

EXTRA = "pip install 'trailwarden[securitylake]'"
MiB = 1024 * 1024
Row = dict[str, Any]


class SecurityLakeSink(Sink):
    """A Security Lake custom source: OCSF Detection Finding Parquet under `ext/<source>/`."""

    default_format = "ocsf"
    allowed_formats = frozenset({"ocsf"})
    default_batch_size = 10_000
    default_batch_bytes = 64 * MiB
    max_batch_bytes = 200 * MiB  # the lake asks for objects under 256 MB

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        try:
            import pyarrow  # noqa: F401 (the one check that the extra is installed)
        except ImportError:
            raise UsageError(f"sink {self.url}: writing Parquet needs pyarrow", hint=EXTRA) from None
        self.region = self.param("region")
        self.account = self.param("account")
        self.transport = url.transport
        if url.transport == "s3":
            if not url.host:
                raise UsageError(
                    f"sink {self.url}: name the lake's bucket: securitylake+s3://bucket/ext/<source>"
                )
            from engine.sources import SourceOptions, aws

            self.bucket = url.host
            self.prefix = url.path.strip("/")
            self._s3 = aws.client(aws.session(SourceOptions(profile=options.profile)), "s3")
        elif url.transport == "file":
            self.root = Path(url.host + url.path).expanduser()
        else:
            raise UsageError(
                f"sink {self.url}: use securitylake+s3://bucket/ext/<source> or securitylake+file:///path"
            )

    def send(self, batch: Sequence[Finding]) -> Delivery:
        rows, refused = self.encode_each(batch, self._record)
        by_partition: dict[str, list[tuple[str, Row]]] = defaultdict(list)
        for fid, row in rows:
            by_partition[self._partition(row)].append((fid, row))
        outcome = [refused]
        for partition, items in sorted(by_partition.items()):
            ids = [fid for fid, _ in items]
            try:
                data = parquet_bytes([row for _, row in items])
            except Exception as exc:  # pyarrow refuses a value: retrying never makes it fit
                outcome.append(
                    Delivery.refused(ids, f"cannot write it as Parquet: {type(exc).__name__}: {exc}")
                )
                continue
            name = f"{partition}/{_object_name(items)}"
            try:
                self._write(name, data)
            except Exception as exc:  # S3 or the disk: worth retrying, then the spool
                outcome.append(Delivery.failed(ids, f"cannot write {name}: {type(exc).__name__}: {exc}"))
                continue
            self.stats.requests += 1
            outcome.append(Delivery.ok(ids, len(data)))
        return Delivery.combine(outcome)

    def _record(self, finding: Finding) -> Row:
        """The finding's OCSF record; FormatError for one Parquet cannot hold (text that is not
        UTF-8, such as a lone surrogate), so only that finding is refused."""
        from engine.formats import FormatError

        record = self.format.to_record(finding)
        if not isinstance(record, dict):
            raise FormatError("the format gave no OCSF record")
        try:
            orjson.dumps(record, default=str)
        except orjson.JSONEncodeError as exc:
            raise FormatError(f"Parquet strings are UTF-8: {exc}") from None
        return record

    def _partition(self, row: Row) -> str:
        cloud = row.get("cloud") or {}
        region = self.region or cloud.get("region") or "global"
        account = self.account or (cloud.get("account") or {}).get("uid") or "unknown"
        day = datetime.fromtimestamp(int(row.get("time") or 0) / 1000, UTC).strftime("%Y%m%d")
        return f"region={region}/accountId={account}/eventDay={day}"

    def _write(self, name: str, data: bytes) -> None:
        if self.transport == "s3":
            key = f"{self.prefix}/{name}" if self.prefix else name
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=data)
            return
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)  # a reader of the lake never sees half an object
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def parquet_bytes(rows: list[Row]) -> bytes:
    """One Parquet object of OCSF records, sorted by time, `unmapped` as a map of JSON text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ordered = sorted(rows, key=lambda row: row.get("time") or 0)
    table = pa.Table.from_pylist([{k: v for k, v in row.items() if k != "unmapped"} for row in ordered])
    if any(isinstance(row.get("unmapped"), dict) for row in ordered):
        unmapped = pa.array([_unmapped(row) for row in ordered], type=pa.map_(pa.string(), pa.string()))
        table = table.append_column("unmapped", unmapped)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="gzip")
    return buffer.getvalue()


def _unmapped(row: Row) -> list[tuple[str, str]] | None:
    unmapped = row.get("unmapped")
    if not isinstance(unmapped, dict):
        return None
    return [(key, orjson.dumps(value, default=str).decode()) for key, value in unmapped.items()]


def _object_name(items: list[tuple[str, Row]]) -> str:
    first = min(int(row.get("time") or 0) for _, row in items)
    stamp = datetime.fromtimestamp(first / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex}.gz.parquet"
