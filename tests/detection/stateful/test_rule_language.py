"""The stateful parts of the rule language are checked when rules load (each mistake located and
explained), and `trailwarden test` runs stateful rule tests: a sequence of events and the number
of findings it must make, correlations with their member rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import cli
from engine.detection.build import load_ruleset
from tests.helpers import write_rules

MEMBER = """
id: member-a
title: A
description: member.
severity: low
match: {eventSource: eks.amazonaws.com, eventName: CreateAccessEntry}
condition: "!errorCode"
---
id: member-b
title: B
description: member.
severity: low
match: {eventSource: eks.amazonaws.com, eventName: AssociateAccessPolicy}
condition: "!errorCode"
"""

CORRELATION_HEAD = """
---
kind: correlation
id: corr
title: C
description: correlation under test.
severity: high
timespan: 5m
"""


def _errors(tmp_path: Path, text: str) -> list[str]:
    write_rules(tmp_path, "rules/r.yml", text)
    return [str(e) for e in load_ruleset([tmp_path / "rules"], bundled=False).errors]


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("type: value_count\nrules: [member-a]\ncondition: {gte: 2}\n", 24, "needs condition.field"),
        ("type: event_count\nrules: [member-a]\n", 16, "an event_count correlation needs a condition"),
        (
            "type: event_count\nrules: [member-a]\ncondition: {gte: 2, field: x}\n",
            24,
            "field is for value_count",
        ),
        (
            "type: temporal_ordered\nrules: [member-a, member-b]\ncondition: {gte: 2}\n",
            24,
            "takes no condition",
        ),
        ("type: temporal\nrules: [member-a, member-b]\ncondition: {lt: 2}\n", 24, "use gte or gt"),
        ("type: temporal\nrules: [member-a, member-a]\n", 23, "joins at least two rules"),
        ("type: temporal\nrules: [member-a, member-b]\ngroup-by: ['a ||']\n", 24, "JMESPath syntax error"),
        ("type: temporal\nrules: [member-a, nobody]\n", 23, "unknown rule 'nobody'"),
    ],
)
def test_correlation_mistakes_are_located_load_errors(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    """Each wrong correlation is one error at the line of the offending key, saying what is wrong."""
    errors = _errors(tmp_path, MEMBER + CORRELATION_HEAD + body)
    assert len(errors) == 1, errors
    assert f"r.yml:{line}:" in errors[0] and message in errors[0], errors


def test_dedup_and_threshold_together_are_refused(tmp_path: Path) -> None:
    """A rule takes dedup or threshold, not both; the error points at threshold."""
    text = MEMBER + "threshold: {count: 3, window: 5m}\ndedup: {key: [eventName], window: 1h}\n"
    (error,) = _errors(tmp_path, text)
    assert "r.yml:14:" in error and "dedup or threshold, not both" in error


def test_a_correlation_of_correlations_is_refused(tmp_path: Path) -> None:
    """Correlations join rules, not other correlations (no chaining)."""
    text = (
        MEMBER
        + CORRELATION_HEAD
        + "type: temporal\nrules: [member-a, member-b]\n"
        + textwrap.dedent(
            """
        ---
        kind: correlation
        id: corr2
        title: C2
        description: on top.
        severity: high
        timespan: 5m
        type: event_count
        rules: [corr]
        condition: {gte: 2}
        """
        )
    )
    (error,) = _errors(tmp_path, text)
    assert "refers to another correlation, 'corr'" in error


TESTED = """
id: burst
title: Burst
description: three denied calls in a minute.
severity: medium
match: {eventSource: eks.amazonaws.com}
condition: "errorCode == 'AccessDenied'"
threshold: {count: 3, window: 1m, group_by: [userIdentity.arn]}
tests:
  - name: three in a minute
    expect: match
    findings: 1
    events:
      - {eventSource: eks.amazonaws.com, eventName: ListClusters, errorCode: AccessDenied, eventTime: "2026-11-20T10:00:00Z", eventID: e1, userIdentity: {arn: x}}
      - {eventSource: eks.amazonaws.com, eventName: ListClusters, errorCode: AccessDenied, eventTime: "2026-11-20T10:00:30Z", eventID: e2, userIdentity: {arn: x}}
      - {eventSource: eks.amazonaws.com, eventName: ListClusters, errorCode: AccessDenied, eventTime: "2026-11-20T10:00:59Z", eventID: e3, userIdentity: {arn: x}}
  - name: three over a minute and more
    expect: no-match
    events:
      - {eventSource: eks.amazonaws.com, eventName: ListClusters, errorCode: AccessDenied, eventTime: "2026-11-20T10:00:00Z", eventID: e1, userIdentity: {arn: x}}
      - {eventSource: eks.amazonaws.com, eventName: ListClusters, errorCode: AccessDenied, eventTime: "2026-11-20T10:00:30Z", eventID: e2, userIdentity: {arn: x}}
      - {eventSource: eks.amazonaws.com, eventName: ListClusters, errorCode: AccessDenied, eventTime: "2026-11-20T10:01:00Z", eventID: e3, userIdentity: {arn: x}}
---
id: member-a
title: A
description: member.
severity: low
generate: false
match: {eventSource: eks.amazonaws.com, eventName: CreateAccessEntry}
condition: "!errorCode"
tests:
  - {name: an entry, expect: match, event: {eventSource: eks.amazonaws.com, eventName: CreateAccessEntry}}
---
id: member-b
title: B
description: member.
severity: low
generate: false
match: {eventSource: eks.amazonaws.com, eventName: AssociateAccessPolicy}
condition: "!errorCode"
tests:
  - {name: a grant, expect: match, event: {eventSource: eks.amazonaws.com, eventName: AssociateAccessPolicy}}
---
kind: correlation
id: pair
title: Entry then grant
description: ordered pair.
severity: high
type: temporal_ordered
rules: [member-a, member-b]
group-by: [userIdentity.arn]
timespan: 5m
tests:
  - name: entry then grant
    expect: match
    findings: 1
    events:
      - {eventSource: eks.amazonaws.com, eventName: CreateAccessEntry, eventTime: "2026-11-20T10:00:00Z", eventID: a, userIdentity: {arn: x}}
      - {eventSource: eks.amazonaws.com, eventName: AssociateAccessPolicy, eventTime: "2026-11-20T10:01:00Z", eventID: b, userIdentity: {arn: x}}
  - name: grant then entry
    expect: no-match
    events:
      - {eventSource: eks.amazonaws.com, eventName: AssociateAccessPolicy, eventTime: "2026-11-20T10:00:00Z", eventID: b, userIdentity: {arn: x}}
      - {eventSource: eks.amazonaws.com, eventName: CreateAccessEntry, eventTime: "2026-11-20T10:01:00Z", eventID: a, userIdentity: {arn: x}}
"""


def test_stateful_rule_tests_pass_through_trailwarden_test(tmp_path: Path) -> None:
    """Threshold and correlation tests (event sequences, finding counts) run and pass."""
    path = write_rules(tmp_path, "rules/r.yml", TESTED)
    result = CliRunner().invoke(cli, ["test", str(path), "-v"])
    assert result.exit_code == 0, result.output
    assert "PASS pair: entry then grant" in result.output
    assert "PASS burst: three over a minute and more" in result.output
    assert "6 passed, 0 failed" in result.output


def test_a_wrong_finding_count_fails_with_what_was_made(tmp_path: Path) -> None:
    """A stateful test expecting 2 findings where the sequence makes 1 fails and says how many were made."""
    path = write_rules(tmp_path, "rules/r.yml", TESTED.replace("    findings: 1\n", "    findings: 2\n", 1))
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "burst: three in a minute" in result.output
    assert "made 1 finding(s) where the test expects 2" in result.output


MERGED = """
id: merged
title: M
description: rule whose test events share fields through a YAML merge key.
severity: low
match: {eventSource: eks.amazonaws.com}
condition: "errorCode == 'AccessDenied'"
threshold: {count: 2, window: 1m}
tests:
  - name: two refusals, the second written as the first with a later time
    expect: match
    findings: 1
    events:
      - &first {eventSource: eks.amazonaws.com, errorCode: AccessDenied, eventTime: "2026-11-20T10:00:00Z", eventID: a}
      - {<<: *first, eventTime: "2026-11-20T10:00:30Z", eventID: b}
  - name: the twin, reusing the second through an alias of an alias
    expect: no-match
    events:
      - &later {<<: *first, eventTime: "2026-11-20T10:05:00Z", eventID: c}
      - {<<: *later, eventTime: "2026-11-20T10:07:00Z", eventID: d}
"""


def test_yaml_merge_keys_may_override_fields_of_an_anchored_event(tmp_path: Path) -> None:
    """Stateful tests write sequences as `{<<: *first, eventTime: …}`: overriding a merged key is
    fine (even when the merged node is reused), writing the same key twice is still an error."""
    path = write_rules(tmp_path, "rules/r.yml", MERGED)
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 passed, 0 failed" in result.output
    twice = MERGED.replace("eventID: b}", "eventID: b, eventID: x}")
    assert any("duplicate key 'eventID'" in e for e in _errors(tmp_path, twice))
