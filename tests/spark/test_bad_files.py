"""A bad file fails only itself: the job finishes, every good file's findings are there, and the
bad files are named in the summary (and on stderr) with what is wrong; the exit code is 3."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.spark.exports import write_export
from tests.spark.running import by_id, local_scan, spark_scan, summary_of

pytestmark = pytest.mark.spark


def test_corrupt_files_among_good_ones_are_reported_and_the_rest_scanned(spark: Any, tmp_path: Path) -> None:
    """A truncated gzip and a file of garbage, each in its own partition's company: the good
    files' findings (single-event and windows) equal a scan of the good files alone."""
    export = write_export(tmp_path / "export")
    good = tmp_path / "good"
    shutil.copytree(export, good / "AWSLogs")
    rules = tmp_path / "export" / "rules"
    day = sorted(export.rglob("*.json.gz"))[0].parent
    truncated = day / "111122223333_CloudTrail_eu-west-1_20261120T1000Z_broken.json.gz"
    truncated.write_bytes(gzip.compress(b'{"Records": [' + b'{"eventTime": "x"},' * 2000)[:300])
    garbage = day / "111122223333_CloudTrail_eu-west-1_20261120T1001Z_garbage.json"
    garbage.write_bytes(b"\x00\x01 this is not CloudTrail \xff")

    _, expected = local_scan(tmp_path / "local.jsonl", "--no-bundled", "--rules", rules, good / "AWSLogs")
    result, found = spark_scan(
        tmp_path / "out", "--no-bundled", "--rules", rules, export, "--partitions", "3"
    )

    assert result.exit_code == 3, result.output
    assert expected and _without_origin(by_id(found)) == _without_origin(by_id(expected))
    summary = summary_of(tmp_path / "out")
    # the truncated file's records before the cut are each skipped by index (not events), then
    # the truncation itself; the garbage file is skipped whole
    reasons = {Path(s["where"].split(" (record ")[0]).name: s["reason"] for s in summary["unreadable"]}
    assert set(reasons) == {truncated.name, garbage.name}
    assert all(reasons.values())
    assert any("truncated" in s["reason"] for s in summary["unreadable"] if truncated.name in s["where"])
    assert "input(s) that could not be read" in result.output
    assert truncated.name in result.output and garbage.name in result.output
    assert summary["scan_tasks"] == 3 and summary["files"] == len(list(export.rglob("*.json*")))


def _without_origin(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The two exports live in different folders: origins differ by the folder, nothing else."""
    return [{k: v for k, v in f.items() if k != "origin"} for f in findings]
