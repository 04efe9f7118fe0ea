"""The driver's side of input: list what a scan would read — local files and folders, or
`s3://` prefixes pruned by `--since/--until/--accounts/--regions` exactly as the S3 source prunes
them — without reading any of it; and the task's side: open what it was given as Blobs.

Only names and sizes cross from the driver to the tasks: each task reads its own objects (boto3,
with the standard credential chain of the machine it runs on) or files (a path every executor can
see: a shared filesystem on a cluster)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import UsageError
from engine.sources import SourceOptions, aws
from engine.sources.local import STDIN, open_local
from engine.sources.s3 import S3Reader, parse_url, scope_of
from engine.sources.s3_fetch import Item, ObjectRef, fetch_objects
from engine.types import Blob, Skip


@dataclass(frozen=True, slots=True)
class InputFile:
    """One object to scan. `name` is what findings and errors cite (as the local scan cites it);
    `path` is where a task opens it (absolute for local files); `size` is as stored (compressed);
    `position` is its place in the listing, the order in which the local scan would read it."""

    name: str
    path: str
    size: int
    position: int = 0

    @property
    def bucket_key(self) -> tuple[str, str] | None:
        return parse_url(self.path) if self.path.startswith("s3://") else None


@dataclass(slots=True)
class Listing:
    """What the driver found: the files to scan, what could not be listed (errors, for the
    summary and exit 3), and what was passed over on purpose (counted by reason)."""

    files: list[InputFile] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    passed_over: Counter[str] = field(default_factory=Counter)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def add(self, name: str, path: str, size: int) -> None:
        self.files.append(InputFile(name, path, size, len(self.files)))

    def note(self, skip: Skip) -> None:
        if skip.error:
            self.skipped.append(skip)
        else:
            self.passed_over[skip.reason] += 1


def list_inputs(specs: Sequence[str], options: SourceOptions, s3_client: Any = None) -> Listing:
    """List every SOURCE; `s3_client` is built from `options` when an s3:// source needs one."""
    listing = Listing()
    for spec in specs:
        if spec.startswith("s3://"):
            s3_client = s3_client or aws.client(aws.session(options), "s3")
            _list_s3(spec, options, s3_client, listing)
        elif "://" in spec and not spec.startswith("file://"):
            raise UsageError(
                f"spark-scan cannot read {spec!r}",
                hint="give local files or folders, or s3://bucket/prefix; queues and APIs are for `trailwarden scan`",
            )
        elif spec.removeprefix("file://") == STDIN:
            raise UsageError(
                "spark-scan cannot read standard input",
                hint="write it to a file, or use `trailwarden scan -`",
            )
        else:
            _list_local(spec, options, listing)
    return listing


def _list_local(spec: str, options: SourceOptions, listing: Listing) -> None:
    for item in open_local(spec, options):
        if isinstance(item, Skip):
            listing.note(item)
        else:
            listing.add(item.name, os.path.abspath(item.name), item.size or 0)


def _list_s3(spec: str, options: SourceOptions, client: Any, listing: Listing) -> None:
    bucket, prefix = parse_url(spec)
    for item in S3Reader(client, bucket, prefix, scope_of(options)).refs():
        if isinstance(item, Skip):
            listing.note(item)
        elif isinstance(item, ObjectRef):
            listing.add(item.url, item.url, item.size or 0)


def open_inputs(files: Iterable[InputFile], s3_client: Any) -> Iterator[Blob | Skip]:
    """Blobs for a task's files in the order given; S3 objects are fetched a few ahead (the S3
    source's prefetching pool), and one that cannot be read becomes a Skip naming it."""
    return fetch_objects(s3_client, (_item(f) for f in files)) if s3_client else map(_local_item, files)


def _item(file: InputFile) -> Item:
    found = file.bucket_key
    if found is None:
        return _local_item(file)
    return ObjectRef(found[0], found[1], file.size)


def _local_item(file: InputFile) -> Blob | Skip:
    if file.bucket_key is not None:
        raise ValueError(f"{file.name} is an S3 object: open it with an S3 client")
    if not os.access(file.path, os.R_OK):
        return Skip(file.name, "cannot read on this executor: no such file or permission denied")
    return Blob(file.name, partial(_open, Path(file.path)), file.size)


def _open(path: Path) -> BinaryIO:
    return path.open("rb")


def needs_s3(files: Iterable[InputFile]) -> bool:
    return any(f.path.startswith("s3://") for f in files)
