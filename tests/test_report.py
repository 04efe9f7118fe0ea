"""One scan, one report: the same input gives equal reports (timings aside) from one process,
`--workers 2` and the Lambda handler's path (run_blobs) (spark-scan: tests/spark/test_report_equality.py); `--summary-json` validates
against schemas/summary.schema.json; the README's Python example runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from engine import ScanConfig, ScanReport, load_rules, run_blobs
from engine.report import SinkTally
from engine.sources import open_sources
from engine.types import Finding
from tests.helpers import REPO, SHARED

FIXTURES = REPO / "fixtures" / "AWSLogs"
SAMPLES = SHARED / "data" / "cloudtrail-samples"
SCHEMA = json.loads((REPO / "schemas" / "summary.schema.json").read_text())
FINDING_SCHEMA = json.loads((REPO / "schemas" / "finding.schema.json").read_text())


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=cwd, capture_output=True, timeout=600, check=False
    )


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    """What must agree between runners: everything but timings and where findings were written."""
    out = {k: v for k, v in report.items() if k not in ("seconds", "events_per_second", "sinks")}
    out["notes"] = [n for n in out["notes"] if not n.startswith("Windows saved")]
    return out


def _scan_json(tmp_path: Path, source: Path, *extra: str) -> dict[str, Any]:
    summary = tmp_path / f"summary-{len(list(tmp_path.iterdir()))}.json"
    result = _cli(
        "scan", str(source), "-o", str(tmp_path / "f.jsonl"), "--summary-json", str(summary), *extra
    )
    assert result.returncode in (0, 3), result.stderr.decode()[-2000:]
    loaded: dict[str, Any] = json.loads(summary.read_text())
    jsonschema.validate(loaded, SCHEMA)
    return loaded


def _lambda_path(source: Path) -> dict[str, Any]:
    config = ScanConfig(sources=(str(source),))
    rules = load_rules(config).runnable()
    found: list[dict[str, Any]] = []
    report = run_blobs(
        rules, open_sources(config.sources, config.source_options()), config, emit=found.append
    )
    return report.to_json()


@pytest.mark.parametrize("source", [FIXTURES, SAMPLES], ids=["fixtures", "shared-samples"])
def test_one_process_workers_and_the_lambda_path_give_equal_reports(tmp_path: Path, source: Path) -> None:
    if not source.exists():
        pytest.skip(f"{source} is absent (../shared/ not beside the checkout)")
    one = _scan_json(tmp_path, source, "--workers", "1")
    two = _scan_json(tmp_path, source, "--workers", "2")
    assert one["findings"] > 0 and one["events"] > 0
    assert _comparable(one) == _comparable(two)
    assert _comparable(one) == _comparable(_lambda_path(source))


def test_merging_adds_every_count_and_keeps_the_first_sample() -> None:
    a, b = ScanReport(files=1, events=2), ScanReport(files=3, events=4)
    a.count_error("r", "first")
    b.count_error("r", "second")
    b.count_finding("r", "high")
    b.sinks["-"] = SinkTally(delivered=1)
    a.merge(b)
    assert (a.files, a.events, a.findings, a.rule_errors["r"]) == (4, 6, 1, 2)
    assert a.error_samples == {"r": "first"} and a.sinks["-"].delivered == 1
    assert a.exit_code("high") == 1 and a.exit_code(None) == 0
    a.stopped = "interrupted"
    assert a.exit_code(None) == 3


def test_a_bad_value_is_an_error_naming_its_flag() -> None:
    from engine.config import ConfigError

    with pytest.raises(ConfigError, match="--min-severity"):
        ScanConfig(min_severity="severe")
    with pytest.raises(ConfigError, match="--workers"):
        ScanConfig(workers=0)
    with pytest.raises(ConfigError, match="TRAILWARDEN_FORMAT"):
        ScanConfig.from_lambda_env({"TRAILWARDEN_FORMAT": "xml"})
    result = _cli("scan", str(FIXTURES), "--lateness", "soon")
    assert result.returncode == 2 and b"--lateness" in result.stderr


def test_the_readme_python_example_runs(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using trailwarden from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    (tmp_path / "fixtures").symlink_to(REPO / "fixtures")
    result = subprocess.run(
        [sys.executable, "-c", code.group(1)], cwd=tmp_path, capture_output=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert re.search(rb"^\d+ findings;", result.stdout, re.M) and b"exit code 0" in result.stdout
    assert (tmp_path / "findings.jsonl").stat().st_size > 0


def test_the_finding_type_names_what_the_schema_names() -> None:
    """engine.types.Finding and schemas/finding.schema.json agree on keys and on which are required."""
    assert set(Finding.__annotations__) == set(FINDING_SCHEMA["properties"])
    assert set(Finding.__required_keys__) == set(FINDING_SCHEMA["required"])
