"""Where trailwarden and the SQL reading of a Sigma rule differ, and why Sigma's meaning is
trailwarden's: each difference listed in docs/sigma.md is pinned here, the reference's answer
beside trailwarden's, so neither drifts unnoticed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sigma.collection import SigmaCollection
from sigma.rule import SigmaRule

from tests.helpers import REPO
from tests.sigma.reference import Reference, fields_of, trailwarden_flags

RULE_ID = "0c0c0c0c-0000-4000-8000-000000000002"


def _both(
    tmp_path: Path, detection: dict[str, Any], events: list[dict[str, Any]]
) -> tuple[set[int], set[int]]:
    """(what the SQL reference flags, what trailwarden flags) for one rule over `events`."""
    data = {
        "title": "difference",
        "id": RULE_ID,
        "logsource": {"product": "aws", "service": "cloudtrail"},
        "detection": detection,
        "level": "low",
    }
    parsed = SigmaCollection.from_dicts([data]).rules[0]
    assert isinstance(parsed, SigmaRule)
    reference = Reference(events, fields_of(parsed))
    path = tmp_path / "rule.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return reference.flagged(parsed), trailwarden_flags([path], events)[RULE_ID]


def test_a_list_field_matches_when_an_element_matches(tmp_path: Path) -> None:
    """`resources.ARN: x` over a list: Sigma (and trailwarden) match an element; SQL sees JSON text."""
    events = [{"requestParameters": {"instancesSet": ["i-1", "i-2"]}}]
    sql, ours = _both(
        tmp_path, {"sel": {"requestParameters.instancesSet": "i-2"}, "condition": "sel"}, events
    )
    assert (sql, ours) == (set(), {0})


def test_a_list_on_the_way_down_is_walked_through(tmp_path: Path) -> None:
    """`requestParameters.containerDefinitions.command` goes through the list CloudTrail writes."""
    events = [{"requestParameters": {"containerDefinitions": [{"command": ["sh", "-c", "curl $X"]}]}}]
    detection = {
        "sel": {"requestParameters.containerDefinitions.command|contains": "curl"},
        "condition": "sel",
    }
    sql, ours = _both(tmp_path, detection, events)
    assert (sql, ours) == (set(), {0})


def test_a_string_value_matches_a_number_written_the_same(tmp_path: Path) -> None:
    """`port: '22'` matches the JSON number 22, as a SIEM indexing text would; SQLite's `=` does not
    compare text with an integer."""
    events = [{"requestParameters": {"port": 22}}]
    sql, ours = _both(tmp_path, {"sel": {"requestParameters.port": "22"}, "condition": "sel"}, events)
    assert (sql, ours) == (set(), {0})


def test_gt_compares_numbers_only(tmp_path: Path) -> None:
    """`|gt: 5` on a text that is no number: SQLite orders every text after every number (true);
    Sigma compares numbers (false). A numeric string compares as its number."""
    events = [{"requestParameters": {"size": "large"}}, {"requestParameters": {"size": "7"}}]
    sql, ours = _both(tmp_path, {"sel": {"requestParameters.size|gt": 5}, "condition": "sel"}, events)
    assert (sql, ours) == ({0, 1}, {1})


def test_true_does_not_match_the_number_one(tmp_path: Path) -> None:
    events = [{"requestParameters": {"enabled": 1}}, {"requestParameters": {"enabled": True}}]
    sql, ours = _both(tmp_path, {"sel": {"requestParameters.enabled": True}, "condition": "sel"}, events)
    assert (sql, ours) == ({0, 1}, {1})


def test_case_is_ignored_beyond_ascii(tmp_path: Path) -> None:
    """SQLite's NOCASE and LIKE fold A-Z only; Sigma's case-insensitivity is not ASCII's."""
    events = [{"userAgent": "ÉQUIPE-tool"}]
    sql, ours = _both(tmp_path, {"sel": {"userAgent|startswith": "équipe"}, "condition": "sel"}, events)
    assert (sql, ours) == (set(), {0})


def test_a_keyword_wildcard_does_not_span_two_values(tmp_path: Path) -> None:
    """Keywords search each value of the event; SQL searches one text of all values, where `a*b`
    finds `a` in one field and `b` in another."""
    events = [{"userAgent": "alpha", "errorCode": "beta"}]
    sql, ours = _both(tmp_path, {"keywords": ["alpha*beta"], "condition": "keywords"}, events)
    assert (sql, ours) == ({0}, set())


def test_every_difference_tested_here_is_in_the_docs() -> None:
    doc = (REPO / "docs" / "sigma.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(test_[a-z_]+)`", doc))
    tests = {
        name
        for name in globals()
        if name.startswith("test_") and name != "test_every_difference_tested_here_is_in_the_docs"
    }
    assert tests <= named, f"not in docs/sigma.md: {sorted(tests - named)}"


@pytest.mark.parametrize("name", ["ConsoleLogin", "consolelogin"])
def test_index_pins_follow_cloudtrail_spelling(tmp_path: Path, name: str) -> None:
    """`eventName: ConsoleLogin` pins the rule to CloudTrail's spelling; `consolelogin` (no capital)
    cannot say which spelling it means and leaves the rule unpinned, still matching the event."""
    events = [{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin"}]
    sql, ours = _both(tmp_path, {"sel": {"eventName": name}, "condition": "sel"}, events)
    assert sql == ours == {0}
