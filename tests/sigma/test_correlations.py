"""Sigma correlations and filters run on trailwarden's stateful engine and filter machinery: base
rules named by id, name or title, `generate`, group-by, timespan, conditions, aliases."""

from __future__ import annotations

from pathlib import Path

from engine.detection.build import load_ruleset
from tests.detection.stateful.support import ALICE, BOB, by_rule, call, run, runnable
from tests.helpers import write_rules

ENTRY = "1a1a1a1a-0000-4000-8000-00000000000a"
ADMIN = "1a1a1a1a-0000-4000-8000-00000000000b"
BACKDOOR = "1a1a1a1a-0000-4000-8000-00000000000c"
MANY = "1a1a1a1a-0000-4000-8000-00000000000d"
SPREAD = "1a1a1a1a-0000-4000-8000-00000000000e"

BASE = f"""
title: EKS access entry created
id: {ENTRY}
name: entry_created
logsource: {{product: aws, service: cloudtrail}}
detection:
  sel:
    eventSource: eks.amazonaws.com
    eventName: CreateAccessEntry
  condition: sel
level: low
---
title: EKS admin policy associated
id: {ADMIN}
logsource: {{product: aws, service: cloudtrail}}
detection:
  sel:
    eventSource: eks.amazonaws.com
    eventName: AssociateAccessPolicy
    requestParameters.policyArn|endswith: ClusterAdminPolicy
  condition: sel
level: medium
"""

CORRELATIONS = f"""
title: Backdoor access entry
id: {BACKDOOR}
correlation:
  type: temporal_ordered
  rules: [entry_created, EKS admin policy associated]
  group-by: [userIdentity.arn, requestParameters.clusterName]
  timespan: 10m
level: high
---
title: Many entries
id: {MANY}
correlation:
  type: event_count
  rules: [{ENTRY.upper()}]
  group-by: [userIdentity.arn]
  timespan: 1h
  condition: {{gte: 3}}
  generate: true
level: high
---
title: Entries on many clusters
id: {SPREAD}
correlation:
  type: value_count
  rules: [entry_created]
  group-by: [actor]
  aliases:
    actor:
      entry_created: userIdentity.arn
  timespan: 1h
  condition: {{gte: 2, field: requestParameters.clusterName}}
  generate: true
level: medium
"""

POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def entry(seconds: float, arn: str = ALICE, cluster: str = "prod") -> dict[str, object]:
    return call("CreateAccessEntry", seconds, arn, requestParameters={"clusterName": cluster})


def grant(seconds: float, arn: str = ALICE, cluster: str = "prod") -> dict[str, object]:
    return call(
        "AssociateAccessPolicy", seconds, arn, requestParameters={"clusterName": cluster, "policyArn": POLICY}
    )


def _rules(tmp_path: Path, *texts: str):  # type: ignore[no-untyped-def]
    for i, text in enumerate(texts):
        write_rules(tmp_path, f"sigma/{i}.yml", text)
    ruleset = load_ruleset([tmp_path / "sigma"], bundled=False)
    assert ruleset.ok, [str(e) for e in ruleset.errors]
    return ruleset


def test_temporal_ordered_joins_rules_named_by_name_and_by_title(tmp_path: Path) -> None:
    """Entry then admin grant, same actor and cluster, within 10 minutes: one finding with both events."""
    rules = runnable(_rules(tmp_path, BASE, CORRELATIONS))
    first, second = entry(0), grant(240)
    findings, _ = run(rules, [first, second])
    (finding,) = by_rule(findings, BACKDOOR)
    assert finding["event_ids"] == [first["eventID"], second["eventID"]]
    assert finding["severity"] == "high"
    assert by_rule(run(rules, [grant(0), entry(60)])[0], BACKDOOR) == []  # the wrong order
    assert by_rule(run(rules, [entry(0), grant(60, BOB)])[0], BACKDOOR) == []  # another actor


def test_rules_a_correlation_joins_make_no_findings_unless_it_says_generate(tmp_path: Path) -> None:
    rules = runnable(_rules(tmp_path, BASE, CORRELATIONS))
    findings, _ = run(rules, [entry(0), grant(60)])
    assert by_rule(findings, ADMIN) == []  # only the backdoor correlation joins it, generate: false
    assert len(by_rule(findings, ENTRY)) == 1  # `Many entries` says generate: true


def test_event_count_and_value_count_with_an_alias(tmp_path: Path) -> None:
    rules = runnable(_rules(tmp_path, BASE, CORRELATIONS))
    findings, _ = run(rules, [entry(0, cluster="a"), entry(60, cluster="b"), entry(120, cluster="b")])
    assert len(by_rule(findings, MANY)) == 1
    (spread,) = by_rule(findings, SPREAD)
    assert spread["count"] >= 2
    findings, _ = run(rules, [entry(0), entry(4000), entry(8000)])  # an hour apart: no window holds 3
    assert by_rule(findings, MANY) == []


def test_a_correlation_naming_an_unknown_rule_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = CORRELATIONS.replace("[entry_created, EKS admin policy associated]", "[entry_created, nope]")
    write_rules(tmp_path, "sigma/0.yml", BASE)
    path = write_rules(tmp_path, "sigma/1.yml", text)
    ruleset = load_ruleset([tmp_path / "sigma"], bundled=False)
    (error,) = ruleset.errors
    assert "refers to rule 'nope'" in error.message
    assert error.location is not None and error.location.path.endswith(path.name) and error.location.line == 5


def test_unsupported_correlation_types_are_reported_at_their_line(tmp_path: Path) -> None:
    text = """
title: Sum
id: 1a1a1a1a-0000-4000-8000-0000000000ff
correlation:
  type: value_sum
  rules: [entry_created]
  group-by: [userIdentity.arn]
  timespan: 1h
  condition: {gte: 2, field: requestParameters.size}
"""
    write_rules(tmp_path, "sigma/0.yml", BASE)
    write_rules(tmp_path, "sigma/1.yml", text)
    ruleset = load_ruleset([tmp_path / "sigma"], bundled=False)
    (error,) = ruleset.errors
    assert "value_sum" in error.message and error.location is not None and error.location.line == 4


FILTER = f"""
title: Not our deploy role
id: 2b2b2b2b-0000-4000-8000-000000000001
logsource: {{product: aws, service: cloudtrail}}
filter:
  rules: [{ENTRY}]
  deploy:
    userIdentity.arn|endswith: /deployer
  condition: not deploy
"""


def test_a_sigma_filter_suppresses_the_rules_it_names(tmp_path: Path) -> None:
    ruleset = _rules(tmp_path, BASE, FILTER)
    rules = runnable(ruleset)
    deployer = "arn:aws:sts::111122223333:assumed-role/ci/deployer"
    findings, _ = run(rules, [entry(0), entry(10, arn=deployer)])
    assert [f["event_id"] for f in by_rule(findings, ENTRY)] == [entry(0)["eventID"]]
    rule = ruleset.get(ENTRY)
    assert rule is not None and [s.name for s in rule.suppressors] == [
        "filter 2b2b2b2b-0000-4000-8000-000000000001"
    ]


def test_native_tuning_names_sigma_rules_by_id(tmp_path: Path) -> None:
    override = f"kind: override\nrule: {ENTRY}\nseverity: critical\nexceptions:\n  - name: prod only\n    condition: \"requestParameters.clusterName == 'dev'\"\n"
    ruleset = _rules(tmp_path, BASE, override)
    findings, _ = run(runnable(ruleset), [entry(0), entry(10, cluster="dev")])
    (finding,) = by_rule(findings, ENTRY)
    assert finding["severity"] == "critical"


AGGREGATION = """
title: Many denied EKS calls
id: 5e5e5e5e-0000-4000-8000-000000000001
status: unsupported
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: eks.amazonaws.com
    errorCode: AccessDenied
  timeframe: 5m
  condition: selection | count() by userIdentity.arn > 2
level: low
"""


def test_a_deprecated_count_aggregation_runs_as_a_threshold(tmp_path: Path) -> None:
    """`selection | count() by userIdentity.arn > 2` in 5m: the third denied call of one actor
    within five minutes makes one finding; another actor's calls do not add up with it."""
    ruleset = _rules(tmp_path, AGGREGATION)
    (note,) = ruleset.warnings
    assert "runs as a threshold: 3 matching event(s) within 5m per userIdentity.arn" in note.message
    rules = runnable(ruleset)

    def denied(seconds: float, arn: str = ALICE) -> dict[str, object]:
        return call("ListClusters", seconds, arn, errorCode="AccessDenied")

    findings, _ = run(rules, [denied(0), denied(10, BOB), denied(20), denied(30, BOB), denied(40)])
    (finding,) = by_rule(findings, "5e5e5e5e-0000-4000-8000-000000000001")
    assert finding["count"] == 3
    findings, _ = run(rules, [denied(0), denied(400), denied(800)])  # never three within 5m
    assert by_rule(findings, "5e5e5e5e-0000-4000-8000-000000000001") == []


def test_other_deprecated_aggregations_are_refused_at_their_line(tmp_path: Path) -> None:
    write_rules(tmp_path, "sigma/0.yml", AGGREGATION.replace("count() by userIdentity.arn > 2", "near other"))
    ruleset = load_ruleset([tmp_path / "sigma"], bundled=False)
    (error,) = ruleset.errors
    assert "near other" in error.message and error.location is not None and error.location.line == 10
