"""The engine on single events: index, match, conditions, lists, macros, exceptions, overrides,
filters, Insights separation, per-rule error counting and the native finding."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from engine.detection.build import load_ruleset
from engine.detection.evaluator import Evaluator
from engine.detection.ruleset import RuleSet
from engine.findings.builder import build_finding
from engine.resources import schema_path
from engine.types import Origin
from tests.helpers import ROOT_IDENTITY, event, write_rules

PACK = """
kind: list
name: trusted_ips
values: ["203.0.113.10", "203.0.113.11"]
---
kind: macro
name: is_root
condition: userIdentity.type == 'Root'
---
id: root-eks
title: EKS action by root
description: Root acting on EKS.
severity: critical
tags: [attack.privilege_escalation, attack.t1078.004]
match:
  eventSource: eks.amazonaws.com
  eventName: [CreateCluster, DeleteCluster]
condition:
  all:
    - macro: is_root
    - not: "errorCode"
exceptions:
  - name: break-glass host
    condition: contains($trusted_ips, sourceIPAddress)
output: "cluster {requestParameters.name || requestParameters.clusterName} by {userIdentity.arn} from {sourceIPAddress}"
context:
  cluster: requestParameters.name || requestParameters.clusterName
---
id: any-denied
title: Access denied anywhere
description: Unpinned rule that sees every event.
severity: low
condition: errorCode == 'AccessDenied'
---
id: cidr-rule
title: Call from outside the corporate range
description: Uses a function that raises on null.
severity: medium
match: {eventSource: eks.amazonaws.com}
condition: "!cidr_match(sourceIPAddress, ['10.0.0.0/8', '2001:db8::/32']) && length(requestParameters.name) > `0`"
---
id: insight-rule
title: Unusual API call volume
description: Insights events only.
severity: medium
match: {eventType: AwsCloudTrailInsight}
condition: "insightDetails.state == 'Start'"
"""


def _ruleset(tmp_path: Path, extra: str = "") -> RuleSet:
    write_rules(tmp_path, "pack/rules.yml", PACK)
    if extra:
        write_rules(tmp_path, "tuning/tune.yml", extra)
    ruleset = load_ruleset([tmp_path], bundled=False)
    assert ruleset.ok, [str(e) for e in ruleset.errors]
    return ruleset


def _hits(ruleset: RuleSet, evt: dict) -> list[str]:
    return sorted(r.id for r in Evaluator(ruleset.selected()).evaluate(evt))


def test_root_rule_matches_through_macro_and_list_exception(tmp_path: Path) -> None:
    """Root creating a cluster matches; from a listed break-glass IP it is suppressed."""
    ruleset = _ruleset(tmp_path)
    assert _hits(ruleset, event(userIdentity=ROOT_IDENTITY)) == ["cidr-rule", "root-eks"]
    assert _hits(ruleset, event(userIdentity=ROOT_IDENTITY, sourceIPAddress="203.0.113.11")) == ["cidr-rule"]
    assert _hits(ruleset, event()) == ["cidr-rule"]
    assert _hits(ruleset, event(userIdentity=ROOT_IDENTITY, errorCode="AccessDenied")) == [
        "any-denied",
        "cidr-rule",
    ]


def test_index_gives_each_event_only_its_rules(tmp_path: Path) -> None:
    """An IAM event never meets EKS-pinned rules; unpinned rules see it."""
    ruleset = _ruleset(tmp_path)
    evaluator = Evaluator(ruleset.selected())
    candidates = evaluator.index.candidates("iam.amazonaws.com", "DeleteRole", False)
    assert [r.id for r in candidates] == ["any-denied"]
    eks = evaluator.index.candidates("eks.amazonaws.com", "CreateCluster", False)
    assert sorted(r.id for r in eks) == ["any-denied", "cidr-rule", "root-eks"]


def test_insights_events_meet_only_insight_rules(tmp_path: Path) -> None:
    """An Insights record about CreateCluster is not an API call: only the Insights rule sees it."""
    ruleset = _ruleset(tmp_path)
    insight = event(
        userIdentity=ROOT_IDENTITY, eventType="AwsCloudTrailInsight", insightDetails={"state": "Start"}
    )
    assert _hits(ruleset, insight) == ["insight-rule"]
    assert _hits(ruleset, event(insightDetails={"state": "Start"})) == ["cidr-rule"]


def test_condition_error_counts_as_no_match_per_rule(tmp_path: Path) -> None:
    """length(null) raises: no match for that event, one error counted for that rule, the rest go on."""
    ruleset = _ruleset(tmp_path)
    evaluator = Evaluator(ruleset.selected())
    broken = event(requestParameters=None, userIdentity=ROOT_IDENTITY)
    assert sorted(r.id for r in evaluator.evaluate(broken)) == ["root-eks"]
    assert evaluator.errors == {"cidr-rule": 1}
    assert "length" in evaluator.error_samples["cidr-rule"]


def test_override_changes_severity_disables_and_appends_exceptions(tmp_path: Path) -> None:
    """A user file tunes bundled rules by id without forking them."""
    ruleset = _ruleset(
        tmp_path,
        """
        kind: override
        rule: root-eks
        severity: high
        exceptions:
          - name: lab account
            condition: recipientAccountId == '999999999999'
        ---
        kind: override
        rule: any-denied
        disable: true
        """,
    )
    root = ruleset.get("root-eks")
    assert root is not None and root.severity == "high"
    assert [r.id for r in ruleset.selected()] == ["root-eks", "cidr-rule", "insight-rule"]
    lab = event(userIdentity=ROOT_IDENTITY, recipientAccountId="999999999999")
    assert _hits(ruleset, lab) == ["cidr-rule"]


def test_filter_applies_to_rules_by_glob_and_tag(tmp_path: Path) -> None:
    """One allowlist suppresses findings of every rule it selects, and only those."""
    ruleset = _ruleset(
        tmp_path,
        """
        kind: filter
        name: deploy role
        applies_to: ["tag:attack.privilege_escalation", "cidr-*"]
        condition: "userIdentity.sessionContext.sessionIssuer.userName == 'deploy'"
        """,
    )
    deploy = event(
        userIdentity={**ROOT_IDENTITY, "sessionContext": {"sessionIssuer": {"userName": "deploy"}}}
    )
    assert _hits(ruleset, deploy) == []
    assert _hits(ruleset, event(userIdentity=ROOT_IDENTITY)) == ["cidr-rule", "root-eks"]


def test_select_exclude_and_min_severity(tmp_path: Path) -> None:
    """--select/--exclude take ids, globs and tag:…; --min-severity drops lower rules."""
    ruleset = _ruleset(tmp_path)
    assert [r.id for r in ruleset.selected(select=["tag:attack.t1078*"])] == ["root-eks"]
    assert [r.id for r in ruleset.selected(exclude=["*-rule"])] == ["root-eks", "any-denied"]
    assert [r.id for r in ruleset.selected(min_severity="medium")] == [
        "root-eks",
        "cidr-rule",
        "insight-rule",
    ]


def test_finding_is_valid_and_its_id_is_stable(tmp_path: Path) -> None:
    """The native finding validates against its schema; the same rule and event give the same id."""
    ruleset = _ruleset(tmp_path)
    rule = ruleset.get("root-eks")
    assert rule is not None
    evt = event(userIdentity=ROOT_IDENTITY)
    finding = build_finding(rule, evt, Origin("f.json.gz", 3))
    schema = json.loads(schema_path("finding.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(finding)
    assert finding["title"] == "cluster prod by arn:aws:iam::111122223333:root from 198.51.100.7"
    assert finding["context"] == {"cluster": "prod"}
    assert finding["actor"]["type"] == "Root"
    again = build_finding(rule, dict(evt), Origin("other.json", 0), evidence=False)
    assert again["finding_id"] == finding["finding_id"]
    assert "event" not in again
    other = build_finding(rule, event(userIdentity=ROOT_IDENTITY, eventID="x-2"), Origin("f", 0))
    assert other["finding_id"] != finding["finding_id"]


def test_output_falls_back_to_unknown_for_missing_fields(tmp_path: Path) -> None:
    """Older events name the cluster clusterName; absent fields render as 'unknown', never fail."""
    ruleset = _ruleset(tmp_path)
    rule = ruleset.get("root-eks")
    assert rule is not None
    old = event(userIdentity=ROOT_IDENTITY, requestParameters={"clusterName": "legacy"}, sourceIPAddress=None)
    assert rule.render_title(old) == "cluster legacy by arn:aws:iam::111122223333:root from unknown"
