"""Identity: `spark-scan` gives exactly the findings `scan` gives, whatever the partitioning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO
from tests.spark.exports import STATEFUL_RULES, write_export
from tests.spark.running import by_id, ids, local_scan, spark_scan, summary_of

pytestmark = pytest.mark.spark

FIXTURES = REPO / "fixtures" / "AWSLogs"


@pytest.fixture(scope="module")
def local_fixture_findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    result, found = local_scan(tmp_path_factory.mktemp("local") / "findings.jsonl", FIXTURES)
    assert result.exit_code == 0, result.output
    assert found
    return found


@pytest.mark.parametrize("partitions", [1, 2, 4])
def test_fixture_export_same_findings_for_any_partition_count(
    spark: Any, tmp_path: Path, partitions: int, local_fixture_findings: list[dict[str, Any]]
) -> None:
    """On the fixture export, spark-scan's findings equal scan's, field for field, for 1, 2 and 4 partitions."""
    result, found = spark_scan(tmp_path / "out", FIXTURES, "--partitions", str(partitions))
    assert result.exit_code == 0, result.output
    assert ids(found) == ids(local_fixture_findings)
    assert by_id(found) == by_id(local_fixture_findings)
    summary = summary_of(tmp_path / "out")
    assert summary["scan_tasks"] == partitions
    assert summary["files"] == 105 and summary["passed_over"] == {"CloudTrail digest file": 52}


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
