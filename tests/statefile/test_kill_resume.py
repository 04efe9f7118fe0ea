"""`kill -9` at seeded random points, then a restart with the same --state, until the scan
finishes: the findings delivered over all the runs are exactly an uninterrupted run's (same
finding ids, nothing lost, no window finding an uninterrupted run never makes), and a finished
scan run again with its state reads nothing. On an export of more than 1,000 findings made from
the shared invictus-ir sample (copies with new event ids, a day apart)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.helpers import SHARED

SAMPLE = SHARED / "data" / "cloudtrail-samples" / "invictus-ir"
COPIES = 26
KILLS = 10
SEED = 20261208

pytestmark = pytest.mark.skipif(
    not SAMPLE.exists(), reason=f"{SAMPLE} is absent (../shared/ not beside the checkout)"
)


def _shift(text: str, days: int) -> str:
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ") + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kill") / "export"
    for copy in range(COPIES):
        folder = root / f"copy-{copy:02d}"
        folder.mkdir(parents=True)
        for source in sorted(SAMPLE.iterdir()):
            try:
                records = json.loads(source.read_text())["Records"]
            except (ValueError, KeyError, TypeError):
                continue
            for record in records:
                record["eventID"] = f"{record.get('eventID')}-{copy}"
                if isinstance(record.get("eventTime"), str):
                    record["eventTime"] = _shift(record["eventTime"], copy)
            (folder / source.name).write_bytes(orjson.dumps({"Records": records}))
    return root


def _command(export: Path, state: Path, out: Path) -> list[str]:
    return [
        *(sys.executable, "-m", "engine.cli", "scan", str(export), "--state", str(state), "-o", str(out)),
        *("--checkpoint-every", "0.2"),
    ]


def _ids(out: Path) -> tuple[Counter[str], int]:
    """Finding ids in the output, and how many lines were torn by a kill mid-write."""
    ids: Counter[str] = Counter()
    torn = 0
    for line in out.read_bytes().splitlines():
        try:
            ids[orjson.loads(line)["finding_id"]] += 1
        except (orjson.JSONDecodeError, KeyError, TypeError):
            torn += 1
    return ids, torn


def test_kill_9_and_restart_lose_nothing_and_invent_nothing(export: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg")}
    reference = tmp_path / "reference.jsonl"
    done = subprocess.run(
        _command(export, tmp_path / "a.db", reference), env=env, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    expected, _ = _ids(reference)
    assert len(expected) > 1000 and set(expected.values()) == {1}

    rng = random.Random(SEED)
    out, state = tmp_path / "out.jsonl", tmp_path / "b.db"
    kills = 0
    for _ in range(KILLS):
        process = subprocess.Popen(_command(export, state, out), env=env, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))
        if process.poll() is not None:
            break  # it finished before this kill: the rest is the final run below
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    final = subprocess.run(_command(export, state, out), env=env, capture_output=True, check=False)
    assert final.returncode == 0, final.stderr.decode()[-2000:]
    assert kills >= 3, "the scans finished too fast to be killed: make the export larger"

    found, torn = _ids(out)
    assert set(found) == set(expected)
    duplicates = sum(found.values()) - len(found)
    print(f"{kills} kills, {len(expected)} findings, 0 lost, {duplicates} delivered twice, {torn} torn lines")

    again = subprocess.run(
        [*_command(export, state, tmp_path / "again.jsonl"), "--summary-json", str(tmp_path / "again.json")],
        env=env,
        capture_output=True,
        check=False,
    )
    assert again.returncode == 0
    summary = json.loads((tmp_path / "again.json").read_text())
    assert summary["files"] == 0 and summary["events"] == 0 and summary["findings"] == 0
