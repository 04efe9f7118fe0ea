"""Identity: `spark-scan` gives exactly the findings `scan` gives, whatever the partitioning."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO
from tests.spark.exports import STATEFUL_RULES, write_export
from tests.spark.running import by_id, ids, local_scan, spark_scan, summary_of

pytestmark = pytest.mark.spark

FIXTURES = REPO / "fixtures" / "AWSLogs"


@pytest.fixture(scope="module")
def local_fixture_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[dict[str, Any]]]:
    result, found = local_scan(tmp_path_factory.mktemp("local") / "findings.jsonl", FIXTURES)
    assert result.exit_code == 0, result.output
    assert found
    return result.output, found


@pytest.mark.parametrize("partitions", [1, 2, 4])
def test_fixture_export_same_findings_for_any_partition_count(
    spark: Any, tmp_path: Path, partitions: int, local_fixture_scan: tuple[str, list[dict[str, Any]]]
) -> None:
    """On the fixture export, spark-scan's findings equal scan's, field for field, for 1, 2 and 4
    partitions, and its summary counts the same files, events and passed-over digests."""
    local_output, expected = local_fixture_scan
    result, found = spark_scan(tmp_path / "out", FIXTURES, "--partitions", str(partitions))
    assert result.exit_code == 0, result.output
    assert ids(found) == ids(expected)
    assert by_id(found) == by_id(expected)
    summary = summary_of(tmp_path / "out")
    assert summary["scan_tasks"] == partitions
    scanned = re.search(r"Scanned ([\d,]+) file\(s\), ([\d,]+) event\(s\)", local_output)
    assert scanned is not None
    assert (summary["files"], summary["events"]) == tuple(int(n.replace(",", "")) for n in scanned.groups())
    digests = re.search(r"Passed over ([\d,]+) input\(s\): CloudTrail digest file", local_output)
    assert digests is not None and summary["passed_over"]["CloudTrail digest file"] == int(digests[1])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("generated")
    export = write_export(root)
    result, found = local_scan(root / "local.jsonl", "--no-bundled", "--rules", root / "rules", export)
    assert result.exit_code == 0, result.output
    return root, found


@pytest.mark.parametrize("partitions", [1, 2, 4, 7])
def test_generated_stateful_export_same_findings_for_any_partition_count(
    spark: Any, tmp_path: Path, partitions: int, generated: tuple[Path, list[dict[str, Any]]]
) -> None:
    """Thresholds, dedup and correlations over a 48-file export read out of event-time order give
    scan's findings exactly (ids, counts, event ids, windows), for 1, 2, 4 and 7 partitions."""
    root, expected = generated
    for rule_id in STATEFUL_RULES:  # the comparison covers every kind of window
        assert any(f["rule_id"] == rule_id for f in expected), f"the scenario made no {rule_id} finding"
    result, found = spark_scan(
        tmp_path / "out",
        "--no-bundled",
        "--rules",
        root / "rules",
        root / "AWSLogs",
        "--partitions",
        str(partitions),
    )
    assert result.exit_code == 0, result.output
    assert by_id(found) == by_id(expected)
    summary = summary_of(tmp_path / "out")
    assert summary["windows"]["duplicates"] > 0  # repeated deliveries met across files and tasks
    assert summary["windows"]["untimed"] == {"describe-noise": 1}
    assert "repeated delivery" in result.output and "no readable eventTime" in result.output
    tasks = summary["scan_tasks"] + summary["window_tasks"]
    assert tasks == 2 * partitions
    if partitions == 7:  # rules are compiled once per Python worker, not once per task
        assert summary["rule_compiles"] < tasks
