"""ECS: the fields Elastic needs are present and of their ECS types, with ECS's allowed values."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

import pytest

from engine.formats import get_format
from engine.formats.ecs import categorize
from tests.formats.findings import corpus

CORPUS = corpus()
ECS = get_format("ecs")

# ECS field types (ECS 8.x reference) of every field the format writes outside aws.* and trailwarden.*.
FIELD_TYPES = {
    "@timestamp": "date",
    "ecs.version": "keyword",
    "message": "text",
    "event.kind": "keyword",
    "event.category": "keyword",
    "event.type": "keyword",
    "event.id": "keyword",
    "event.module": "keyword",
    "event.dataset": "keyword",
    "event.severity": "long",
    "event.reason": "keyword",
    "event.action": "keyword",
    "event.provider": "keyword",
    "event.start": "date",
    "event.end": "date",
    "event.outcome": "keyword",
    "rule.id": "keyword",
    "rule.name": "keyword",
    "rule.description": "keyword",
    "rule.reference": "keyword",
    "rule.ruleset": "keyword",
    "observer.vendor": "keyword",
    "observer.product": "keyword",
    "observer.version": "keyword",
    "threat.framework": "keyword",
    "threat.tactic.id": "keyword",
    "threat.tactic.name": "keyword",
    "threat.tactic.reference": "keyword",
    "threat.technique.id": "keyword",
    "threat.technique.name": "keyword",
    "threat.technique.reference": "keyword",
    "threat.technique.subtechnique.id": "keyword",
    "threat.technique.subtechnique.name": "keyword",
    "threat.technique.subtechnique.reference": "keyword",
    "cloud.provider": "keyword",
    "cloud.account.id": "keyword",
    "cloud.region": "keyword",
    "cloud.service.name": "keyword",
    "user.name": "keyword",
    "user.id": "keyword",
    "source.ip": "ip",
    "source.domain": "keyword",
    "source.address": "keyword",
    "user_agent.original": "keyword",
    "related.ip": "ip",
    "related.user": "keyword",
}
REQUIRED = (
    "@timestamp",
    "ecs.version",
    "message",
    "event.kind",
    "event.category",
    "event.type",
    "event.id",
    "rule.id",
)
EVENT_KINDS = {"alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"}
# ECS's allowed event.type values per event.category, for the categories the format uses.
TYPES_BY_CATEGORY = {
    "authentication": {"start", "end", "info"},
    "session": {"start", "end", "info"},
    "configuration": {"access", "change", "creation", "deletion", "info"},
    "iam": {"admin", "change", "creation", "deletion", "group", "info", "user"},
}


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in ("aws", "trailwarden"):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def _typed(kind: str, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    if kind in ("keyword", "text"):
        return all(isinstance(v, str) for v in values)
    if kind == "long":
        return all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if kind == "date":
        return all(isinstance(v, str) and datetime.fromisoformat(v).tzinfo is not None for v in values)
    if kind == "ip":
        return all(isinstance(v, str) and ipaddress.ip_address(v) is not None for v in values)
    raise AssertionError(kind)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_fields_are_ecs_typed_and_allowed(name: str) -> None:
    """Required fields are present; every ECS field has its ECS type and allowed values."""
    fields = _flatten(ECS.to_record(CORPUS[name]))
    for field in REQUIRED:
        assert field in fields, field
    for field, value in fields.items():
        if field in ("aws", "trailwarden"):
            continue
        assert field in FIELD_TYPES, f"{field} is not an ECS field this test knows"
        assert _typed(FIELD_TYPES[field], value), f"{field}={value!r} is not {FIELD_TYPES[field]}"
    assert fields["event.kind"] in EVENT_KINDS
    allowed = set().union(*(TYPES_BY_CATEGORY[c] for c in fields["event.category"]))
    assert set(fields["event.type"]) <= allowed


def test_alert_rule_and_threat() -> None:
    """An alert with the rule and MITRE ATT&CK tactic, technique and sub-technique ids and names."""
    finding = CORPUS["eks-root-create-cluster"]
    record = ECS.to_record(finding)
    assert record["event"]["kind"] == "alert"
    assert record["event"]["id"] == finding["finding_id"]
    assert record["rule"]["id"] == finding["rule_id"] and record["rule"]["name"] == finding["rule_title"]
    assert record["rule"]["reference"] == finding["references"][0]
    threat = record["threat"]
    assert threat["framework"] == "MITRE ATT&CK"
    assert threat["tactic"]["id"] == ["TA0004"] and threat["tactic"]["name"] == ["Privilege Escalation"]
    assert threat["technique"]["id"] == ["T1078"] and threat["technique"]["name"] == ["Valid Accounts"]
    assert threat["technique"]["subtechnique"]["id"] == ["T1078.004"]
    assert threat["technique"]["subtechnique"]["name"] == ["Cloud Accounts"]
    assert "threat" not in ECS.to_record(CORPUS["iam-access-denied-ipv6"])


def test_cloud_user_source_and_record() -> None:
    """cloud.*, user.*, source.ip, user_agent.original and the CloudTrail record under aws.cloudtrail."""
    finding = CORPUS["iam-attach-role-policy"]
    record = ECS.to_record(finding)
    assert record["@timestamp"] == "2026-11-20T10:05:00.000Z"
    assert record["cloud"] == {
        "provider": "aws",
        "account": {"id": "111122223333"},
        "region": "us-east-1",
        "service": {"name": "iam.amazonaws.com"},
    }
    assert record["user"] == {"name": "ci-deployer", "id": "AROAEXAMPLEID:ci-session"}
    assert record["source"]["ip"] == "198.51.100.7"
    assert record["user_agent"]["original"] == finding["user_agent"]
    assert record["aws"]["cloudtrail"] == finding["event"]
    assert record["trailwarden"]["context"] == finding["context"]


def test_service_names_never_go_to_ip_fields() -> None:
    """`eks.amazonaws.com` as a caller is source.domain, never source.ip or related.ip."""
    record = ECS.to_record(CORPUS["aws-service-call"])
    assert record["source"] == {"domain": "eks.amazonaws.com", "address": "eks.amazonaws.com"}
    assert "ip" not in record.get("related", {})


def test_window_and_no_evidence() -> None:
    """A window gives event.start/end and the count; without evidence there is no aws.cloudtrail."""
    record = ECS.to_record(CORPUS["threshold-window"])
    assert (record["event"]["start"], record["event"]["end"]) == (
        "2026-11-20T10:00:00.000Z",
        "2026-11-20T10:56:00.000Z",
    )
    assert record["trailwarden"]["count"] == 57
    assert "aws" not in ECS.to_record(CORPUS["bare-no-evidence"])


@pytest.mark.parametrize(
    ("source", "name", "expected"),
    [
        ("eks.amazonaws.com", "CreateCluster", (["configuration"], ["creation"])),
        ("eks.amazonaws.com", "DeleteCluster", (["configuration"], ["deletion"])),
        ("s3.amazonaws.com", "GetObject", (["configuration"], ["access"])),
        ("ec2.amazonaws.com", "ModifyInstanceAttribute", (["configuration"], ["change"])),
        ("iam.amazonaws.com", "AttachRolePolicy", (["iam"], ["change"])),
        ("iam.amazonaws.com", "ListUsers", (["iam"], ["info"])),
        ("signin.amazonaws.com", "ConsoleLogin", (["authentication", "session"], ["start"])),
    ],
)
def test_categorize(source: str, name: str, expected: tuple[list[str], list[str]]) -> None:
    """event.category/type follow the service and the API verb."""
    assert categorize(source, name) == expected
