"""S3 in and out, against a real moto server: the driver lists the trail bucket with the S3
source's pruning, the tasks fetch their objects with boto3 (the executors' own credential chain)
and write their parts and the summary to an S3 prefix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.sources.aws_server import aws_client
from tests.spark.exports import write_export
from tests.spark.running import by_id, local_scan, part_findings, run_cli

pytestmark = pytest.mark.spark


def test_s3_trail_in_and_s3_output_give_scans_findings_with_the_same_pruning(
    spark: Any, aws_env: str, tmp_path: Path
) -> None:
    """spark-scan s3://… --regions --since writes to s3://… exactly the findings scan gives for
    the same bucket and options, reading only the files the pruning keeps."""
    s3 = aws_client(aws_env, "s3")
    s3.create_bucket(Bucket="org-trail")
    s3.create_bucket(Bucket="findings")
    export = write_export(tmp_path / "export")
    for path in sorted(export.rglob("*.json.gz")):
        s3.put_object(
            Bucket="org-trail", Key=f"audit/{path.relative_to(export.parent)}", Body=path.read_bytes()
        )
    rules = tmp_path / "export" / "rules"
    options = (
        "--no-bundled",
        "--rules",
        str(rules),
        "--regions",
        "eu-west-1",
        "--since",
        "2026-11-20T10:40:00Z",
    )

    scanned, expected = local_scan(tmp_path / "local.jsonl", *options, "s3://org-trail/audit/")
    assert scanned.exit_code == 0, scanned.output
    result = run_cli(
        "spark-scan",
        *options,
        "s3://org-trail/audit/",
        "--output",
        "s3://findings/run-1",
        "--partitions",
        "3",
    )

    assert result.exit_code == 0, result.output
    assert expected and by_id(part_findings("s3://findings/run-1", s3)) == by_id(expected)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="findings", Prefix="run-1/")["Contents"])
    assert keys[0] == "run-1/_summary.json"
    assert [k for k in keys if k.startswith("run-1/part-")] == [f"run-1/part-{i:05d}.jsonl" for i in range(3)]
    summary = json.loads(s3.get_object(Bucket="findings", Key="run-1/_summary.json")["Body"].read())
    eu_files = [p for p in export.rglob("*.json.gz") if "/eu-west-1/" in str(p)]
    assert 0 < summary["files"] < len(eu_files)  # --since pruned the early files away
    assert all(
        o.startswith("s3://org-trail/audit/AWSLogs/") and "/eu-west-1/" in o for o in _sources(expected)
    )
    assert summary["unreadable"] == []
    assert summary["out_of_scope"] > 0  # kept files still hold events from before --since: left out
    assert "Left out" in result.output


def test_a_second_run_into_the_same_prefix_needs_overwrite(spark: Any, aws_env: str, tmp_path: Path) -> None:
    """Parts of two runs must never mix: a used output prefix is refused (exit 2, nothing run)
    unless --overwrite, which replaces the earlier parts."""
    s3 = aws_client(aws_env, "s3")
    s3.create_bucket(Bucket="trail-2")
    s3.create_bucket(Bucket="out-2")
    export = write_export(tmp_path / "export")
    for path in sorted(export.rglob("*.json.gz"))[:6]:
        s3.put_object(Bucket="trail-2", Key=str(path.relative_to(export.parent)), Body=path.read_bytes())
    base = ("spark-scan", "--no-bundled", "--rules", str(tmp_path / "export" / "rules"), "s3://trail-2/")
    assert run_cli(*base, "--output", "s3://out-2/x/", "--partitions", "4").exit_code == 0
    refused = run_cli(*base, "--output", "s3://out-2/x/", "--partitions", "2")
    assert refused.exit_code == 2 and "--overwrite" in refused.output
    assert run_cli(*base, "--output", "s3://out-2/x/", "--partitions", "2", "--overwrite").exit_code == 0
    names = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="out-2", Prefix="x/")["Contents"])
    assert [n for n in names if n.startswith("x/part-")] == ["x/part-00000.jsonl", "x/part-00001.jsonl"]


def _sources(findings: list[dict[str, Any]]) -> set[str]:
    return {f["origin"]["source"] for f in findings}
