"""Lines a person reads on a terminal — `explain` and `rules list` — show what an attacker put in an
event or a file name (ANSI escapes, NUL, line separators) as visible escapes, never raw."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run
from tests.helpers import ROOT_IDENTITY, event, write_rules

CONTROLS = [chr(c) for c in [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]]
HOSTILE = "\x1b[2J\x1b]0;owned\x07\x00\u2028\x85x"

RULE = """
id: t-root
title: Root acts
description: Any call by root.
severity: high
match: {eventSource: eks.amazonaws.com}
condition: userIdentity.type == 'Root' && userAgent != null
"""


def _raw_controls(text: str) -> list[str]:
    return [c for c in CONTROLS if c in text]


def test_explain_writes_hostile_event_values_visibly(tmp_path: Path) -> None:
    """User agent, event id and an eventName that is a list (it used to crash the index check)."""
    write_rules(tmp_path, "rules/t.yml", RULE)
    events = [
        event(eventID="id" + HOSTILE, userIdentity=ROOT_IDENTITY, userAgent=HOSTILE),
        event(eventID="e2", eventName=["CreateCluster", HOSTILE], userIdentity=ROOT_IDENTITY),
    ]
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"Records": events}))
    result = run("explain", "t-root", str(path), "--no-bundled", "--rules", str(tmp_path / "rules"))
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode()
    assert "MATCH" in out and "Traceback" not in result.stderr.decode()
    assert _raw_controls(out) == [] and _raw_controls(result.stderr.decode()) == []
    assert "\\x1b[2J" in out and "\\u2028" in out


def test_rules_list_writes_a_hostile_file_name_visibly(tmp_path: Path) -> None:
    write_rules(tmp_path, "rules/evil\x1b[31m\u2028.yml", RULE)
    result = run("rules", "list", "--no-bundled", "--rules", str(tmp_path / "rules"))
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode()
    assert "t-root" in out and _raw_controls(out) == []
    assert "evil\\x1b[31m\\u2028.yml" in out
