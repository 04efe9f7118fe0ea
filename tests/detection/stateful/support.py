"""Shared by the stateful tests: a rule pack with one rule of each stateful kind, CloudTrail-shaped
events at chosen times, and ways to run them through the real Scanner."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from engine.detection.build import load_ruleset
from engine.detection.compiled_rule import CompiledRule
from engine.detection.ruleset import RuleSet
from engine.detection.stateful.members import with_members
from engine.detection.stateful.settings import WindowSettings
from engine.detection.stateful.stage import StatefulStage
from engine.pipeline import Scanner, StageFactory
from engine.report import ScanReport
from engine.sources import SourceOptions, open_sources
from engine.types import Origin, Record
from tests.helpers import event, write_rules

BASE = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)

PACK = """
id: denied-burst
title: Burst of denied EKS calls
description: Five denied EKS calls from one principal within five minutes.
severity: medium
match: {eventSource: eks.amazonaws.com}
condition: "errorCode == 'AccessDenied'"
output: "{userIdentity.arn} was denied EKS calls"
threshold: {count: 5, window: 5m, group_by: [userIdentity.arn]}
---
id: describe-noise
title: Cluster described
description: A noisy rule, deduplicated per principal and cluster.
severity: low
match: {eventSource: eks.amazonaws.com, eventName: DescribeCluster}
condition: "!errorCode"
dedup: {key: [userIdentity.arn, requestParameters.name], window: 1h}
---
id: entry-created
title: Access entry created
description: Member rule of the backdoor correlation.
severity: low
generate: false
match: {eventSource: eks.amazonaws.com, eventName: CreateAccessEntry}
condition: "!errorCode"
---
id: admin-granted
title: Cluster admin policy associated
description: Member rule of the backdoor correlation; makes its own findings too.
severity: medium
match: {eventSource: eks.amazonaws.com, eventName: AssociateAccessPolicy}
condition: "!errorCode && ends_with(requestParameters.policyArn, 'AmazonEKSClusterAdminPolicy')"
---
kind: correlation
id: backdoor
title: Access entry created then granted cluster admin
description: temporal_ordered over the two member rules.
severity: high
type: temporal_ordered
rules: [entry-created, admin-granted]
group-by: [userIdentity.arn, requestParameters.clusterName]
timespan: 10m
---
id: cluster-deleted
title: Cluster deleted
description: Member of the spread correlations.
severity: low
generate: false
match: {eventSource: eks.amazonaws.com, eventName: DeleteCluster}
condition: "!errorCode"
---
kind: correlation
id: many-clusters-deleted
title: Several clusters deleted by one principal
description: value_count of distinct cluster names.
severity: high
type: value_count
rules: [cluster-deleted]
group-by: [userIdentity.arn]
timespan: 30m
condition: {gte: 3, field: requestParameters.name}
---
kind: correlation
id: deletions
title: Many deletions
description: event_count over one member.
severity: medium
type: event_count
rules: [cluster-deleted]
group-by: [userIdentity.arn]
timespan: 30m
condition: {gte: 4}
---
kind: correlation
id: create-and-delete
title: Cluster created and deleted
description: temporal, any order.
severity: medium
type: temporal
rules: [entry-created, cluster-deleted]
group-by: [userIdentity.arn]
timespan: 15m
"""

ALICE = "arn:aws:sts::111122223333:assumed-role/admin/alice"
BOB = "arn:aws:sts::111122223333:assumed-role/admin/bob"


def at(seconds: float) -> str:
    """An eventTime `seconds` after 2026-11-20T10:00:00Z."""
    moment = BASE + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def call(
    name: str, seconds: float, arn: str = ALICE, eid: str | None = None, **fields: Any
) -> dict[str, Any]:
    """An EKS API call by `arn` at `seconds`; `fields` override the record's top-level fields. The
    eventID is derived from all of it, so two different calls never share one."""
    user = arn.rsplit("/", 1)[-1]
    identity = {"type": "AssumedRole", "arn": arn, "principalId": f"AROA:{user}", "accountId": "111122223333"}
    record = event(eventName=name, eventTime=at(seconds), userIdentity=identity)
    record.update(fields)
    digest = hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()[:8]
    record["eventID"] = eid or f"{name}-{user}-{seconds}-{digest}"
    return record


def denied(seconds: float, arn: str = ALICE, eid: str | None = None) -> dict[str, Any]:
    return call("ListClusters", seconds, arn, eid, errorCode="AccessDenied", requestParameters={})


def load(tmp_path: Path, text: str = PACK) -> RuleSet:
    write_rules(tmp_path, "stateful-rules/pack.yml", text)
    ruleset = load_ruleset([tmp_path / "stateful-rules"], bundled=False)
    assert ruleset.ok, [str(e) for e in ruleset.errors]
    return ruleset


def runnable(ruleset: RuleSet, select: Sequence[str] = ()) -> list[CompiledRule]:
    return with_members(ruleset.selected(select), ruleset.rules)


def windows(rules: Sequence[CompiledRule], **settings: Any) -> StageFactory:
    """A local stateful stage with these window settings (lateness, max_groups, …)."""
    return lambda emit: StatefulStage.build(rules, emit, WindowSettings(**settings))


def run(
    rules: Sequence[CompiledRule], events: Iterable[dict[str, Any]], **settings: Any
) -> tuple[list[dict[str, Any]], ScanReport]:
    """Scan records one by one, in the order given, through the real Scanner."""
    findings: list[dict[str, Any]] = []
    scanner = Scanner(rules, findings.append, stage=windows(rules, **settings))
    for i, record in enumerate(events):
        scanner.scan_record(Record(record, Origin("memory", i)))
    return findings, scanner.finish()


def scan_paths(rules: Sequence[CompiledRule], paths: Sequence[Path], **settings: Any) -> list[dict[str, Any]]:
    """Scan real files (folders walked in sorted order) through sources, decoding and the Scanner."""
    findings: list[dict[str, Any]] = []
    scanner = Scanner(rules, findings.append, stage=windows(rules, **settings))
    scanner.scan_blobs(open_sources([str(p) for p in paths], SourceOptions()))
    scanner.finish()
    return findings


def write_trail_file(path: Path, records: Sequence[dict[str, Any]], *, gzipped: bool = False) -> Path:
    """Records as CloudTrail delivers them to S3: {"Records": [...]}, gzip optional."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = orjson.dumps({"Records": list(records)})
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def by_rule(findings: Iterable[dict[str, Any]], rule_id: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["rule_id"] == rule_id]


def comparable(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings without `origin` (which file a record was read from legitimately differs), sorted."""
    out = [{k: v for k, v in f.items() if k != "origin"} for f in findings]
    return sorted(out, key=lambda f: (f["finding_id"], f["event_id"] or ""))
