"""The tasks' own logic, run as the plain generators they are (no Spark): a file that fails is a
Skip naming it while the task goes on; parts are written whole; findings a format cannot write
are counted with the reason, not lost silently."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from engine.config import ScanConfig
from engine.errors import SinkError, UsageError
from engine.pipeline import Scanner
from engine.sources import SourceOptions
from engine.spark.config import JobConfig
from engine.spark.inputs import InputFile, list_inputs
from engine.spark.output import Destination, PartWriter, prepare
from engine.spark.report import TaskReport
from engine.spark.rules import compiled_rules, plan_rules
from engine.spark.tasks import Shuffled, _scan_one, scan_task, window_task
from engine.types import Blob
from tests.detection.stateful.support import PACK, call, denied, write_trail_file
from tests.helpers import write_rules


def _config(tmp_path: Path, **fields: Any) -> JobConfig:
    write_rules(tmp_path, "rules/pack.yml", PACK)
    plan = plan_rules((str(tmp_path / "rules"),), bundled=False)
    (tmp_path / "out").mkdir(exist_ok=True)
    return JobConfig(rules=plan, scan=ScanConfig(**fields), output=str(tmp_path / "out"))


def test_a_failing_file_is_a_skip_and_the_task_goes_on(tmp_path: Path) -> None:
    """A file gone before its task runs and a directory where a file was listed are each reported
    with their name; the files after them are scanned and their findings written and shuffled."""
    config = _config(tmp_path)
    burst = [denied(10 * k) for k in range(6)]
    good = write_trail_file(tmp_path / "in" / "b.json.gz", burst, gzipped=True)
    admin = call("AssociateAccessPolicy", 5, requestParameters={"policyArn": "x/AmazonEKSClusterAdminPolicy"})
    also_good = write_trail_file(tmp_path / "in" / "d.json", [admin])
    (tmp_path / "in" / "c.json").mkdir()
    files = [
        InputFile("in/a.json", str(tmp_path / "in" / "gone.json"), 10, 0),
        InputFile("in/b.json.gz", str(good), good.stat().st_size, 1),
        InputFile("in/c.json", str(tmp_path / "in" / "c.json"), 0, 2),
        InputFile("in/d.json", str(also_good), also_good.stat().st_size, 3),
    ]
    out = list(scan_task(config, 0, [files]))
    report = out[-1][1]
    assert isinstance(report, TaskReport)
    assert [s.where for s in report.scan.unreadable] == ["in/a.json", "in/c.json"]
    assert "cannot read" in report.scan.unreadable[0].reason and report.scan.unreadable[1].reason
    assert report.scan.files == 3 and report.scan.events == 7
    assert report.candidates == len(out) - 1 == 7  # the burst feeds the threshold, the grant the correlation
    part = [orjson.loads(line) for line in (tmp_path / "out" / "part-00000.jsonl").read_bytes().splitlines()]
    assert [f["rule_id"] for f in part] == ["admin-granted"] and report.written == 1


def test_an_error_escaping_the_engine_fails_only_that_file(tmp_path: Path) -> None:
    """An error the decoder does not turn into a Skip itself (here: from the emit path) is caught,
    named and counted for that file alone; the next file is scanned. A part that cannot be
    written is not such an error: it fails the task, for Spark to retry."""
    config = _config(tmp_path)
    first = [True]

    def emit(finding: dict[str, Any]) -> None:
        if first.pop() if first else False:
            raise ValueError("bad finding")

    scanner = Scanner(compiled_rules(config.rules), emit)
    admin = call("AssociateAccessPolicy", 5, requestParameters={"policyArn": "x/AmazonEKSClusterAdminPolicy"})
    one = write_trail_file(tmp_path / "one.json", [admin])
    two = write_trail_file(tmp_path / "two.json", [admin | {"eventID": "other"}])
    _scan_one(scanner, Blob("in/one.json", lambda: one.open("rb"), 3))
    _scan_one(scanner, Blob("in/two.json", lambda: two.open("rb"), 3))
    stats = scanner.finish()
    assert [(s.where, s.reason) for s in stats.unreadable] == [
        ("in/one.json", "failed while scanning: ValueError: bad finding")
    ]
    assert stats.findings_by_rule["admin-granted"] == 2 and stats.events == 2

    def broken_disk(finding: dict[str, Any]) -> None:
        raise SinkError("part-00000.jsonl: could not be written: No space left on device")

    with pytest.raises(SinkError):
        _scan_one(
            Scanner(compiled_rules(config.rules), broken_disk), Blob("in/two.json", lambda: two.open("rb"), 3)
        )


def test_window_task_passes_reports_through_and_writes_the_windows(tmp_path: Path) -> None:
    """Sorted candidates make the threshold finding in a windows part; scan reports pass through."""
    config = _config(tmp_path)
    path = write_trail_file(tmp_path / "in" / "b.json", [denied(10 * k) for k in range(6)])
    shuffled: list[Shuffled] = sorted(
        scan_task(config, 0, [[InputFile("b.json", str(path), path.stat().st_size, 0)]]), key=lambda kv: kv[0]
    )
    out = list(window_task(config, 1, iter(shuffled)))
    assert [(r.stage, r.index) for r in out] == [("part", 0), ("windows", 1)]
    windows = out[1]
    assert windows.scan.findings_by_rule == {"denied-burst": 1} and windows.candidates == 6
    line = orjson.loads((tmp_path / "out" / "windows-00001.jsonl").read_bytes())
    assert line["rule_id"] == "denied-burst" and line["count"] == 6


def test_findings_a_format_cannot_write_are_counted_with_the_reason(tmp_path: Path) -> None:
    """ASFF needs an account and a region: a finding without them is refused, the others written."""
    writer = PartWriter.open(Destination.parse(str(tmp_path)), "part-00000.jsonl", "asff", lambda: None)
    base = {
        "finding_id": "f1",
        "rule_id": "r",
        "rule_title": "t",
        "title": "t",
        "severity": "high",
        "tags": [],
    }
    writer.write(base | {"finding_id": "nowhere", "account_id": None, "region": None, "actor": {}})
    writer.write(
        base | {"account_id": "111122223333", "region": "us-east-1", "event_time": "2026-11-20T10:00:00Z"}
    )
    writer.commit()
    assert writer.written == 1 and len(writer.refused) == 1
    assert "nowhere" in writer.refused[0] and "no account id" in writer.refused[0]
    assert len((tmp_path / "part-00000.jsonl").read_bytes().splitlines()) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch file left


def test_an_output_folder_with_an_earlier_run_is_refused_unless_overwrite(tmp_path: Path) -> None:
    """Two runs' parts must never mix; --overwrite removes the earlier parts and summary only."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("part-00000.jsonl", "windows-00003.jsonl", "_summary.json", "notes.txt"):
        (out / name).write_text("x")
    with pytest.raises(UsageError, match="already holds"):
        prepare(Destination.parse(str(out)), None, overwrite=False)
    prepare(Destination.parse(str(out)), None, overwrite=True)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_listing_refuses_stdin_and_queues_and_keeps_order(tmp_path: Path) -> None:
    """Only files, folders and s3:// prefixes can be split across tasks; local files keep the
    folder walk's order (their position) and the names the local scan cites."""
    for name in ("b.json", "a.json.gz"):
        (tmp_path / name).write_bytes(gzip.compress(b"{}") if name.endswith("gz") else b"{}")
    listing = list_inputs([str(tmp_path)], SourceOptions())
    assert [(Path(f.name).name, f.position) for f in listing.files] == [("a.json.gz", 0), ("b.json", 1)]
    for spec in ("-", "sqs://queue", "cloudtrail-api://us-east-1"):
        with pytest.raises(UsageError):
            list_inputs([spec], SourceOptions())
