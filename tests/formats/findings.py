"""Native findings for format tests, built the way the engine builds them (its own actor and
finding-id helpers) and checked against schemas/finding.schema.json, so a format is only ever
tested on findings the engine could really produce."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from engine.findings.builder import actor, event_fields, event_key, finding_id
from engine.resources import schema_path

NASTY = "pipe | equals = back\\slash \\| \\= \\\\ new\nline cr\rend tab\t ; quote\" 'single' <x/> %s {x}"
UNICODE = "ключ 集群 مجموعة ε—λ Zoë e\u0301 🔥🚀 \u200b\u202e reversed"


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_path("finding.schema.json").read_text()))


def validate_native(finding: dict[str, Any]) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in _validator().iter_errors(finding)
    ]
    assert not errors, "not a valid native finding:\n" + "\n".join(errors)


def make_finding(
    event: dict[str, Any],
    *,
    rule_id: str = "eks-root-create-cluster",
    rule_title: str = "EKS cluster created by the root user",
    description: str | None = "The root user should never do day-to-day work.",
    severity: str = "critical",
    tags: list[str] | None = None,
    references: list[str] | None = None,
    title: str | None = None,
    context: dict[str, Any] | None = None,
    source: str = "trail/111122223333_CloudTrail_us-east-1.json.gz",
    index: int = 0,
    line: int | None = None,
    evidence: bool = True,
    count: int = 1,
    first_seen: str | None = None,
    last_seen: str | None = None,
    events: list[dict[str, Any]] | None = None,
    window: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A finding of a rule on `event` (for windows, the last event), valid against the schema."""
    principal = actor(event)
    event_time = _str(event.get("eventTime"))
    key = event_key(event) if window is None else f"window:{window}"
    finding: dict[str, Any] = {
        "schema_version": "1.0",
        "finding_id": finding_id(rule_id, key),
        "rule_id": rule_id,
        "rule_title": rule_title,
        "severity": severity,
        "tags": ["attack.privilege_escalation", "attack.t1078.004"] if tags is None else tags,
        "references": ["https://docs.aws.amazon.com/eks/latest/userguide/logging-using-cloudtrail.html"]
        if references is None
        else references,
        "title": title if title is not None else f"{event.get('eventName')} by {principal['arn']}",
        **event_fields(event),
        "context": context or {},
        "count": count,
        "first_seen": first_seen or event_time,
        "last_seen": last_seen or event_time,
        "origin": {"source": source, "index": index, **({"line": line} if line else {})},
    }
    if description is not None:
        finding["rule_description"] = description
    if events:
        finding["event_ids"] = [_str(e.get("eventID")) for e in events]
    if window is not None:
        finding["window"] = window
    if evidence:
        finding["event"] = copy.deepcopy(event)
    validate_native(finding)
    return finding


def _str(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else str(value)


ROOT = {
    "type": "Root",
    "principalId": "111122223333",
    "arn": "arn:aws:iam::111122223333:root",
    "accountId": "111122223333",
}
ASSUMED = {
    "type": "AssumedRole",
    "principalId": "AROAEXAMPLEID:ci-session",
    "arn": "arn:aws:sts::111122223333:assumed-role/ci-deployer/ci-session",
    "accountId": "111122223333",
    "accessKeyId": "ASIAEXAMPLEKEY",
    "sessionContext": {
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROAEXAMPLEID",
            "arn": "arn:aws:iam::111122223333:role/ci-deployer",
            "accountId": "111122223333",
            "userName": "ci-deployer",
        },
        "attributes": {"creationDate": "2026-11-20T10:00:00Z", "mfaAuthenticated": "false"},
    },
}
IAM_USER = {
    "type": "IAMUser",
    "principalId": "AIDAEXAMPLEUSER",
    "arn": "arn:aws:iam::111122223333:user/alice",
    "accountId": "111122223333",
    "accessKeyId": "AKIAEXAMPLEKEY",
    "userName": "alice",
}


def cloudtrail_event(**overrides: Any) -> dict[str, Any]:
    """An EKS CreateCluster by the root user, as CloudTrail records it; keys override fields."""
    base: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": ROOT,
        "eventTime": "2026-11-20T10:05:00Z",
        "eventSource": "eks.amazonaws.com",
        "eventName": "CreateCluster",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
        "requestParameters": {"name": "prod", "roleArn": "arn:aws:iam::111122223333:role/eks-cluster"},
        "responseElements": {
            "cluster": {"name": "prod", "arn": "arn:aws:eks:us-east-1:111122223333:cluster/prod"}
        },
        "requestID": "a7a0735d-62ab-11e8-9f79-81ce5b2b7d37",
        "eventID": "eab22523-174a-499c-9dd6-91e7be3ff8e3",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management",
    }
    base.update(overrides)
    return base


def corpus() -> dict[str, dict[str, Any]]:
    """Findings that exercise every branch of the formats: realistic EKS and IAM events, missing
    fields, windows, unicode, huge strings and the characters CEF and JSON must escape."""
    attach = cloudtrail_event(
        userIdentity=ASSUMED,
        eventSource="iam.amazonaws.com",
        eventName="AttachRolePolicy",
        awsRegion="us-east-1",
        requestParameters={
            "roleName": "eks-admin",
            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        },
        responseElements=None,
        eventID="0f6c8a48-4c1c-4c59-9c53-3e0d0f2e6f01",
    )
    denied = cloudtrail_event(
        userIdentity=IAM_USER,
        eventSource="iam.amazonaws.com",
        eventName="CreateAccessKey",
        sourceIPAddress="2001:db8::8a2e:370:7334",
        errorCode="AccessDenied",
        errorMessage="User: arn:aws:iam::111122223333:user/alice is not authorized to perform"
        " iam:CreateAccessKey on resource: user bob",
        requestParameters={"userName": "bob"},
        responseElements=None,
        eventID="5d2e4b77-8f5e-4c1e-9a4b-2f0a3b7c9d11",
    )
    service = cloudtrail_event(
        userIdentity={"type": "AWSService", "invokedBy": "eks.amazonaws.com"},
        sourceIPAddress="eks.amazonaws.com",
        userAgent="eks.amazonaws.com",
        eventName="CreateNodegroup",
        requestParameters={"clusterName": "prod", "nodegroupName": "ng-1"},
        resources=[{"ARN": "arn:aws:eks:us-east-1:111122223333:cluster/prod", "accountId": "111122223333"}],
        eventID="6a1b2c3d-0000-4000-8000-000000000006",
    )
    bare = {"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com"}
    many = [
        cloudtrail_event(eventID=f"00000000-0000-4000-8000-{i:012d}", eventTime=f"2026-11-20T10:{i:02d}:00Z")
        for i in range(57)
    ]
    unicode_event = cloudtrail_event(
        userIdentity={
            **IAM_USER,
            "userName": "zoë-管理员",
            "arn": "arn:aws:iam::111122223333:user/zoë-管理员",
        },
        userAgent=UNICODE,
        requestParameters={"name": "集群-🔥"},
        eventID="7b7b7b7b-0000-4000-8000-000000000007",
    )
    nasty_event = cloudtrail_event(
        userAgent=NASTY,
        sourceIPAddress="203.0.113.9",
        requestParameters={"name": "a|b=c\\d\ne"},
        eventID="8c8c8c8c-0000-4000-8000-000000000008",
    )
    huge_event = cloudtrail_event(
        userAgent="A" * 100_000,
        resources=[
            {
                "ARN": f"arn:aws:iam::111122223333:role/role-{i:03d}",
                "accountId": "111122223333",
                "type": "AWS::IAM::Role",
            }
            for i in range(60)
        ],
        eventID="9d9d9d9d-0000-4000-8000-000000000009",
    )
    hostile_event = cloudtrail_event(
        userAgent="bad \ud800 surrogate",
        requestParameters={"size": 2**70, "nested": {"k": [1, None, True, 1.5]}},
        eventTime="not a time",
        eventID="aeaeaeae-0000-4000-8000-00000000000a",
    )
    anonymised = cloudtrail_event(
        userIdentity={
            **IAM_USER,
            "accountId": "751203476945",
            "arn": "arn:aws:iam::751203476945:user/christophe",
        },
        recipientAccountId="751203476945",
        awsRegion="ca-isob-northsouth-1r",
        sourceIPAddress="225.178.039.250",
        eventID="62e290e2-ee95-4a7c-a9f8-db4ef462b12d",
    )
    gov = cloudtrail_event(
        awsRegion="us-gov-west-1",
        eventTime="2026-11-20T10:05:00.123456+02:00",
        eventID="bfbfbfbf-0000-4000-8000-00000000000b",
    )
    return {
        "eks-root-create-cluster": make_finding(cloudtrail_event(), context={"cluster": "prod"}, line=3),
        "iam-attach-role-policy": make_finding(
            attach,
            rule_id="iam-admin-policy-attached",
            rule_title="Administrator policy attached to a role",
            severity="high",
            tags=["attack.persistence", "attack.privilege-escalation", "attack.t1098.003", "attack.t1078"],
            context={"role": "eks-admin", "policy": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
        "iam-access-denied-ipv6": make_finding(
            denied,
            rule_id="iam-access-key-denied",
            rule_title="Access key creation denied",
            severity="low",
            tags=[],
        ),
        "aws-service-call": make_finding(
            service,
            rule_id="eks-nodegroup-created",
            rule_title="EKS node group created",
            severity="info",
            tags=["attack.t1685", "attack.defense-impairment", "attack.s0002", "custom.tag"],
        ),
        "bare-no-evidence": make_finding(
            bare,
            rule_id="console-login",
            rule_title="Console login",
            severity="medium",
            tags=["attack.ta0001"],
            evidence=False,
            description=None,
            references=[],
            title="Console login",
        ),
        "threshold-window": make_finding(
            many[-1],
            rule_id="eks-many-clusters",
            rule_title="Many EKS clusters created",
            severity="high",
            tags=["attack.impact", "attack.t1496"],
            count=57,
            first_seen=many[0]["eventTime"],
            last_seen=many[-1]["eventTime"],
            events=many,
            window={
                "kind": "threshold",
                "group": {"userIdentity.arn": ROOT["arn"]},
                "start": many[0]["eventTime"],
                "end": many[-1]["eventTime"],
            },
            context={"count": 57},
        ),
        "unicode": make_finding(
            unicode_event, title=f"Cluster 集群-🔥 created by zoë {UNICODE}", context={UNICODE: UNICODE}
        ),
        "nasty-characters": make_finding(
            nasty_event,
            rule_id="nasty.rule_id-1",
            rule_title=NASTY,
            description=NASTY,
            title=NASTY,
            tags=["attack.execution", NASTY],
            context={"weird key =|\\": NASTY, "list": [NASTY, 1], "none": None, "empty": "", "blank": "   "},
        ),
        "huge-strings": make_finding(
            huge_event,
            title="T" * 5000,
            rule_title="R" * 3000,
            description="D" * 10_000,
            context={f"key-{i:03d}-" + "k" * 200: "v" * 5000 for i in range(80)},
            tags=[f"tag-{i}" for i in range(100)],
        ),
        "hostile-values": make_finding(hostile_event, title="hostile \ud800 title", context={"big": 2**70}),
        "anonymised-stratus": make_finding(anonymised, severity="medium", tags=["attack.persistence"]),
        "gov-partition-offset-time": make_finding(gov),
    }
