"""`s3://bucket/prefix`: read a trail bucket, listing only the prefixes that can hold wanted keys.

Under a CloudTrail layout (`[prefix/]AWSLogs/…`) accounts, org ids and regions are discovered with
`Delimiter='/'` listings — or taken from `--accounts`/`--regions` without listing — and each region
folder is listed from the first file `--since` allows, stopping past the last `--until` allows. Digest
folders are reported, never listed. A prefix with no `AWSLogs/` folder is listed whole. The region
folders are listed side by side and their keys merged by delivery time, so events from every
account and region reach the scan roughly in time order.

With `--follow` the region folders are listed again every poll from a little before the last key
read (late deliveries sort just before it; day folders roll over on their own because keys sort
across them). Progress is checkpointed per region folder (engine.statefile.checkpoints)."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog

from engine.errors import UsageError
from engine.sources import SourceOptions, aws, register_source
from engine.sources.s3_fetch import FLUSH, Item, ObjectRef, fetch_objects
from engine.sources.trail_keys import (
    DELIVERY_LAG,
    DIGEST_FOLDER,
    LOG_FOLDERS,
    LayoutPath,
    Scope,
    is_account,
    is_org,
    parse_key,
    parse_layout,
    rewind,
)
from engine.statefile.checkpoints import Checkpoints, StreamProgress, open_checkpoints
from engine.types import Blob, Skip

log = structlog.get_logger("trailwarden.s3")

# How far before the last key read a new listing starts, for files that arrive out of order.
LATE_ARRIVAL = timedelta(minutes=15)
PAGE_SIZE = 1000  # keys per listing page, S3's largest
SMALL_PAGE_SIZE = 100  # when many region folders are listed side by side, each holding a page
FEW_STREAMS = 20

# Errors that hold for the whole bucket, which another poll will not cure (AccessDenied may be
# about one prefix only: it stops following only when the prefix asked for is denied).
_BUCKET_ERRORS = frozenset(
    {"NoSuchBucket", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch",
     "PermanentRedirect", "InvalidBucketName", "NoCredentialsError"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Stream:
    """One listing unit: `prefix` is listed recursively; `folder` is the region folder where day
    folders start and `stem` its file names' start (both empty outside the CloudTrail layout)."""

    prefix: str
    folder: str = ""
    stem: str = ""


@dataclass(slots=True)
class _Cursor:
    progress: StreamProgress
    last_listed: str | None = None


@dataclass(slots=True)
class S3Reader:
    """Reads one `s3://bucket/prefix` spec; `client` is a boto3 S3 client."""

    client: Any
    bucket: str
    prefix: str
    scope: Scope = field(default_factory=Scope)
    checkpoints: Checkpoints = field(default_factory=lambda: open_checkpoints(None))
    follow: bool = False
    poll_seconds: float = aws.DEFAULT_POLL_SECONDS
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    _cursors: dict[str, _Cursor] = field(default_factory=dict)
    _reported: set[str] = field(default_factory=set)
    _stopped: bool = False  # the bucket cannot be read at all: no further poll

    def blobs(self) -> Iterator[Blob | Skip]:
        return fetch_objects(self.client, self.refs())

    def refs(self) -> Iterator[Item]:
        """Every wanted object as a ref, pass after pass in follow mode."""
        while True:
            streams: list[Stream] = []
            for found in self._discover():
                if isinstance(found, Skip):
                    if found.where not in self._reported:
                        self._reported.add(found.where)
                        yield found
                else:
                    streams.append(found)
            yield from self._merged(streams)
            if not self.follow or self._stopped or self._past_until():
                return
            yield FLUSH
            self.sleep(self.poll_seconds)

    # -- discovery ---------------------------------------------------------------------------

    def _discover(self) -> Iterator[Stream | Skip]:
        layout = parse_layout(self.prefix)
        if layout is None:
            folder = self.prefix if not self.prefix or self.prefix.endswith("/") else self.prefix + "/"
            try:
                folders, keys = self._children(folder)
            except aws.AWS_ERRORS as exc:
                yield self._unreadable(self.prefix, exc)
                return
            if f"{folder}AWSLogs/" not in folders:
                log.info(
                    "no AWSLogs/ folder under the prefix: listing everything", prefix=self.url(self.prefix)
                )
                yield Stream(self.prefix)
                return
            for other in sorted({*folders, *keys} - {f"{folder}AWSLogs/"}):
                yield Skip(
                    self.url(other), "outside AWSLogs/: not CloudTrail's layout, not read", error=False
                )
            layout = LayoutPath(base=f"{folder}AWSLogs/")
        yield from self._walk(layout)

    def _walk(self, layout: LayoutPath) -> Iterator[Stream | Skip]:
        for account_prefix in self._accounts(layout):
            account = account_prefix.rstrip("/").rsplit("/", 1)[-1]
            folders = [f"{account_prefix}{layout.folder}/"] if layout.folder else self._listed(account_prefix)
            for folder in folders:
                if isinstance(folder, Skip):
                    yield folder
                    continue
                name = folder.rstrip("/").rsplit("/", 1)[-1]
                if name == DIGEST_FOLDER:
                    yield Skip(
                        self.url(folder), "CloudTrail digest files (hashes, not events): not read", False
                    )
                elif name not in LOG_FOLDERS:
                    yield Skip(self.url(folder), "not CloudTrail logs: not read", error=False)
                else:
                    yield from self._regions(folder, f"{account}_{name}_", layout)

    def _accounts(self, layout: LayoutPath) -> Iterator[str]:
        """Account folders (`…/AWSLogs/[o-org/]<account>/`) that may hold wanted keys."""
        if layout.account is not None:
            org = f"{layout.org}/" if layout.org else ""
            if self.scope.wants_account(layout.account):
                yield f"{layout.base}{org}{layout.account}/"
            return
        parents = [f"{layout.base}{layout.org}/"] if layout.org else [layout.base]
        while parents:
            parent = parents.pop(0)
            if self.scope.accounts and parent != layout.base:
                yield from (f"{parent}{account}/" for account in sorted(self.scope.accounts))
                continue
            for child in self._listed(parent):
                if isinstance(child, Skip):
                    continue
                name = child.rstrip("/").rsplit("/", 1)[-1]
                if is_org(name) and parent == layout.base:
                    parents.append(child)
                elif is_account(name):
                    if self.scope.wants_account(name):
                        yield child
                elif child not in self._reported:
                    self._reported.add(child)
                    log.info("not an account or organisation folder: not read", prefix=self.url(child))

    def _regions(self, folder: str, stem: str, layout: LayoutPath) -> Iterator[Stream | Skip]:
        if layout.region is not None:
            regions = [layout.region] if self.scope.wants_region(layout.region) else []
        elif self.scope.regions:
            regions = sorted(self.scope.regions)
        else:
            listed = self._listed(folder)
            yield from (item for item in listed if isinstance(item, Skip))
            names = [item.rstrip("/").rsplit("/", 1)[-1] for item in listed if isinstance(item, str)]
            regions = [name for name in names if self.scope.wants_region(name)]
        date = "".join(f"{part}/" for part in layout.date)
        for region in regions:
            yield Stream(f"{folder}{region}/{date}", f"{folder}{region}/", f"{stem}{region}_")

    def _listed(self, prefix: str) -> list[str | Skip]:
        """Sub-folders of `prefix`, or a Skip saying why they could not be listed."""
        try:
            folders, _ = self._children(prefix)
        except aws.AWS_ERRORS as exc:
            return [self._unreadable(prefix, exc)]
        return list(folders)

    def _children(self, prefix: str) -> tuple[list[str], list[str]]:
        folders: list[str] = []
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            folders.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
            keys.extend(o["Key"] for o in page.get("Contents", []))
        return folders, keys

    # -- listing -----------------------------------------------------------------------------

    def _merged(self, streams: list[Stream]) -> Iterator[ObjectRef | Skip]:
        """The streams' keys merged in one order of delivery time (each stream is in that order
        already), so events reach the scan roughly in time order across accounts and regions, as
        the windows of stateful rules want. Each stream holds one page: smaller pages when many."""
        page_size = PAGE_SIZE if len(streams) <= FEW_STREAMS else SMALL_PAGE_SIZE
        timed = [_timed(self._list(stream, page_size)) for stream in streams]
        for _, item in heapq.merge(*timed, key=lambda pair: pair[0]):
            yield item

    def _list(self, stream: Stream, page_size: int = PAGE_SIZE) -> Iterator[ObjectRef | Skip]:
        cursor = self._cursor(stream)
        progress = cursor.progress
        paginator = self.client.get_paginator("list_objects_v2")
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": stream.prefix}
        start = self._start_after(stream, cursor)
        if start:
            kwargs["StartAfter"] = start
        try:
            for page in paginator.paginate(**kwargs, PaginationConfig={"PageSize": page_size}):
                for obj in page.get("Contents", []):
                    key: str = obj["Key"]
                    if stream.folder and self.scope.past_until(key):
                        return
                    cursor.last_listed = key
                    if key.endswith("/") or not progress.wants(key):
                        continue
                    reason = self.scope.why_not(key)
                    if reason is not None:
                        progress.passed_over(key)
                        yield Skip(self.url(key), reason, error=False)
                        continue
                    progress.handed_out(key)
                    yield ObjectRef(
                        self.bucket, key, obj.get("Size"), ack=_bind(progress.acked, key),
                        fail=_bind(progress.failed, key),
                    )  # fmt: skip
        except aws.AWS_ERRORS as exc:
            yield self._unreadable(stream.prefix, exc)
        finally:
            progress.flush()

    def _start_after(self, stream: Stream, cursor: _Cursor) -> str | None:
        """The latest of: the first key `--since` allows, the checkpoint, and (between polls) a
        little before the last key listed."""
        candidates = [cursor.progress.resume_after()]
        if stream.folder:
            candidates.append(self.scope.first_position(stream.folder, stream.stem))
        if cursor.last_listed:
            candidates.append(rewind(cursor.last_listed, LATE_ARRIVAL))
        return max((c for c in candidates if c), default=None)

    def _cursor(self, stream: Stream) -> _Cursor:
        cursor = self._cursors.get(stream.prefix)
        if cursor is None:
            progress = StreamProgress(
                self.checkpoints, self.url(stream.prefix), keep_from=lambda key: rewind(key, LATE_ARRIVAL)
            )
            cursor = self._cursors[stream.prefix] = _Cursor(progress)
        return cursor

    # -- helpers -----------------------------------------------------------------------------

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _unreadable(self, prefix: str, exc: BaseException) -> Skip:
        """A prefix could not be listed: say why; follow mode polls again unless that cannot help."""
        code = aws.error_code(exc)
        if code in _BUCKET_ERRORS or (code == "AccessDenied" and prefix == self.prefix):
            self._stopped = True
        log.warning("cannot list a prefix", prefix=self.url(prefix), error=aws.explain(exc))
        return Skip(self.url(prefix), f"could not be listed: {aws.explain(exc)}")

    def _past_until(self) -> bool:
        return self.scope.until is not None and self.now() > self.scope.until + DELIVERY_LAG


def _timed(items: Iterator[ObjectRef | Skip]) -> Iterator[tuple[datetime, ObjectRef | Skip]]:
    """Pair each item with its delivery time (a key without one takes the previous key's), so
    the sequence stays in order for merging."""
    last = datetime.min.replace(tzinfo=UTC)
    for item in items:
        parsed = parse_key(item.key if isinstance(item, ObjectRef) else item.where)
        if parsed is not None:
            last = max(last, parsed.delivered)
        yield last, item


def _bind(fn: Callable[[str], None], item: str) -> Callable[[], None]:
    return lambda: fn(item)


def parse_url(spec: str) -> tuple[str, str]:
    """`s3://bucket/prefix` → (bucket, prefix)."""
    parts = urlsplit(spec)
    if parts.scheme != "s3" or not parts.netloc:
        raise UsageError(f"not an S3 URL: {spec!r}", hint="write s3://bucket or s3://bucket/prefix/")
    prefix = spec.split("://", 1)[1].split("/", 1)[1] if "/" in spec.split("://", 1)[1] else ""
    return parts.netloc, prefix


def scope_of(options: SourceOptions) -> Scope:
    return Scope(options.since, options.until, frozenset(options.accounts), frozenset(options.regions))


@register_source("s3")
def open_s3(spec: str, options: SourceOptions) -> Iterator[Blob | Skip]:
    bucket, prefix = parse_url(spec)
    client = aws.client(aws.session(options), "s3")
    reader = S3Reader(
        client, bucket, prefix, scope_of(options), open_checkpoints(options.state_path), follow=options.follow,
        poll_seconds=aws.DEFAULT_POLL_SECONDS if options.poll_seconds is None else options.poll_seconds,
    )  # fmt: skip
    return reader.blobs()
