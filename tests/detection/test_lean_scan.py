"""A scan that parses in full only the records some rule can match (the default) makes the same
findings, in the same order, with the same counts, as one that parses every record."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from engine.detection.build import load_ruleset
from engine.detection.stateful.members import with_members
from engine.pipeline import Scanner
from engine.report import ScanReport
from engine.sources import SourceOptions
from engine.sources.local import open_local
from tests.helpers import REPO, SHARED, event


def scan(root: Path, *, lean: bool) -> tuple[list[dict[str, Any]], ScanReport, Scanner]:
    ruleset = load_ruleset([])
    rules = with_members(ruleset.selected(), ruleset.rules)
    findings: list[dict[str, Any]] = []
    scanner = Scanner(rules, findings.append, lean=lean)
    scanner.scan_blobs(open_local(str(root), SourceOptions()))
    return findings, scanner.finish(), scanner


def assert_same_scan(root: Path) -> list[dict[str, Any]]:
    full, full_stats, full_scanner = scan(root, lean=False)
    lean, lean_stats, lean_scanner = scan(root, lean=True)
    assert lean_scanner.lean is not None and full_scanner.lean is None
    assert lean == full
    assert lean_stats.events == full_stats.events
    assert [str(s) for s in lean_stats.unreadable] == [str(s) for s in full_stats.unreadable]
    assert lean_scanner.evaluator.errors == full_scanner.evaluator.errors
    assert lean_scanner.evaluator.suppressed == full_scanner.evaluator.suppressed
    # the point of it: far fewer records met a rule's condition with nothing lost
    assert lean_scanner.evaluator.evaluations == full_scanner.evaluator.evaluations
    return lean


def test_the_fixture_export_scans_the_same_lean() -> None:
    findings = assert_same_scan(REPO / "fixtures")
    assert len(findings) > 50


def test_a_busy_trail_with_few_risky_events_scans_the_same_lean(tmp_path: Path) -> None:
    """Mostly routine calls (which the lean path never parses), a few risky ones among them, and
    stateful bursts (denied EKS calls) whose windows read the routine events' times."""
    records = []
    for n in range(600):
        minute, second = divmod(n, 60)
        when = f"2026-11-20T10:{minute:02d}:{second:02d}Z"
        records.append(
            event(eventID=f"r-{n}", eventTime=when, eventSource="s3.amazonaws.com", eventName="GetObject")
        )
        if n % 50 == 7:
            records.append(
                event(
                    eventID=f"d-{n}",
                    eventTime=when,
                    eventSource="eks.amazonaws.com",
                    eventName="DescribeCluster",
                    errorCode="AccessDenied",
                )
            )
        if n % 97 == 3:
            records.append(
                event(
                    eventID=f"root-{n}",
                    eventTime=when,
                    userIdentity={"type": "Root", "accountId": "111122223333"},
                )
            )
    folder = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2026" / "11" / "20"
    folder.mkdir(parents=True)
    for part in range(0, len(records), 100):
        name = f"111122223333_CloudTrail_us-east-1_20261120T10{part // 100:02d}Z_x{part}.json.gz"
        (folder / name).write_bytes(
            gzip.compress(json.dumps({"Records": records[part : part + 100]}).encode())
        )
    findings = assert_same_scan(tmp_path)
    assert {f["rule_id"] for f in findings} >= {"ct-root-account-activity"}


@pytest.mark.shared
def test_the_shared_cloudtrail_samples_scan_the_same_lean() -> None:
    samples = SHARED / "data" / "cloudtrail-samples"
    if not samples.is_dir():
        pytest.skip(f"the shared CloudTrail samples are not at {samples} (../shared/ is absent)")
    assert_same_scan(samples)
