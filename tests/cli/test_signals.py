"""Nothing lost, nothing leaked, on interruption and on a reader that leaves: `scan | head -1`
exits as Unix tools do and spools nothing for stdout (so no later scan prints it); Ctrl-C or
SIGTERM delivers or spools what was found and exits 130 (3 with findings spooled); a second one
spools at once; none ends in a traceback, with one process or two."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from engine.statefile.db import StateDB
from engine.statefile.spool import Spool
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


class _Started:
    """A scan in a child process, with its stderr read as it comes: `wait_started` returns once the
    scan reported that it started (rules loaded, outputs open), so signals land mid-scan however
    slow the machine is."""

    def __init__(self, args: list[str], env: dict[str, str], **kw: object) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "--log-level", "info", "--log-json", *args],
            env={**os.environ, "NO_COLOR": "1", **env},
            stderr=subprocess.PIPE,
            **kw,  # type: ignore[arg-type]
        )
        self.lines: list[bytes] = []
        self.started = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if b'"scan started"' in line:
                self.started.set()

    def wait_started(self) -> None:
        assert self.started.wait(120), b"".join(self.lines).decode()[-2000:]

    def finish(self) -> tuple[int, bytes]:
        self.process.wait(timeout=120)
        self.reader.join(timeout=30)
        return self.process.returncode, b"".join(self.lines)


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
    scan = _Started(
        ["scan", "--no-bundled", "--rules", str(tmp_path / "rules"), "-"],
        env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    scan.wait_started()  # rules loaded; the scan waits on stdin
    time.sleep(0.5)
    scan.process.send_signal(signal.SIGINT)
    code, stderr = scan.finish()
    assert code == 130, stderr.decode()[-2000:]
    assert b"Traceback" not in stderr


@pytest.mark.parametrize("signals", [1, 2], ids=["once", "twice"])
def test_interrupts_with_a_sink_down_lose_nothing(setup: tuple[Path, dict[str, str]], signals: int) -> None:
    """Findings go to -o and to a webhook nobody listens on; Ctrl-C once or twice mid-scan: the run
    exits 3 with what it found written or spooled (each sink: delivered + spooled = made), and a
    restart with the same --state completes it — every finding of an uninterrupted scan is then in
    the file, and in the spool for the webhook."""
    tmp_path, env = setup
    folder = tmp_path / "export"
    folder.mkdir()
    for n in range(40):
        (folder / f"part-{n:03d}.json").write_bytes(b"\n".join(_records(300, offset=n * 300)) + b"\n")
    reference = run("scan", "--no-bundled", "--rules", str(tmp_path / "rules"), str(folder), env=env)
    expected = {f["finding_id"] for f in findings(reference)}
    assert len(expected) == 12_000
    out, state, hook = tmp_path / "out.jsonl", tmp_path / "state.db", "webhook+http://127.0.0.1:9/hook"
    args = [
        *("scan", "--no-bundled", "--rules", str(tmp_path / "rules"), str(folder), "-o", str(out)),
        *("--sink", hook, "--state", str(state), "--checkpoint-every", "0.1"),
        *("--summary-json", str(tmp_path / "summary.json")),
    ]
    scan = _Started(args, env, stdout=subprocess.DEVNULL)
    scan.wait_started()
    deadline = time.monotonic() + 60
    while not (out.exists() and out.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.05)  # findings are being made and written
    for _ in range(signals):
        scan.process.send_signal(signal.SIGINT)
        time.sleep(0.05)
    code, stderr = scan.finish()
    assert code == 3, stderr.decode()[-3000:]
    assert b"Traceback" not in stderr
    summary = orjson.loads((tmp_path / "summary.json").read_bytes())
    assert summary["interrupted"] and 0 < summary["findings"] < len(expected)
    for name, tally in summary["sinks"].items():  # at its destination or spooled for it
        assert tally["delivered"] + tally["spooled"] >= summary["findings"] - 1, name
    again = run(*args, env=env)
    assert again.returncode == 3, again.stderr.decode()[-3000:]  # the webhook is still down
    written = {f["finding_id"] for f in map(orjson.loads, out.read_bytes().splitlines())}
    assert written == expected
    spool = Spool(StateDB(state))
    assert spool.ids(hook) == expected
    spool.close()


def test_workers_interrupted_exit_130_without_a_traceback(setup: tuple[Path, dict[str, str]]) -> None:
    tmp_path, env = setup
    folder = tmp_path / "many"
    for n in range(100):
        path = folder / f"part-{n:03d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\n".join(_records(2000, offset=n * 2000)) + b"\n")
    scan = _Started(
        ["scan", "--no-bundled", "--rules", str(tmp_path / "rules"), str(folder), "--workers", "2"],
        env,
        stdout=subprocess.DEVNULL,
    )
    scan.wait_started()
    time.sleep(0.5)
    scan.process.send_signal(signal.SIGINT)
    code, stderr = scan.finish()
    assert code == 130, stderr.decode()[-3000:]
    assert b"Traceback" not in stderr


def test_a_summary_reader_that_leaves_does_not_change_the_exit_code(
    setup: tuple[Path, dict[str, str]],
) -> None:
    """`trailwarden scan … 2>&1 | head -1` (the summary's reader leaves): exit 0, not rich's 1."""
    tmp_path, env = setup
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"\n".join(_records(50)) + b"\n")
    command = (
        f"{sys.executable} -m engine.cli scan --no-bundled --rules {tmp_path / 'rules'} {small}"
        f" -o {tmp_path / 'out.jsonl'} 2>&1 | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}"
    )
    done = subprocess.run(
        ["bash", "-c", command], env={**os.environ, **env}, capture_output=True, timeout=120
    )
    assert done.stdout.decode().strip() == "0", done.stderr.decode()[-2000:]
    assert len((tmp_path / "out.jsonl").read_bytes().splitlines()) == 50
