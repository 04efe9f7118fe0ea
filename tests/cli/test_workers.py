"""`scan --workers N` gives the same findings, in the same order, as `--workers 1`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run
from tests.helpers import REPO, ROOT_IDENTITY, event


def test_fixture_export_is_identical_with_two_workers() -> None:
    """The bundled fixture export (stateful rules included) gives byte-identical output."""
    export = str(REPO / "fixtures" / "AWSLogs")
    one = run("scan", "--workers", "1", export)
    two = run("scan", "--workers", "2", export)
    assert one.returncode == two.returncode == 0, two.stderr.decode()
    assert one.stdout.count(b"\n") > 10
    assert one.stdout == two.stdout


def test_mixed_sources_keep_their_order(tmp_path: Path) -> None:
    """Files go to workers, stdin stays in the parent; the output follows the argument order."""
    files = []
    for n in range(4):
        path = tmp_path / f"part{n}.json"
        records = [event(eventID=f"f{n}-{i}", userIdentity=ROOT_IDENTITY) for i in range(3)]
        path.write_text(json.dumps({"Records": records}))
        files.append(str(path))
    stdin = json.dumps(event(eventID="stdin-0", userIdentity=ROOT_IDENTITY)).encode()
    args = ["scan", "--select", "eks-root-*", "--no-evidence", files[0], "-", *files[1:]]
    one = run(*args, "--workers", "1", stdin=stdin)
    two = run(*args, "--workers", "3", stdin=stdin)
    assert one.returncode == two.returncode == 0, two.stderr.decode()
    ids = [json.loads(line)["event_id"] for line in two.stdout.splitlines()]
    assert ids[:3] == ["f0-0", "f0-1", "f0-2"] and ids[3] == "stdin-0" and ids[-1] == "f3-2"
    assert one.stdout == two.stdout
