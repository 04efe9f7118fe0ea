"""`scan --workers N` gives the same findings, in the same order, as `--workers 1`."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import run
from tests.detection.stateful.support import ALICE, BOB, PACK, call, denied, write_trail_file
from tests.helpers import REPO, ROOT_IDENTITY, event, write_rules


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


def _stateful_export(folder: Path) -> None:
    """Twelve files of the stateful test pack's calls, seeded: bursts, sweeps, sequences, times out
    of order within and across files, a record with no readable eventTime, a record delivered twice."""
    rng = random.Random(7)
    people = [ALICE, BOB]
    for n in range(12):
        records = []
        for _ in range(40):
            second = n * 50 + rng.randrange(-150, 150)
            arn = rng.choice(people)
            kind = rng.randrange(5)
            if kind == 0:
                records.append(denied(second, arn))
            elif kind == 1:
                records.append(call("DescribeCluster", second, arn, requestParameters={"name": "prod"}))
            elif kind == 2:
                records.append(
                    call("DeleteCluster", second, arn, requestParameters={"name": f"c{rng.randrange(6)}"})
                )
            elif kind == 3:
                records.append(
                    call("CreateAccessEntry", second, arn, requestParameters={"clusterName": "prod"})
                )
            else:
                policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
                params = {"clusterName": "prod", "policyArn": policy}
                records.append(call("AssociateAccessPolicy", second, arn, requestParameters=params))
        if n == 3:
            records.append(
                call("DeleteCluster", 0, ALICE, eventTime="yesterday", requestParameters={"name": "x"})
            )
        if n == 5:
            records.append(records[0])
        write_trail_file(folder / f"part{n:02d}.json.gz", records, gzipped=True)


def _notes(stderr: bytes) -> list[str]:
    """The summary's lines, less the one with timings."""
    lines = [line for line in stderr.decode().splitlines() if not line.startswith("{")]
    return [line for line in lines if not line.startswith("Scanned ")]


@pytest.mark.parametrize(
    "options",
    [[], ["--lateness", "2m"], ["--lateness", "1m", "--max-waiting", "3"]],
    ids=["end-of-input", "lateness", "lateness-and-overflow"],
)
def test_stateful_windows_are_identical_with_two_workers(tmp_path: Path, options: list[str]) -> None:
    """Workers prepare the windows' keys and the parent windows them: the findings, their order and
    the summary's counts of late, untimed, overflowing and repeated events are those of one process."""
    write_rules(tmp_path, "rules/pack.yml", PACK)
    _stateful_export(tmp_path / "export")
    args = ["scan", str(tmp_path / "export"), "--no-bundled", "--rules", str(tmp_path / "rules"), *options]
    one = run(*args, "--workers", "1")
    two = run(*args, "--workers", "2")
    assert one.returncode == two.returncode == 0, two.stderr.decode()
    kinds = {json.loads(line)["rule_id"] for line in one.stdout.splitlines()}
    assert {"denied-burst", "describe-noise", "many-clusters-deleted", "deletions"} <= kinds
    assert one.stdout == two.stdout
    notes = _notes(one.stderr)
    assert any("no readable eventTime" in line for line in notes)
    if "--max-waiting" in options:
        assert any("--max-waiting" in line for line in notes)
    assert notes == _notes(two.stderr)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to find the worker processes")
def test_a_worker_killed_mid_scan_stops_the_scan_with_an_error_instead_of_hanging(tmp_path: Path) -> None:
    """A worker the system kills (the OOM killer, say) leaves its job unfinished: the scan says so,
    delivers what it found, and exits 3 — it does not wait for the lost job forever."""
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"Records": [event(eventID="r1", userIdentity=ROOT_IDENTITY)]}))
    stuck = tmp_path / "stuck.json"
    os.mkfifo(stuck)  # a worker opening it waits for a writer that never comes: it is busy until killed
    command = [
        sys.executable,
        "-m",
        "engine.cli",
        "scan",
        str(first),
        str(stuck),
        "--workers",
        "2",
        "--no-progress",
    ]
    scan = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(_children(scan.pid)) < 2 and time.monotonic() < deadline and scan.poll() is None:
            time.sleep(0.05)
        workers = _children(scan.pid)
        assert len(workers) == 2, "the scan never started its two workers"
        time.sleep(1.0)  # the other worker scans first.json meanwhile, and the parent merges it
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        out, err = scan.communicate(timeout=60)
    finally:
        scan.kill()
    text = err.decode()
    assert scan.returncode == 3, text
    assert "a worker process ended without finishing its files" in text
    assert "Scanned " in text  # the summary is still printed
    found_before = {json.loads(line)["event_id"] for line in out.splitlines()}
    assert found_before == {"r1"}  # what was merged before the worker died is delivered
