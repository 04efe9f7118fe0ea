"""Where a Spark scan writes: a local folder or an `s3://bucket/prefix`, one part file per task
plus `_summary.json`, written by the tasks themselves (boto3 or the local disk) — no Hadoop
output committer or S3 connector is involved.

A part is written whole or not at all: lines go to a local temporary file, which is then renamed
into place (local) or uploaded (S3). A task that Spark runs again overwrites its part with the
same content, so a retried or speculative task never duplicates findings."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import structlog

from engine.errors import SinkError, UsageError
from engine.formats import Format, FormatError, get_format
from engine.sources import aws
from engine.sources.s3 import parse_url

log = structlog.get_logger("trailwarden.spark")

SUMMARY = "_summary.json"
PART_PREFIXES = ("part-", "windows-")
# Formats whose lines are not JSON get their own suffix, so a reader can tell what a part holds.
SUFFIXES = {"cef": ".cef"}


def part_name(stage: str, index: int, format_name: str) -> str:
    """`part-00003.jsonl` for scan tasks, `windows-00003.jsonl` for the stateful reduce tasks."""
    return f"{stage}-{index:05d}{SUFFIXES.get(format_name, '.jsonl')}"


@dataclass(frozen=True, slots=True)
class Destination:
    """An output place: a local folder, or a bucket and key prefix (ending in '/' unless empty)."""

    url: str
    bucket: str | None = None
    prefix: str = ""

    @classmethod
    def parse(cls, url: str) -> Destination:
        if url.startswith("s3://"):
            bucket, prefix = parse_url(url)
            if prefix and not prefix.endswith("/"):
                prefix += "/"
            return cls(url, bucket, prefix)
        if "://" in url:
            raise UsageError(
                f"cannot write Spark output to {url!r}", hint="give a folder or s3://bucket/prefix"
            )
        return cls(os.path.abspath(url))

    def child(self, name: str) -> str:
        if self.bucket is not None:
            return f"s3://{self.bucket}/{self.prefix}{name}"
        return os.path.join(self.url, name)


def prepare(location: Destination, client: Any, *, overwrite: bool) -> None:
    """Before the job: make sure the place holds no earlier run's parts (mixing two runs' parts
    would pass for one result), removing them with `overwrite`."""
    ours = [name for name in _listing(location, client) if name == SUMMARY or name.startswith(PART_PREFIXES)]
    if ours and not overwrite:
        raise UsageError(
            f"{location.url} already holds the output of a scan ({len(ours)} part or summary file(s))",
            hint="choose another --output, or pass --overwrite to replace it",
        )
    for name in ours:
        if location.bucket is not None:
            client.delete_object(Bucket=location.bucket, Key=location.prefix + name)
        else:
            os.remove(os.path.join(location.url, name))
    if location.bucket is None:
        os.makedirs(location.url, exist_ok=True)


def _listing(location: Destination, client: Any) -> list[str]:
    if location.bucket is None:
        return sorted(os.listdir(location.url)) if os.path.isdir(location.url) else []
    names: list[str] = []
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=location.bucket, Prefix=location.prefix, Delimiter="/"
        )
        for page in pages:
            names.extend(obj["Key"][len(location.prefix) :] for obj in page.get("Contents", []))
    except aws.AWS_ERRORS as exc:
        raise UsageError(f"cannot list {location.url}: {aws.explain(exc)}") from exc
    return names


def put_bytes(location: Destination, name: str, data: bytes, client: Any) -> str:
    """A small whole file (the summary)."""
    path = _scratch(location, name)
    with open(path, "xb") as handle:
        handle.write(data)
    try:
        return _place(location, name, path, client)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _scratch(location: Destination, name: str) -> str:
    """A new temporary path: beside the target when local (the rename stays on one filesystem)."""
    folder = location.url if location.bucket is None else tempfile.gettempdir()
    return os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")


def _place(location: Destination, name: str, path: str, client: Any) -> str:
    target = location.child(name)
    if location.bucket is not None:
        try:
            client.upload_file(path, location.bucket, location.prefix + name)
        except aws.AWS_ERRORS as exc:
            raise SinkError(f"{target}: could not be written: {aws.explain(exc)}") from exc
        except Exception as exc:  # boto3's transfer manager wraps errors in its own types
            raise SinkError(f"{target}: could not be written: {exc}") from exc
    else:
        os.replace(path, target)
    return target


@dataclass(slots=True)
class PartWriter:
    """One task's part: `write` each finding, then `commit` once. A finding the format cannot
    write (FormatError) is counted with the reason and the rest go on, as the sinks do."""

    location: Destination
    name: str
    format: Format
    client_for: Callable[[], Any]
    written: int = 0
    refused: list[str] = field(default_factory=list)
    _handle: IO[bytes] | None = None

    @classmethod
    def open(
        cls, location: Destination, name: str, format_name: str, client_for: Callable[[], Any]
    ) -> PartWriter:
        return cls(location, name, get_format(format_name), client_for)

    def write(self, finding: dict[str, Any]) -> None:
        try:
            line = self.format.to_line(finding)
        except FormatError as exc:
            self.refused.append(
                f"finding {finding.get('finding_id')}: cannot write it as {self.format.name}: {exc}"
            )
            log.warning("finding not written", finding_id=finding.get("finding_id"), reason=str(exc))
            return
        try:
            handle = self._handle or self._start()
            handle.write(line if line.endswith(b"\n") else line + b"\n")
        except OSError as exc:
            raise SinkError(f"{self.name}: could not be written: {exc.strerror or exc}") from exc
        self.written += 1

    def _start(self) -> IO[bytes]:
        # Beside the part when local (same filesystem: the rename is atomic); open across write()
        # calls until commit() or abandon(); created with the umask's permissions, like any file.
        path = _scratch(self.location, self.name)
        self._handle = open(path, "xb")  # noqa: SIM115
        return self._handle

    def commit(self) -> str:
        """Put the part in place (an empty part too: one part per task, whatever it found)."""
        handle = self._handle or self._start()
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        try:
            client = self.client_for() if self.location.bucket is not None else None
            return _place(self.location, self.name, handle.name, client)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(handle.name)

    def abandon(self) -> None:
        if self._handle is not None:
            self._handle.close()
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._handle.name)


def read_parts(location: Destination, client: Any = None) -> Iterator[tuple[str, bytes]]:
    """Every part's name and bytes, in name order (tests and the bench read results back)."""
    for name in _listing(location, client):
        if not name.startswith(PART_PREFIXES):
            continue
        if location.bucket is not None:
            body = client.get_object(Bucket=location.bucket, Key=location.prefix + name)["Body"]
            yield name, body.read()
        else:
            yield name, Path(location.url, name).read_bytes()
