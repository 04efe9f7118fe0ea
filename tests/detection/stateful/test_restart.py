"""Restart: open windows live in the --state file, so a scan stopped mid-burst and run again on
the rest of the input makes the threshold finding exactly once — through the real command line,
one process per run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.detection.stateful.support import BOB, PACK, call, denied, write_trail_file
from tests.helpers import REPO, write_rules


def scan(tmp_path: Path, name: str, *sources: Path, state: bool = True) -> tuple[list[dict[str, Any]], str]:
    """Run `trailwarden scan` in a subprocess; the findings it wrote and its stderr."""
    out = tmp_path / f"{name}.jsonl"
    args = ["scan", "--no-bundled", "--rules", str(tmp_path / "rules"), "--output", str(out), "--no-progress"]
    if state:
        args += ["--state", str(tmp_path / "state.db")]
    proc = subprocess.run(
        [sys.executable, "-c", "from engine.cli.main import main; main()", *args, *map(str, sources)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = out.read_bytes().splitlines() if out.exists() else []
    return [orjson.loads(line) for line in lines], proc.stderr


def bursts(findings: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(f["finding_id"], f["count"]) for f in findings if f["rule_id"] == "denied-burst"]


def test_a_burst_split_across_two_runs_is_reported_once(tmp_path: Path) -> None:
    """Run 1 sees 3 of 5 denied calls (no finding), run 2 the other 2 (one finding, all 5 events);
    run 3 re-reads both files and reports nothing again."""
    write_rules(tmp_path, "rules/pack.yml", PACK)
    head = [denied(t) for t in (0, 20, 40)]
    tail = [denied(t) for t in (60, 80)]
    a = write_trail_file(tmp_path / "in" / "a.json", [*head, call("ListClusters", 45, BOB)])
    b = write_trail_file(tmp_path / "in" / "b.json", [*tail, call("ListClusters", 300, BOB)])

    first, _ = scan(tmp_path, "run1", a)
    assert bursts(first) == []
    second, stderr = scan(tmp_path, "run2", b)
    ((finding_id, count),) = bursts(second)
    assert count == 5
    (finding,) = [f for f in second if f["rule_id"] == "denied-burst"]
    assert finding["event_ids"] == [e["eventID"] for e in head + tail]
    assert "Windows saved to" in stderr

    third, _ = scan(tmp_path, "run3", a, b)
    assert bursts(third) == []

    alone, _ = scan(tmp_path, "single", a, b, state=False)  # one run over everything agrees
    assert bursts(alone) == [(finding_id, 5)]


def test_without_the_state_file_the_second_half_alone_is_below_the_count(tmp_path: Path) -> None:
    """The control: the second run only finds the burst because the first run's counts were kept."""
    write_rules(tmp_path, "rules/pack.yml", PACK)
    b = write_trail_file(tmp_path / "in" / "b.json", [denied(t) for t in (60, 80)])
    findings, _ = scan(tmp_path, "run", b, state=False)
    assert bursts(findings) == []


def test_a_reported_window_that_grows_after_a_restart_is_updated_under_the_same_id(tmp_path: Path) -> None:
    """Run 1 reports a fired burst as it stands (count 5); run 2 adds 2 events inside its window and
    reports it again with the same finding id and count 7 — an update, not a second finding."""
    write_rules(tmp_path, "rules/pack.yml", PACK)
    a = write_trail_file(tmp_path / "in" / "a.json", [denied(t) for t in (0, 10, 20, 30, 40)])
    b = write_trail_file(tmp_path / "in" / "b.json", [denied(t) for t in (100, 200)])
    first, _ = scan(tmp_path, "run1", a)
    second, _ = scan(tmp_path, "run2", b)
    ((first_id, first_count),) = bursts(first)
    assert first_count == 5
    assert bursts(second) == [(first_id, 7)]
