"""Amazon Security Lake: CloudTrail kept as OCSF Parquet, in a local folder or in the lake's bucket.

The lake's layout is `aws/<SOURCE>/<version>/region=<r>/accountId=<a>/eventDay=<yyyymmdd>/…`
(`aws/CLOUD_TRAIL_MGMT/2.0/region=eu-west-1/accountId=111122223333/eventDay=20261120/x.gz.parquet`).
A lake is walked folder by folder and pruned on the folder names before anything is read:
`--regions` and `--accounts` on `region=`/`accountId=`, `--since`/`--until` on `eventDay=` (whole
days, as the folders are; the events are still held to the exact times by the scan's scope), so a
week of one account lists and reads that week. Of the lake's sources only the CloudTrail ones are
read (CLOUD_TRAIL_MGMT, LAMBDA_EXECUTION, S3_DATA); the others (VPC_FLOW, ROUTE53, SH_FINDINGS…)
and the table metadata folders are passed over with a note.

Partitions are read day by day; within a day, the objects of every region and account are read in
the order of the earliest event each holds (from the Parquet footer's statistics, one small read
per object), as a trail's files are merged by delivery time, so windows on event time meet a
lake's events in nearly the order they happened. Objects go to decoding, which knows Parquet by its magic bytes (engine.decoding.parquet);
in S3 an object is read by ranged GETs, so only the footer and the columns decoding asks for are
fetched, never the whole object.

`claims(spec)` tells `open_source` which SOURCE arguments are lakes: `s3://aws-security-data-lake-…`
buckets, and local folders in (or holding) that layout. A single Parquet file is not a lake: the
local source hands it to decoding like any file."""

from __future__ import annotations

import importlib.util
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import UsageError
from engine.sources import SourceOptions
from engine.types import Blob, Skip

BUCKET_PREFIX = "aws-security-data-lake-"
CLOUDTRAIL_SOURCES = frozenset({"CLOUD_TRAIL_MGMT", "LAMBDA_EXECUTION", "S3_DATA"})
EXTRA = "pip install 'trailwarden[securitylake]'"
_S3 = "s3://"
_FILE = "file://"
_VERSION = re.compile(r"^\d+(\.\d+)*$")
_SOURCE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_PARTITIONS = ("region=", "accountId=", "eventDay=")


def claims(spec: str) -> bool:
    """Whether this SOURCE argument names a Security Lake (cheap: no import of pyarrow, no AWS call)."""
    if spec.startswith(_S3):
        return spec[len(_S3) :].startswith(BUCKET_PREFIX)
    if "://" in spec and not spec.startswith(_FILE):
        return False
    path = Path(spec.removeprefix(_FILE))
    if any(_is_lake_part(part) for part in path.parts):
        return path.is_dir()
    return (path / "aws").is_dir() and any(
        child.name in CLOUDTRAIL_SOURCES for child in _children(path / "aws")
    )


def open_lake(spec: str, options: SourceOptions) -> Iterator[Blob | Skip]:
    """The Parquet objects of one lake SOURCE, pruned by the scope's accounts, regions and days."""
    if importlib.util.find_spec("pyarrow") is None:
        raise UsageError(
            f"{spec} is an Amazon Security Lake (OCSF Parquet)", hint=f"reading it needs {EXTRA}"
        )
    prune = Prune.of(options)
    if spec.startswith(_S3):
        bucket, _, prefix = spec[len(_S3) :].partition("/")
        return _walk(_S3Lake(bucket, options), prefix.strip("/"), prune)
    return _walk(_LocalLake(), spec.removeprefix(_FILE).rstrip("/") or "/", prune)


@dataclass(frozen=True, slots=True)
class Prune:
    """What the folder names are judged by: whole days, exact accounts and regions."""

    first_day: str | None = None  # yyyymmdd
    last_day: str | None = None
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    @classmethod
    def of(cls, options: SourceOptions) -> Prune:
        return cls(
            _day(options.since), _day(options.until), frozenset(options.accounts), frozenset(options.regions)
        )

    def why_not(self, name: str) -> str | None:
        """Why a partition folder is not read (a note), or None when it is."""
        key, _, value = name.partition("=")
        if key == "region" and self.regions and value not in self.regions:
            return "region not in --regions"
        if key == "accountId" and self.accounts and value not in self.accounts:
            return "account not in --accounts"
        if key == "eventDay" and self.first_day is not None and value < self.first_day:
            return "day before --since"
        if key == "eventDay" and self.last_day is not None and value > self.last_day:
            return "day after --until"
        return None


@dataclass(frozen=True, slots=True)
class _Partition:
    """One `eventDay=` folder, with the order it is read in."""

    day: str
    source: str
    region: str
    account: str
    path: str


class _Lake:
    """How a lake is listed and opened: a local folder or an S3 bucket."""

    def folders_and_files(self, path: str) -> tuple[list[str], list[tuple[str, int | None]]] | Skip:
        raise NotImplementedError

    def join(self, path: str, name: str) -> str:
        raise NotImplementedError

    def blob(self, path: str, size: int | None) -> Blob:
        raise NotImplementedError


def _walk(lake: _Lake, root: str, prune: Prune) -> Iterator[Blob | Skip]:
    partitions: list[_Partition] = []
    yield from _find_partitions(lake, root, prune, partitions)
    partitions.sort(key=lambda p: (p.day, p.source, p.region, p.account, p.path))
    for _, same_day in groupby(partitions, key=lambda p: p.day):
        blobs: list[Blob] = []
        for partition in same_day:
            yield from _list_partition(lake, partition, blobs)
        yield from sorted(blobs, key=lambda blob: (_first_time(blob), blob.name))


def _list_partition(lake: _Lake, partition: _Partition, blobs: list[Blob]) -> Iterator[Skip]:
    listing = lake.folders_and_files(partition.path)
    if isinstance(listing, Skip):
        yield listing
        return
    folders, files = listing
    for name, size in sorted(files):
        if name.startswith((".", "_")):  # `_SUCCESS` markers, hidden files
            yield Skip(
                lake.join(partition.path, name), "not lake data (a marker or hidden file)", error=False
            )
        else:
            blobs.append(lake.blob(lake.join(partition.path, name), size))
    for name in folders:
        yield Skip(
            lake.join(partition.path, name), "a folder inside an eventDay partition, not read", error=False
        )


def _first_time(blob: Blob) -> int:
    """The earliest event time an object holds (its footer's statistics; 0 when it has none):
    a day's objects are read in that order across regions and accounts, as a trail's files are
    merged by delivery time, so windows on event time see the day in nearly the order it ran."""
    from engine.decoding.parquet import first_time

    try:
        with blob.open() as stream:
            found = first_time(stream)
    except Exception:  # unreadable here is unreadable in decoding too, which names it properly
        return 0
    return 0 if found is None else found


def _find_partitions(lake: _Lake, root: str, prune: Prune, out: list[_Partition]) -> Iterator[Skip]:
    """Every `eventDay=` folder under `root` that the prune allows, depth first without recursion."""
    labels = _labels(root)
    if "eventDay" in labels:
        out.append(_partition(root, labels))
        return
    pending: list[tuple[str, dict[str, str]]] = [(root, labels)]
    while pending:
        path, labels = pending.pop()
        listing = lake.folders_and_files(path)
        if isinstance(listing, Skip):
            yield listing
            continue
        folders, files = listing
        for name, _ in files:
            yield Skip(lake.join(path, name), "outside the lake's partition folders: not read", error=False)
        for name in sorted(folders, reverse=True):
            child = lake.join(path, name)
            reason = _why_not_folder(name, labels, prune)
            if reason is not None:
                yield Skip(child, reason, error=False)
                continue
            child_labels = {**labels, **_labels(name)}
            if name in CLOUDTRAIL_SOURCES:
                child_labels["source"] = name
            if "eventDay" in child_labels:
                out.append(_partition(child, child_labels))
            else:
                pending.append((child, child_labels))


def _why_not_folder(name: str, labels: dict[str, str], prune: Prune) -> str | None:
    if name.startswith(_PARTITIONS):
        return prune.why_not(name)
    if name == "ext" and not labels:
        return "Security Lake custom sources (ext/): not CloudTrail, not read"
    if name == "aws" or _VERSION.match(name):
        return None
    if name in CLOUDTRAIL_SOURCES:
        return None
    if _SOURCE.match(name) and "source" not in labels:
        return f"Security Lake source {name}: not CloudTrail, not read"
    if "source" not in labels and not labels:
        return None  # a prefix above the lake (a folder holding aws/): look inside
    return "not a partition folder of the lake (table metadata?), not read"


def _labels(path: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for part in path.replace("\\", "/").split("/"):
        key, eq, value = part.partition("=")
        if eq and key in ("region", "accountId", "eventDay"):
            labels[key] = value
        elif part in CLOUDTRAIL_SOURCES:
            labels["source"] = part
    return labels


def _partition(path: str, labels: dict[str, str]) -> _Partition:
    return _Partition(
        labels.get("eventDay", ""),
        labels.get("source", ""),
        labels.get("region", ""),
        labels.get("accountId", ""),
        path,
    )


def _is_lake_part(part: str) -> bool:
    return part in CLOUDTRAIL_SOURCES or part.startswith(_PARTITIONS)


def _children(path: Path) -> list[Path]:
    try:
        return list(path.iterdir())
    except OSError:
        return []


def _day(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y%m%d")


class _LocalLake(_Lake):
    def folders_and_files(self, path: str) -> tuple[list[str], list[tuple[str, int | None]]] | Skip:
        folders: list[str] = []
        files: list[tuple[str, int | None]] = []
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.is_dir():
                        folders.append(entry.name)
                    elif entry.is_file():
                        files.append((entry.name, entry.stat().st_size))
        except OSError as exc:
            return Skip(path, f"cannot list the folder: {exc.strerror or exc}")
        return folders, files

    def join(self, path: str, name: str) -> str:
        return os.path.join(path, name)

    def blob(self, path: str, size: int | None) -> Blob:
        return Blob(path, partial(_open_local, path), size, path=path)


def _open_local(path: str) -> BinaryIO:
    return open(path, "rb")


class _S3Lake(_Lake):
    def __init__(self, bucket: str, options: SourceOptions) -> None:
        from engine.sources import aws

        self.bucket = bucket
        self._client = aws.client(aws.session(options), "s3")
        self._explain: Callable[[BaseException], str] = aws.explain
        self._errors = aws.AWS_ERRORS

    def folders_and_files(self, path: str) -> tuple[list[str], list[tuple[str, int | None]]] | Skip:
        prefix = f"{path}/" if path else ""
        folders: list[str] = []
        files: list[tuple[str, int | None]] = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, Delimiter="/"
            )
            for page in pages:
                folders.extend(p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", ()))
                files.extend((o["Key"][len(prefix) :], o.get("Size")) for o in page.get("Contents", ()))
        except self._errors as exc:
            return Skip(self._url(path), f"cannot list: {self._explain(exc)}")
        return folders, [(name, size) for name, size in files if name]

    def join(self, path: str, name: str) -> str:
        return f"{path}/{name}" if path else name

    def blob(self, path: str, size: int | None) -> Blob:
        return Blob(self._url(path), partial(self._open, path, size), size)

    def _url(self, key: str) -> str:
        return f"{_S3}{self.bucket}/{key}"

    def _open(self, key: str, size: int | None) -> BinaryIO:
        return _RangedObject(self._client, self.bucket, key, size)  # type: ignore[return-value]


class _RangedObject(io.RawIOBase):
    """An S3 object as a seekable raw stream: each read is a ranged GET, so a Parquet reader
    fetches the footer and the column chunks it wants, never the whole object. Not buffered: a
    read-ahead buffer would fetch the columns projection leaves out; the Parquet reader coalesces
    the ranges of a row group itself (pre_buffer)."""

    def __init__(self, client: Any, bucket: str, key: str, size: int | None) -> None:
        self._client, self._bucket, self._key = client, bucket, key
        self._size = (
            size if size is not None else int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
        )
        self._pos = 0
        self.requests = 0  # ranged GETs made, and the bytes they brought (the tests count them)
        self.fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        end = self._pos + want - 1
        body = self._client.get_object(Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-{end}")[
            "Body"
        ]
        try:
            data: bytes = body.read()
        finally:
            body.close()
        self.requests += 1
        self.fetched += len(data)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)
