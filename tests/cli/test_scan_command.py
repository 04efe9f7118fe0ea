"""`trailwarden scan` end to end through the real command: findings, exit codes 0/1/2/3, summary."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import jsonschema

from engine.resources import schema_path
from tests.cli.conftest import findings, run
from tests.helpers import ROOT_IDENTITY, event, write_rules


def test_findings_and_exit_0(export: Path) -> None:
    """Two matching events give two valid findings on stdout, a summary on stderr, exit 0."""
    result = run("scan", "--no-bundled", "--rules", str(export / "rules"), str(export / "AWSLogs"))
    assert result.returncode == 0, result.stderr.decode()
    out = findings(result)
    assert sorted(f["rule_id"] for f in out) == ["test-denied", "test-root-eks"]
    validator = jsonschema.Draft202012Validator(json.loads(schema_path("finding.schema.json").read_text()))
    for finding in out:
        validator.validate(finding)
    root = next(f for f in out if f["rule_id"] == "test-root-eks")
    assert root["title"] == "CreateCluster by root on prod"
    assert root["origin"]["source"].endswith("_a.json.gz") and root["origin"]["index"] == 0
    summary = result.stderr.decode()
    assert "Scanned 1 file(s), 3 event(s) with 2 rule(s)" in summary
    assert "events/s" in summary and "test-root-eks" in summary


def test_fail_on_gives_exit_1(export: Path) -> None:
    """A finding at or above --fail-on makes the exit code 1; below it, 0."""
    base = ["scan", "--no-bundled", "--rules", str(export / "rules"), str(export / "AWSLogs")]
    assert run(*base, "--fail-on", "critical").returncode == 1
    assert run(*base, "--fail-on", "critical", "--exclude", "test-root-eks").returncode == 0


def test_bad_usage_and_bad_rules_give_exit_2(export: Path) -> None:
    """No source, or an invalid rule file: exit 2 and nothing on stdout."""
    assert run("scan").returncode == 2
    write_rules(export, "bad/r.yml", "id: x\ntitle: t\ndescription: d\nseverity: nope\ncondition: a\n")
    result = run("scan", "--no-bundled", "--rules", str(export / "bad"), str(export / "AWSLogs"))
    assert result.returncode == 2
    assert result.stdout == b""
    assert "r.yml:4:11: error:" in result.stderr.decode()


def test_unreadable_input_gives_exit_3_and_is_listed(export: Path) -> None:
    """A truncated gzip is named in the summary; the good file's findings still come out; exit 3."""
    bad = export / "AWSLogs/broken.json.gz"
    bad.write_bytes(gzip.compress(b'{"Records": [' + b"{}," * 1000)[:200])
    result = run("scan", "--no-bundled", "--rules", str(export / "rules"), str(export / "AWSLogs"))
    assert result.returncode == 3
    assert len(findings(result)) == 2
    stderr = result.stderr.decode()
    # the records cut out of the broken file are skipped one by one (they are not events), then the cut
    assert "input(s) that could not be read" in stderr and "truncated JSON" in stderr
    assert "broken.json.gz" in stderr


def test_stdin_and_no_evidence(export: Path) -> None:
    """'-' reads JSON lines from stdin; --no-evidence leaves the record out."""
    lines = b"\n".join(
        json.dumps(event(eventID=f"s{i}", userIdentity=ROOT_IDENTITY)).encode() for i in range(3)
    )
    result = run("scan", "--no-bundled", "--rules", str(export / "rules"), "--no-evidence", "-", stdin=lines)
    assert result.returncode == 0, result.stderr.decode()
    out = findings(result)
    assert [f["event_id"] for f in out] == ["s0", "s1", "s2"]
    assert all("event" not in f for f in out)
    assert all(f["origin"]["source"] == "-" and f["origin"]["line"] == i + 1 for i, f in enumerate(out))


def test_since_until_accounts_regions_filter_events(export: Path) -> None:
    """The time, account and region options apply to each event, and the summary counts those left out."""
    base = ["scan", "--no-bundled", "--rules", str(export / "rules"), str(export / "AWSLogs")]
    later = run(*base, "--since", "2026-11-20T10:05:01Z")
    assert later.returncode == 0 and findings(later) == []
    assert "Left out 3 event(s) outside --since/--until/--accounts/--regions." in later.stderr.decode()
    window = run(*base, "--since", "2026-11-20T10:05:00Z", "--until", "2026-11-20T10:05:01Z")
    assert len(findings(window)) == 2
    assert findings(run(*base, "--accounts", "999999999999")) == []
    assert len(findings(run(*base, "--regions", "us-east-1", "--accounts", "111122223333"))) == 2


def test_an_event_delivered_twice_gives_one_finding_with_state(export: Path, tmp_path: Path) -> None:
    """With --state, an eventID seen before (in another file, or an earlier run) is passed over."""
    again = export / "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/again.json"
    again.write_text(json.dumps({"Records": [event(eventID="e1", userIdentity=ROOT_IDENTITY)]}))
    base = ["scan", "--no-bundled", "--rules", str(export / "rules"), str(export / "AWSLogs")]
    plain = findings(run(*base))
    assert [f["event_id"] for f in plain].count("e1") == 2  # the same finding_id twice: upserted downstream
    state = str(tmp_path / "state.db")
    first = run(*base, "--state", state)
    assert [f["event_id"] for f in findings(first)].count("e1") == 1
    assert "Passed over 1 event(s) delivered twice" in first.stderr.decode()
    rerun = run(*base, "--state", state)
    assert findings(rerun) == []  # every id was stored once its findings were out
