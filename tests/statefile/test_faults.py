"""A state file that cannot be used is refused with one clear line naming it (exit 2) and is left
as it was; and a state file never changes what a replay finds."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from engine.statefile.db import FORMAT_VERSION, StateDB, StateFileError
from tests.cli.conftest import findings, run
from tests.helpers import REPO, SHARED

FIXTURES = REPO / "fixtures" / "AWSLogs"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _truncated(tmp_path: Path) -> Path:
    good = tmp_path / "good.db"
    result = run("scan", str(FIXTURES), "--state", str(good), "-o", os.devnull)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    with sqlite3.connect(good) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cut = tmp_path / "cut.db"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    return cut


@pytest.mark.parametrize("kind", ["garbage", "text", "truncated", "newer"])
def test_an_unusable_state_file_is_refused_by_name_and_left_alone(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.db"
    if kind == "garbage":
        path.write_bytes(bytes(range(256)) * 40)
    elif kind == "text":
        path.write_text("these are not the windows you are looking for\n")
    elif kind == "truncated":
        path = _truncated(tmp_path)
    else:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE trailwarden_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute("INSERT INTO trailwarden_meta VALUES ('format', ?)", (str(FORMAT_VERSION + 1),))
    before = _digest(path)
    result = run("scan", str(FIXTURES), "--state", str(path), "-o", str(tmp_path / "out.jsonl"))
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr[-2000:]
    assert "Traceback" not in stderr and str(path) in stderr
    assert ("newer trailwarden" if kind == "newer" else "not a usable trailwarden state file") in stderr
    assert _digest(path) == before
    assert not (tmp_path / "out.jsonl").exists() or (tmp_path / "out.jsonl").stat().st_size == 0


def test_a_state_file_in_an_unwritable_place_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="cannot write to the state file"):
        StateDB("/proc/trailwarden/state.db")


def test_a_state_file_held_by_another_scan_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "held.db"
    StateDB(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        monkeypatch.setattr("engine.statefile.db.LOCK_SECONDS", 1)
        monkeypatch.setattr("engine.statefile.db._CHECKED", set())
        with pytest.raises(StateFileError, match="in use by another scan"):
            StateDB(path)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize(
    "source", [FIXTURES, SHARED / "data" / "cloudtrail-samples"], ids=["fixtures", "samples"]
)
def test_a_state_file_does_not_change_what_a_replay_finds(tmp_path: Path, source: Path) -> None:
    if not source.exists():
        pytest.skip(f"{source} is absent (../shared/ not beside the checkout)")
    plain = run("scan", str(source))
    kept = run("scan", str(source), "--state", str(tmp_path / "state.db"))
    assert plain.returncode in (0, 3) and kept.returncode == plain.returncode
    ids = sorted(f["finding_id"] for f in findings(plain))
    assert ids and sorted(f["finding_id"] for f in findings(kept)) == ids
