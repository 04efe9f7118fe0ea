"""spark-scan's report equals a local scan's on the same input, timings and sinks aside."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.test_report import FIXTURES, SCHEMA, _cli, _comparable, _scan_json

pytestmark = pytest.mark.spark


def test_spark_scan_gives_the_same_report(tmp_path: Path, spark_ready: None) -> None:
    local = _scan_json(tmp_path, FIXTURES)
    summary = tmp_path / "spark-summary.json"
    result = _cli("spark-scan", str(FIXTURES), "-o", str(tmp_path / "spark"), "--summary-json", str(summary))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    spark = json.loads(summary.read_text())
    jsonschema.validate(spark, SCHEMA)
    assert _comparable(local) == _comparable(spark)
