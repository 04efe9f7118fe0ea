"""The local source: files, folders (recursive, sorted, loop-free), named pipes and standard input."""

from __future__ import annotations

import gzip
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine.decoding import Record, Skip, decode_blob
from engine.sources import SourceOptions, open_source, registered_schemes
from engine.sources.local import open_local
from engine.types import Blob
from tests.helpers import REPO, event

OPTIONS = SourceOptions()


def listing(spec: str | Path) -> list[Blob | Skip]:
    return list(open_local(str(spec), OPTIONS))


def names(items: list[Blob | Skip], root: Path) -> list[str]:
    return [os.path.relpath(item.name, root) for item in items if isinstance(item, Blob)]


def write(path: Path, data: bytes = b"{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_the_file_source_is_registered_and_used_for_plain_paths(tmp_path: Path) -> None:
    """A path without a scheme goes to the local source through the registry."""
    assert "file" in registered_schemes()
    path = write(tmp_path / "a.json")
    [blob] = list(open_source(str(path), OPTIONS))
    assert isinstance(blob, Blob)
    assert (blob.name, blob.size) == (str(path), 2)


def test_a_file_url_is_read_like_a_path(tmp_path: Path) -> None:
    """`file:///abs/path` names the same file as `/abs/path`."""
    path = write(tmp_path / "a.json")
    [blob] = listing(f"file://{path}")
    assert isinstance(blob, Blob)
    assert blob.name == str(path)
    with blob.open() as stream:
        assert stream.read() == b"{}"


def test_a_folder_is_walked_depth_first_in_sorted_order(tmp_path: Path) -> None:
    """Names sorted at each level, sub-folders entered where they sort: the same order every run."""
    for rel in ["c/x.json", "a.json", "b/2/y.json", "b/1/z.json", "a/z.json", "b/10.json"]:
        write(tmp_path / rel)
    items = listing(tmp_path)
    assert names(items, tmp_path) == [
        "a/z.json",
        "a.json",
        "b/1/z.json",
        "b/10.json",
        "b/2/y.json",
        "c/x.json",
    ]
    assert names(listing(tmp_path), tmp_path) == names(items, tmp_path)  # and again on a second run


def test_a_symlink_loop_is_not_followed_twice(tmp_path: Path) -> None:
    """`logs/again -> ..` would recurse forever: the directory is read once, the link passed over."""
    write(tmp_path / "logs/a.json")
    (tmp_path / "logs/again").symlink_to(tmp_path)
    (tmp_path / "logs/same").symlink_to(tmp_path / "logs")
    items = listing(tmp_path)
    assert names(items, tmp_path) == ["logs/a.json"]
    passed = [item for item in items if isinstance(item, Skip)]
    assert {Path(s.where).name for s in passed} == {"again", "same"}
    assert all(not s.error and "already read" in s.reason for s in passed)


def test_a_symlink_to_a_file_is_followed(tmp_path: Path) -> None:
    """Links to files are read through (a `latest.json.gz` link is common)."""
    target = write(tmp_path / "store/a.json")
    (tmp_path / "view").mkdir()
    (tmp_path / "view/latest.json").symlink_to(target)
    assert names(listing(tmp_path / "view"), tmp_path) == ["view/latest.json"]


def test_a_missing_path_is_an_error_skip_naming_it(tmp_path: Path) -> None:
    """A typo in a path is reported (exit 3 territory), not silently ignored."""
    missing = str(tmp_path / "nope.json")
    assert listing(missing) == [Skip(missing, "no such file or directory")]


def test_a_broken_link_inside_a_folder_is_an_error_skip(tmp_path: Path) -> None:
    """A dangling link is named; the folder's other files still come."""
    write(tmp_path / "a.json")
    (tmp_path / "gone.json").symlink_to(tmp_path / "deleted.json")
    items = listing(tmp_path)
    assert names(items, tmp_path) == ["a.json"]
    assert [(Path(s.where).name, s.reason, s.error) for s in items if isinstance(s, Skip)] == [
        ("gone.json", "no such file or directory", True)
    ]


def test_hidden_entries_are_passed_over_with_a_note(tmp_path: Path) -> None:
    """`.DS_Store` and `.git/` are not trail data; they are noted, not read, not errors."""
    write(tmp_path / ".DS_Store", b"\x00\x01")
    write(tmp_path / ".git/HEAD", b"ref")
    write(tmp_path / "a.json")
    items = listing(tmp_path)
    assert names(items, tmp_path) == ["a.json"]
    assert sorted((Path(s.where).name, s.error) for s in items if isinstance(s, Skip)) == [
        (".DS_Store", False),
        (".git", False),
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_file_is_an_error_skip(tmp_path: Path) -> None:
    """A file without read permission is named with the reason."""
    path = write(tmp_path / "secret.json")
    path.chmod(0)
    assert listing(path) == [Skip(str(path), "cannot read: permission denied")]


def test_a_file_that_vanishes_before_decoding_is_a_skip(tmp_path: Path) -> None:
    """Listed, then deleted before it is read (a rotating log folder): the decoder reports it."""
    path = write(tmp_path / "a.json")
    [blob] = listing(path)
    path.unlink()
    assert list(decode_blob(blob)) == [Skip(str(path), "cannot read: No such file or directory")]  # type: ignore[arg-type]


def test_a_named_pipe_given_by_name_is_read_but_one_inside_a_folder_is_not(tmp_path: Path) -> None:
    """`scan <(zcat x.gz)` hands a pipe by name: it is read. A pipe met while walking is passed over."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    payload = gzip.compress(json.dumps({"Records": [event()]}).encode())

    def feed() -> None:
        with open(fifo, "wb") as writer:
            writer.write(payload)

    feeder = threading.Thread(target=feed)
    feeder.start()
    [blob] = listing(fifo)
    items = list(decode_blob(blob))  # type: ignore[arg-type]
    feeder.join()
    assert [i.event for i in items if isinstance(i, Record)] == [event()]
    assert [(Path(s.where).name, s.error) for s in listing(tmp_path) if isinstance(s, Skip)] == [
        ("pipe", False)
    ]


CHILD = """
import sys
from engine.decoding import Record, decode_blob
from engine.sources import SourceOptions, open_source
for blob in open_source("-", SourceOptions()):
    for item in decode_blob(blob):
        print(item.event["eventID"] if isinstance(item, Record) else f"skip {item}", flush=True)
"""


def child() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )


def test_stdin_is_decoded_gzip_included() -> None:
    """`zcat`-less use: gzip piped into `-` is sniffed and inflated like a file."""
    events = [event(eventID=f"id-{i}") for i in range(3)]
    data = gzip.compress(json.dumps({"Records": events}).encode())
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, input=data, capture_output=True, check=True)
    assert out.stdout.decode().split() == ["id-0", "id-1", "id-2"]


def test_stdin_json_lines_are_decoded_as_they_arrive() -> None:
    """Standard input is a stream: records come out while the writer is still writing."""
    proc = child()
    assert proc.stdin is not None and proc.stdout is not None
    lines: queue.Queue[bytes] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()

    def send(i: int) -> None:
        proc.stdin.write(json.dumps(event(eventID=f"id-{i}")).encode() + b"\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]

    try:
        send(0)
        send(1)  # the second line shows the input is JSON lines: both records can come out now
        assert lines.get(timeout=60).strip() == b"id-0"
        assert lines.get(timeout=60).strip() == b"id-1"
        send(2)
        assert lines.get(timeout=60).strip() == b"id-2"
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0


def test_trail_region_folders_are_merged_in_delivery_time_order(tmp_path: Path) -> None:
    """Across accounts and regions, CloudTrail files come in the order their names' times say;
    other files of the folder come first, in name order."""
    from engine.sources import SourceOptions, open_source

    names = {
        "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/04/111122223333_CloudTrail_eu-west-1_20261104T0100Z_a.json.gz": 3,
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/03/111122223333_CloudTrail_us-east-1_20261103T2300Z_b.json.gz": 1,
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/04/111122223333_CloudTrail_us-east-1_20261104T0005Z_c.json.gz": 2,
        "AWSLogs/o-abcdefghij/444455556666/CloudTrail/us-east-1/2026/11/04/444455556666_CloudTrail_us-east-1_20261104T0200Z_d.json.gz": 4,
        "notes/readme.json": 0,
    }
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"{}")
    seen = [item.name for item in open_source(str(tmp_path), SourceOptions())]
    expected = sorted(names, key=names.__getitem__)
    assert [Path(name).relative_to(tmp_path).as_posix() for name in seen] == expected


def test_local_exports_are_pruned_like_s3_by_account_region_and_time(tmp_path: Path) -> None:
    """--regions/--accounts/--since/--until pass over CloudTrail files by name, with a reason."""
    from datetime import UTC, datetime

    from engine.sources import SourceOptions, open_source

    kept = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/04/111122223333_CloudTrail_us-east-1_20261104T0100Z_a.json.gz"
    names = [
        kept,
        "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/04/111122223333_CloudTrail_eu-west-1_20261104T0100Z_b.json.gz",
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02/111122223333_CloudTrail_us-east-1_20261102T0100Z_c.json.gz",
        "AWSLogs/444455556666/CloudTrail/us-east-1/2026/11/04/444455556666_CloudTrail_us-east-1_20261104T0100Z_d.json.gz",
    ]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"{}")
    options = SourceOptions(
        since=datetime(2026, 11, 3, tzinfo=UTC), accounts=("111122223333",), regions=("us-east-1",)
    )
    items = list(open_source(str(tmp_path), options))
    assert [i.name for i in items if not isinstance(i, Skip)] == [str(tmp_path / kept)]
    reasons = sorted(i.reason for i in items if isinstance(i, Skip))
    assert reasons == ["account not in --accounts", "delivered before --since", "region not in --regions"]
    assert not any(i.error for i in items if isinstance(i, Skip))
