"""Nothing lost, nothing leaked, on interruption and on a reader that leaves: `scan | head -1`
exits as Unix tools do and spools nothing for stdout (so no later scan prints it); Ctrl-C or
SIGTERM delivers or spools what was found and exits 130 (3 with findings spooled); a second one
spools at once; none ends in a traceback, with one process or two."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from tests.cli.conftest import findings, run
from tests.helpers import event, write_rules

EVERY_EVENT = """
id: every-event
title: Every event
description: One finding per event, so that a scan makes many.
severity: low
condition: eventName != null
"""


def _records(count: int, offset: int = 0) -> list[bytes]:
    return [
        orjson.dumps(event(eventID=f"ev-{offset + i:06d}", eventName=f"Call{i % 7}", errorCode=None))
        for i in range(count)
    ]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    write_rules(tmp_path, "rules/every.yml", EVERY_EVENT)
    env = {"XDG_STATE_HOME": str(tmp_path / "xdg"), "TRAILWARDEN_SPOOL": str(tmp_path / "spool.sqlite")}
    return tmp_path, env


def _start(args: list[str], env: dict[str, str], **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args],
        env={**os.environ, "NO_COLOR": "1", **env},
        stderr=subprocess.PIPE,
        **kw,  # type: ignore[arg-type]
    )


def test_a_reader_that_leaves_gets_no_later_scan_its_findings(setup: tuple[Path, dict[str, str]]) -> None:
    tmp_path, env = setup
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"\n".join(_records(5000)) + b"\n")
    command = f"{sys.executable} -m engine.cli scan --no-bundled --rules {tmp_path / 'rules'} {big} | head -1"
    piped = subprocess.run(
        ["bash", "-c", command + "; echo ${PIPESTATUS[0]} >&2"],
        env={**os.environ, **env},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert len(piped.stdout.splitlines()) == 1
    assert piped.stderr.decode().strip().endswith("141"), piped.stderr.decode()[-2000:]
    assert b"Traceback" not in piped.stderr
    assert not (tmp_path / "spool.sqlite").exists() and not (tmp_path / "xdg").exists()
    other = tmp_path / "other.jsonl"
    other.write_bytes(b"\n".join(_records(3, offset=90000)) + b"\n")
    later = run("scan", "--no-bundled", "--rules", str(tmp_path / "rules"), str(other), env=env)
    assert later.returncode == 0
    assert sorted(f["event_id"] for f in findings(later)) == ["ev-090000", "ev-090001", "ev-090002"]


def test_interrupt_before_any_input_exits_130(setup: tuple[Path, dict[str, str]]) -> None:
    tmp_path, env = setup
    process = _start(
        ["scan", "--no-bundled", "--rules", str(tmp_path / "rules"), "-"],
        env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    time.sleep(3)  # rules loaded; the scan waits on stdin
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr.decode()[-2000:]
    assert b"Traceback" not in stderr


@pytest.mark.parametrize("signals", [1, 2], ids=["once", "twice"])
def test_interrupts_with_a_sink_down_lose_nothing(setup: tuple[Path, dict[str, str]], signals: int) -> None:
    """Findings go to -o and to a webhook nobody listens on; Ctrl-C once or twice mid-stream:
    every finding made is in the file, and each one is in the spool for the webhook; exit 3."""
    tmp_path, env = setup
    out = tmp_path / "out.jsonl"
    process = _start(
        [
            "scan",
            "--no-bundled",
            "--rules",
            str(tmp_path / "rules"),
            "-",
            "-o",
            str(out),
            "--sink",
            "webhook+http://127.0.0.1:9/hook",
            "--summary-json",
            str(tmp_path / "summary.json"),
        ],
        env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert process.stdin is not None
    process.stdin.write(b"\n".join(_records(1500)) + b"\n")
    process.stdin.flush()
    time.sleep(4)
    for _ in range(signals):
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 3, stderr.decode()[-3000:]
    assert b"Traceback" not in stderr
    summary = orjson.loads((tmp_path / "summary.json").read_bytes())
    made = summary["findings"]
    assert made > 0 and summary["interrupted"]
    written = {f["finding_id"] for f in map(orjson.loads, out.read_bytes().splitlines())}
    assert len(written) == made
    spooled = summary["sinks"]["webhook+http://127.0.0.1:9/hook"]["spooled"]
    assert spooled == made


def test_workers_interrupted_exit_130_without_a_traceback(setup: tuple[Path, dict[str, str]]) -> None:
    tmp_path, env = setup
    folder = tmp_path / "many"
    for n in range(100):
        path = folder / f"part-{n:03d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\n".join(_records(2000, offset=n * 2000)) + b"\n")
    process = _start(
        ["scan", "--no-bundled", "--rules", str(tmp_path / "rules"), str(folder), "--workers", "2"],
        env,
        stdout=subprocess.DEVNULL,
    )
    time.sleep(4)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    if process.returncode == 0:
        pytest.skip("the scan finished before the signal (a fast machine): nothing to interrupt")
    assert process.returncode == 130, stderr.decode()[-3000:]
    assert b"Traceback" not in stderr
