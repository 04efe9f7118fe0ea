"""A record whose fields have unexpected types is evaluated as far as it can be — a list or an
object simply equals no rule's string — and never stops the scan: through the real command, on real
files, beside good files whose findings must all still come out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.detection.build import load_ruleset
from engine.findings.builder import build_finding
from engine.types import Origin
from tests.cli.conftest import findings, run
from tests.helpers import ROOT_IDENTITY, event, write_rules

RULES = """
id: t-eks-root-create
title: Root creates a cluster
description: Pinned on eventSource and eventName.
severity: high
match: {eventSource: eks.amazonaws.com, eventName: CreateCluster}
condition: userIdentity.type == 'Root'
---
id: t-root-anything
title: Root does anything
description: Pinned on no eventSource, keyed on userIdentity.type.
severity: low
match: {userIdentity.type: Root}
condition: eventTime != null || eventTime == null
"""


def _root(event_id: str, **overrides: Any) -> dict[str, Any]:
    return event(**{"eventID": event_id, "userIdentity": dict(ROOT_IDENTITY), **overrides})


def _hostile() -> dict[str, list[dict[str, Any]]]:
    """Each file: one record with a wrong-typed field, then a good one."""
    session_string = _root("bad-session")
    session_string["userIdentity"]["sessionContext"] = "not an object"
    return {
        "name-list": [_root("bad-name", eventName=["CreateCluster"]), _root("good-1")],
        "source-object": [_root("bad-source", eventSource={"eks": 1}), _root("good-2")],
        "session-string": [session_string, _root("good-3")],
        "time-number": [_root("bad-time", eventTime=1764000000), _root("good-4")],
        "identity-list": [_root("bad-identity", userIdentity=["Root"]), _root("good-5")],
    }


@pytest.mark.parametrize("layout", ["delivery", "json-lines"])
def test_wrong_typed_fields_never_stop_the_scan(tmp_path: Path, layout: str) -> None:
    """Every good record of every file gives its findings, each odd record gives what its fields
    allow, and the scan exits 0 with no traceback — with --state, which reads eventTime."""
    write_rules(tmp_path, "rules/t.yml", RULES)
    data = tmp_path / "data"
    data.mkdir()
    (data / "a-good.json").write_text(json.dumps({"Records": [_root("good-0")]}))
    for name, records in _hostile().items():
        if layout == "delivery":
            (data / f"{name}.json").write_text(json.dumps({"Records": records}))
        else:
            (data / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    result = run(
        "scan",
        "--no-bundled",
        "--rules",
        str(tmp_path / "rules"),
        "--state",
        str(tmp_path / "s.db"),
        str(data),
    )
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr and "could not be decoded" not in stderr
    got = sorted((f["event_id"], f["rule_id"]) for f in findings(result))
    both = ["t-eks-root-create", "t-root-anything"]
    expected = [(f"good-{i}", rule) for i in range(6) for rule in both]
    expected += [("bad-name", "t-root-anything"), ("bad-source", "t-root-anything")]
    expected += [("bad-session", rule) for rule in both] + [("bad-time", rule) for rule in both]
    assert got == sorted(expected)
    session = next(f for f in findings(result) if f["event_id"] == "bad-session")
    assert session["actor"]["type"] == "Root" and session["actor"]["user_name"] is None


def test_a_finding_id_is_made_for_text_no_decoder_would_give() -> None:
    """A lone surrogate or an integer past 64 bits (a record built by an API client's own JSON
    parser) still gets a stable finding id (found by the fuzz campaign)."""
    rule = load_ruleset([], bundled=True).rules[0]
    for odd in ({"eventID": "\ud800"}, {"eventID": "", "userAgent": "\ud800"}, {"n": 2**70}):
        record = {**event(), **odd}
        first = build_finding(rule, record, Origin("f.json", 0))
        assert first["finding_id"] == build_finding(rule, record, Origin("f.json", 0))["finding_id"]
