"""`trailwarden scan --follow --state` on an S3 trail, as a child process: killed with SIGKILL in
the middle of the stream and restarted, it evaluates every event, re-reads at most the one file
that was in flight when it died, and picks up files added while it runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.sources.aws_server import aws_client
from tests.sources.trail import EVENTS_PER_FILE, TrailObject, log_file, upload

BUCKET = "follow-trail"
START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
FILES = 300  # enough that a scan is still under way when the first findings appear
DEADLINE = 60.0  # seconds any one wait may take before the test gives up (a guard, never asserted)


def files(first: int, count: int) -> list[TrailObject]:
    accounts = ("111111111111", "222222222222")
    return [
        log_file(accounts[n % 2], "eu-west-1", START + timedelta(minutes=2 * n))
        for n in range(first, first + count)
    ]


# One finding per event, from a stateless rule: what is compared is which events were evaluated,
# not how the bundled packs' windows group them.
RULE = """
id: every-create-cluster
title: Cluster created
description: Matches every CreateCluster call, so each event evaluated gives exactly one finding.
severity: low
status: test
match: {eventSource: eks.amazonaws.com, eventName: CreateCluster}
condition: "eventName == 'CreateCluster'"
output: "cluster {requestParameters.name}"
"""


def scan(env: dict[str, str], out: Path, *extra: str) -> subprocess.Popen[bytes]:
    rules = out.parent / "rules.yml"
    rules.write_text(RULE)
    command = [sys.executable, "-c", "from engine.cli.main import main; main()", "scan", f"s3://{BUCKET}/"]
    command += ["--no-bundled", "--rules", str(rules), "--no-progress", "-o", str(out), *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def findings(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_bytes().splitlines()
    return [json.loads(line) for line in lines if line.endswith(b"}")]  # a line cut by SIGKILL is left out


def lines(path: Path) -> int:
    """Findings written so far, counted cheaply (the moto server shares this process's GIL)."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


def wait_for(check: Any, what: str, pause: float = 0.05) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(pause)


@pytest.fixture
def env(moto_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }


def test_sigkill_mid_stream_then_restart_evaluates_every_event_and_picks_up_new_files(
    moto_url: str, env: dict[str, str], tmp_path: Path
) -> None:
    s3 = aws_client(moto_url, "s3")
    upload(s3, BUCKET, files(0, FILES))
    once = tmp_path / "once.jsonl"
    one_shot = scan(env, once)
    _, stderr = one_shot.communicate(timeout=DEADLINE)
    assert one_shot.returncode == 0, stderr.decode()[-3000:]
    expected = {f["finding_id"] for f in findings(once)}
    assert len(expected) == FILES * EVENTS_PER_FILE  # one finding per event

    state = tmp_path / "state.db"
    first_out, second_out = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    follow = ("--follow", "--state", str(state), "--poll-seconds", "0.2")
    first = scan(env, first_out, *follow)
    wait_for(lambda: lines(first_out) >= 10, "the first findings", pause=0.002)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=DEADLINE)
    before_kill = findings(first_out)
    assert len({f["finding_id"] for f in before_kill}) < len(expected), "killed too late to be mid-stream"

    second = scan(env, second_out, *follow)
    try:
        seen = lambda: {f["finding_id"] for f in before_kill + findings(second_out)}  # noqa: E731
        wait_for(
            lambda: lines(second_out) >= len(expected) - len(before_kill) and seen() >= expected,
            "catching up",
        )
        added = files(FILES, 10)  # delivered while it follows
        upload(s3, BUCKET, added)
        wait_for(
            lambda: (
                {f["origin"]["source"] for f in findings(second_out)}
                >= {f"s3://{BUCKET}/{o.key}" for o in added}
            ),
            "the files added while following",
        )
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=DEADLINE)
    after_restart = findings(second_out)

    # Every event evaluated: together the two runs found what a one-shot scan found, and more.
    assert {f["finding_id"] for f in before_kill + after_restart} >= expected
    # None twice, but for the one file in flight at the kill (written, not yet acknowledged).
    twice = Counter(f["finding_id"] for f in before_kill + after_restart)
    repeated_files = {
        f["origin"]["source"] for f in before_kill + after_restart if twice[f["finding_id"]] > 1
    }
    assert len(repeated_files) <= 1, repeated_files
    assert all(count <= 2 for count in twice.values())
