"""Local inputs: a file, a folder walked recursively, or '-' for standard input.

A folder is read in a stable order — names sorted at each level, depth first — so two scans of the
same export meet events in the same order. The CloudTrail region folders of an S3-layout export
(`AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/…`) are the exception: their files are
merged across accounts and regions in delivery-time order (the time in each file name), after
the rest of the folder. Name order would read all of one region's days before the next region's
first, and windows on event time (dedup, thresholds, correlations) would see a second region's
events days late. Each region folder is already in time order by name, so a k-way merge keeps
memory at one day's listing per region. Symbolic links are followed, but a directory reached twice (a link loop, or two
links to one place) is read once. Hidden entries (`.DS_Store`, `.git/`) and sockets or devices
inside a folder are passed over with a note; a path given by name is read whatever it is, so
`trailwarden scan <(zcat old.json.gz)` works."""

from __future__ import annotations

import dataclasses
import heapq
import io
import os
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

from engine.sources import SourceOptions, register_source
from engine.sources.trail_keys import Scope, parse_key, parse_layout
from engine.statefile.checkpoints import open_checkpoints
from engine.types import Blob, Skip

STDIN = "-"
_SCHEME = "file://"
_UNTIMED = datetime.min.replace(tzinfo=UTC)  # files whose names carry no time go first, by name


@register_source("file")
def open_local(spec: str, options: SourceOptions) -> Iterator[Blob | Skip]:
    """The blobs of one local SOURCE argument: a path (file or folder), `file://path`, or '-'."""
    path = spec.removeprefix(_SCHEME)
    if path == STDIN:
        yield Blob(STDIN, _open_stdin)
        return
    try:
        info = os.stat(path)
    except OSError as exc:
        yield Skip(spec, _why(exc))
        return
    items = _walk(path, info) if stat.S_ISDIR(info.st_mode) else iter([_blob(path, info)])
    if options.state_path:
        items = _checkpointed(items, options.state_path)
    scope = Scope(options.since, options.until, frozenset(options.accounts), frozenset(options.regions))
    if scope == Scope():
        yield from items
        return
    for item in items:  # --since/--until/--accounts/--regions prune by CloudTrail file names, as in S3
        if isinstance(item, Blob) and (reason := scope.why_not(item.name)) and "digest" not in reason:
            yield Skip(item.name, reason, error=False)
        else:
            yield item


LOCAL_STREAM = "local-files"  # checkpoint items: "<real path>\x1f<size>\x1f<mtime ns>"


def _checkpointed(items: Iterator[Blob | Skip], state_path: str) -> Iterator[Blob | Skip]:
    """With --state, local files are checkpointed like S3 keys: a file whose findings are out is
    recorded (by real path, size and modification time) and a later run passes it over — a
    restart after kill -9 reads again at most the file in flight, a finished scan nothing. A
    file that changed since (appended to, rewritten) is read again."""
    checkpoints = open_checkpoints(state_path)
    done = checkpoints.items_from(LOCAL_STREAM, "")
    for item in items:
        if not isinstance(item, Blob) or item.path is None:
            yield item
            continue
        try:
            info = os.stat(item.path)
        except OSError as exc:
            yield Skip(item.name, _why(exc))
            continue
        key = f"{os.path.realpath(item.path)}\x1f{info.st_size}\x1f{info.st_mtime_ns}"
        if key in done:
            yield Skip(item.name, "read by an earlier run with this --state file", error=False)
            continue
        yield dataclasses.replace(item, ack=partial(checkpoints.record, LOCAL_STREAM, key, None, None))


def _walk(root: str, info: os.stat_result) -> Iterator[Blob | Skip]:
    """The folder in name order, with its CloudTrail region folders merged by delivery time last."""
    seen = {(info.st_dev, info.st_ino)}
    regions: list[str] = []
    yield from _walk_tree(root, seen, regions)
    streams = [_timed(_walk_tree(folder, seen, None)) for folder in regions]
    for _, _, item in heapq.merge(*streams, key=lambda timed: (timed[0], timed[1])):
        yield item


def _timed(items: Iterator[Blob | Skip]) -> Iterator[tuple[datetime, str, Blob | Skip]]:
    for item in items:
        name = item.name if isinstance(item, Blob) else item.where
        trail_file = parse_key(name)
        yield (trail_file.delivered if trail_file else _UNTIMED), name, item


def _is_region_folder(path: str) -> bool:
    """`…/AWSLogs/[o-org/]<account>/CloudTrail[-Insight|-Digest]/<region>`."""
    layout = parse_layout(Path(path).as_posix() + "/")
    return layout is not None and layout.region is not None and not layout.date


def _walk_tree(root: str, seen: set[tuple[int, int]], regions: list[str] | None) -> Iterator[Blob | Skip]:
    """Depth first, sorted by name, without recursion (an export can be deep) and without loops.
    With `regions`, CloudTrail region folders are set aside there instead of being entered."""
    pending: list[Iterator[os.DirEntry[str]]] = []
    listing = _listing(root)
    if isinstance(listing, Skip):
        yield listing
        return
    pending.append(listing)
    while pending:
        entry = next(pending[-1], None)
        if entry is None:
            pending.pop()
            continue
        if entry.name.startswith("."):
            yield Skip(entry.path, "hidden entry, not read", error=False)
            continue
        try:
            info = entry.stat()  # follows a symbolic link
        except OSError as exc:
            yield Skip(entry.path, _why(exc))
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in seen:
                yield Skip(
                    entry.path, "directory already read through another path (symbolic link)", error=False
                )
                continue
            seen.add(key)
            if regions is not None and _is_region_folder(entry.path):
                regions.append(entry.path)
                continue
            listing = _listing(entry.path)
            if isinstance(listing, Skip):
                yield listing
            else:
                pending.append(listing)
        elif stat.S_ISREG(info.st_mode):
            yield _blob(entry.path, info)
        else:
            yield Skip(
                entry.path, "not a regular file (a socket, pipe or device inside a folder)", error=False
            )


def _listing(folder: str) -> Iterator[os.DirEntry[str]] | Skip:
    try:
        with os.scandir(folder) as entries:
            return iter(sorted(entries, key=lambda entry: entry.name))
    except OSError as exc:
        return Skip(folder, _why(exc, verb="cannot list the folder"))


def _blob(path: str, info: os.stat_result) -> Blob | Skip:
    if not os.access(path, os.R_OK):
        return Skip(path, "cannot read: permission denied")
    size = info.st_size if stat.S_ISREG(info.st_mode) else None
    return Blob(path, partial(_open_file, Path(path)), size, path=path)


def _open_file(path: Path) -> BinaryIO:
    return path.open("rb")


def _why(exc: OSError, verb: str = "cannot read") -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    return f"{verb}: {exc.strerror or exc}"


class _Borrowed(io.RawIOBase):
    """Standard input lent to the decoder: read through, never closed (a later '-' sees EOF)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._read = getattr(stream, "read1", stream.read)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _open_stdin() -> BinaryIO:
    return io.BufferedReader(_Borrowed(sys.stdin.buffer))
