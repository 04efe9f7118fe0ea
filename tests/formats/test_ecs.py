"""ECS: the fields Elastic needs are present and of their ECS types, with ECS's allowed values."""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime
from typing import Any

import pytest

from engine.formats import get_format
from engine.formats.ecs import categorize
from engine.formats.ecs_template import FIELDS, ilm_policy, index_template
from tests.formats.ecs_fields import integration_fields, leaves
from tests.formats.findings import corpus, make_finding

CORPUS = corpus()
ECS = get_format("ecs")

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


def _typed(kind: str, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    if kind in ("keyword", "json_text", "stored", "match_only_text"):
        return all(isinstance(v, str) for v in values)
    if kind == "long":
        return all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if kind == "boolean":
        return all(isinstance(v, bool) for v in values)
    if kind == "flattened":
        return all(isinstance(v, dict) for v in values)
    if kind == "date":
        return all(isinstance(v, str) and datetime.fromisoformat(v).tzinfo is not None for v in values)
    if kind == "ip":
        return all(isinstance(v, str) and ipaddress.ip_address(v) is not None for v in values)
    raise AssertionError(kind)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_fields_are_ecs_typed_and_allowed(name: str) -> None:
    """Required fields are present; every field is in the index template, of its type there, and
    ECS's allowed values are kept."""
    fields = leaves(ECS.to_record(CORPUS[name]))
    for field in REQUIRED:
        assert field in fields, field
    for field, value in fields.items():
        assert field in FIELDS, f"{field} is not in the index template"
        assert _typed(FIELDS[field], value), f"{field}={value!r} is not {FIELDS[field]}"
    assert fields["event.kind"][0] in EVENT_KINDS
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
    assert json.loads(record["event"]["original"]) == finding["event"]
    assert record["aws"]["cloudtrail"]["user_identity"]["arn"] == finding["event"]["userIdentity"]["arn"]
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


# Types of Elastic's fields.yml that a value we write may take for each template type.
COMPATIBLE = {
    "keyword": {"keyword"},
    "json_text": {"keyword"},
    "boolean": {"boolean"},
    "date": {"date"},
    "flattened": {"flattened"},
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_aws_cloudtrail_fields_are_the_integrations(name: str) -> None:
    """Every field written under aws.cloudtrail is in Elastic's AWS integration's fields.yml,
    with a type compatible with the one it declares there."""
    theirs = integration_fields()
    for field in leaves(ECS.to_record(CORPUS[name])):
        if not field.startswith("aws.cloudtrail."):
            continue
        assert field in theirs, f"{field} is not a field of Elastic's AWS integration"
        assert theirs[field] in COMPATIBLE[FIELDS[field]], (field, theirs[field], FIELDS[field])


def test_every_template_field_under_aws_cloudtrail_is_the_integrations() -> None:
    """The template maps nothing under aws.cloudtrail that the integration does not define."""
    theirs = integration_fields()
    for field, kind in FIELDS.items():
        if field.startswith("aws.cloudtrail."):
            assert field in theirs and theirs[field] in COMPATIBLE[kind], field


def test_console_login_as_the_integration_lays_it_out() -> None:
    """A failed ConsoleLogin by an assumed role, from the integration's own pipeline test
    (test-console-login-json.log): the same aws.cloudtrail fields, outcome and user."""
    event = {
        "eventVersion": "1.05",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAIDPPEZS35WEXAMPLE:AssumedRoleSessionName",
            "arn": "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName",
            "accountId": "123456789012",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "sessionContext": {
                "attributes": {"mfaAuthenticated": "false", "creationDate": "2013-11-02T01:06:28Z"},
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAIDPPEZS35WEXAMPLE",
                    "arn": "arn:aws:iam::123456789012:role/RoleToBeAssumed",
                    "accountId": "123456789012",
                    "userName": "RoleToBeAssumed",
                },
            },
        },
        "eventTime": "2014-07-08T17:35:27Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-2",
        "sourceIPAddress": "89.160.20.156",
        "userAgent": "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0",
        "errorMessage": "Failed authentication",
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Failure"},
        "additionalEventData": {
            "MobileVersion": "No",
            "LoginTo": "https://console.aws.amazon.com/sns",
            "MFAUsed": "No",
        },
        "eventID": "11ea990b-4678-4bcd-8fbe-625EXAMPLE",
    }
    record = ECS.to_record(make_finding(event, rule_id="console-login-failed"))
    cloudtrail = record["aws"]["cloudtrail"]
    assert cloudtrail["console_login"] == {
        "additional_eventdata": {
            "login_to": "https://console.aws.amazon.com/sns",
            "mfa_used": False,
            "mobile_version": False,
        }
    }
    assert cloudtrail["error_message"] == "Failed authentication"
    assert cloudtrail["event_version"] == "1.05"
    assert cloudtrail["flattened"] == {
        "additional_eventdata": event["additionalEventData"],
        "response_elements": {"ConsoleLogin": "Failure"},
    }
    assert json.loads(cloudtrail["response_elements"]) == {"ConsoleLogin": "Failure"}
    assert cloudtrail["user_identity"] == {
        "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "arn": "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName",
        "session_context": {
            "mfa_authenticated": "false",
            "creation_date": "2013-11-02T01:06:28.000Z",
            "session_issuer": {
                "account_id": "123456789012",
                "arn": "arn:aws:iam::123456789012:role/RoleToBeAssumed",
                "principal_id": "AROAIDPPEZS35WEXAMPLE",
                "type": "Role",
            },
        },
        "type": "AssumedRole",
    }
    assert (record["event"]["action"], record["event"]["provider"], record["event"]["outcome"]) == (
        "ConsoleLogin",
        "signin.amazonaws.com",
        "failure",
    )
    assert record["user"] == {"id": "AROAIDPPEZS35WEXAMPLE:AssumedRoleSessionName", "name": "RoleToBeAssumed"}
    assert record["source"] == {"address": "89.160.20.156", "ip": "89.160.20.156"}
    assert record["cloud"]["region"] == "us-east-2"


def test_iam_targets_tls_and_resources() -> None:
    """What an IAM call acted on goes to user.target/user.changes/group, tlsDetails to tls.*,
    resources keep the integration's names without duplicates; odd types never break a field."""
    event = {
        "eventVersion": "1.08",
        "eventTime": "2026-11-20T10:05:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "UpdateUser",
        "userIdentity": {"type": "IAMUser", "userName": "alice", "principalId": "AIDAEXAMPLE"},
        "requestParameters": {"userName": "bob", "newUserName": "robert", "groupName": "admins"},
        "responseElements": {"user": {"userId": "AIDABOB"}, "group": {"groupId": "AGPAADMINS"}},
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "iam.amazonaws.com",
        },
        "resources": [
            {
                "ARN": "arn:aws:iam::111122223333:user/bob",
                "accountId": "111122223333",
                "type": "AWS::IAM::User",
            },
            {
                "ARN": "arn:aws:iam::111122223333:user/bob",
                "accountId": "111122223333",
                "type": "AWS::IAM::User",
            },
        ],
        "readOnly": "false",
        "managementEvent": True,
        "errorCode": {"odd": "shape"},
    }
    record = ECS.to_record(make_finding(event, rule_id="iam-update-user"))
    assert record["user"]["target"] == {"name": "bob", "id": "AIDABOB"}
    assert record["user"]["changes"] == {"name": "robert"}
    assert record["group"] == {"name": "admins", "id": "AGPAADMINS"}
    assert record["tls"] == {
        "version_protocol": "tls",
        "version": "1.3",
        "cipher": "TLS_AES_128_GCM_SHA256",
        "client": {"server_name": "iam.amazonaws.com"},
    }
    assert set(record["related"]["user"]) >= {"alice", "bob", "robert"}
    cloudtrail = record["aws"]["cloudtrail"]
    assert cloudtrail["resources"] == [
        {"arn": "arn:aws:iam::111122223333:user/bob", "account_id": "111122223333", "type": "AWS::IAM::User"}
    ]
    assert (cloudtrail["read_only"], cloudtrail["management_event"]) == (False, "true")
    assert cloudtrail["error_code"] == '{"odd":"shape"}'
    assert record["event"]["outcome"] == "failure"


def test_objects_too_large_or_too_deep_for_flattened_stay_as_text_only() -> None:
    """A requestParameters past Elasticsearch's limits for a flattened field (32,766 characters,
    20 levels) is kept as JSON text only, so the document is never refused."""
    deep: dict[str, Any] = {"leaf": "x"}
    for level in range(25):
        deep = {f"level{level}": deep}
    for parameters in (deep, {"blob": "y" * 40_000}):
        event = {"eventName": "PutObject", "eventSource": "s3.amazonaws.com", "requestParameters": parameters}
        cloudtrail = ECS.to_record(make_finding(event, rule_id="big"))["aws"]["cloudtrail"]
        assert json.loads(cloudtrail["request_parameters"]) == parameters
        assert "request_parameters" not in cloudtrail.get("flattened", {})
    shallow = {"eventName": "PutObject", "requestParameters": {"a": {"b": "c"}}}
    flattened = ECS.to_record(make_finding(shallow, rule_id="small"))["aws"]["cloudtrail"]["flattened"]
    assert flattened == {"request_parameters": {"a": {"b": "c"}}}


def test_index_template_maps_every_field_with_dynamic_false() -> None:
    """The template maps each field of FIELDS at its path, and no object below the root lets
    Elasticsearch add fields of its own."""
    template = index_template()
    assert template["index_patterns"] == ["trailwarden-*"]
    root = template["template"]["mappings"]

    def walk(node: dict[str, Any], prefix: str) -> dict[str, str]:
        assert node.get("dynamic") is False, prefix or "(root)"
        found: dict[str, str] = {}
        for key, child in node["properties"].items():
            path = f"{prefix}{key}"
            if child.get("type", "object") == "object":
                found.update(walk(child, path + "."))
            else:
                found[path] = child["type"]
        return found

    mapped = walk(root, "")
    assert set(mapped) == set(FIELDS)
    assert {path for path, kind in mapped.items() if kind == "flattened"} == {
        path for path, kind in FIELDS.items() if kind == "flattened"
    }
    assert ilm_policy()["policy"]["phases"]["delete"]["min_age"] == "365d"
