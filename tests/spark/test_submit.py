"""The spark-submit entry point: `spark-submit engine/cli/spark_submit.py …` runs the same job on the
master spark-submit sets up, in its own JVM, and writes the findings `scan` gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import engine.cli.spark_submit as submit
from tests.spark.exports import write_export
from tests.spark.running import by_id, local_scan, part_findings

pytestmark = pytest.mark.spark


def test_spark_submit_runs_the_scan_with_its_own_master(spark_ready: None, tmp_path: Path) -> None:
    """A separate spark-submit application (local[2], loopback, no UI) exits 0 with scan's findings."""
    export = write_export(tmp_path / "export")
    rules = tmp_path / "export" / "rules"
    _, expected = local_scan(tmp_path / "local.jsonl", "--no-bundled", "--rules", rules, export)
    bin_dir = Path(sys.executable).parent
    env = os.environ | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",  # spark-submit finds pyspark through it
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    loopback = ["spark.driver.host=127.0.0.1", "spark.driver.bindAddress=127.0.0.1", "spark.ui.enabled=false"]
    command = [str(bin_dir / "spark-submit"), "--master", "local[2]"]
    for setting in loopback:
        command += ["--conf", setting]
    command += [
        submit.__file__,
        "--no-bundled",
        "--rules",
        str(rules),
        str(export),
        "--output",
        str(tmp_path / "out"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert expected and by_id(part_findings(tmp_path / "out")) == by_id(expected)
    # spark-submit merges the Python driver's stderr into its stdout: the summary is there.
    assert "Spark: " in result.stdout and "scan task(s)" in result.stdout
