"""engine/conditions/policies.py: resource policies read with IAM's meaning — who a statement
grants to, and whether a condition narrows a `*` principal — on examples from AWS's documentation
(S3, SQS, SNS, KMS, Secrets Manager, OpenSearch, Lambda) and the shapes CloudTrail records."""

from __future__ import annotations

import json
from typing import Any

import jmespath
import pytest

from engine.conditions.functions import OPTIONS
from engine.conditions.policies import parse_policy, policy_is_public, policy_principals


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


PUBLIC_READ = {
    "Sid": "PublicRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["s3:GetObject"],
    "Resource": "arn:aws:s3:::examplebucket/*",
}

CASES: list[tuple[str, Any, bool]] = [
    ("S3 user guide: public read for anonymous users", _policy(PUBLIC_READ), True),
    ("Principal {AWS: *} is anyone", _policy({**PUBLIC_READ, "Principal": {"AWS": "*"}}), True),
    (
        "a * in a list of principals",
        _policy({**PUBLIC_READ, "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]}}),
        True,
    ),
    (
        "an ARN with a wildcard account",
        _policy({**PUBLIC_READ, "Principal": {"AWS": "arn:aws:iam::*:root"}}),
        True,
    ),
    (
        "NotPrincipal with Allow grants to everyone else",
        _policy(
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
                "Action": "s3:*",
                "Resource": "*",
            }
        ),
        True,
    ),
    ("effect written in lower case", _policy({**PUBLIC_READ, "Effect": "allow"}), True),
    ("a Deny for everyone grants nothing", _policy({**PUBLIC_READ, "Effect": "Deny"}), False),
    (
        "one account's root",
        _policy({**PUBLIC_READ, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}),
        False,
    ),
    (
        "a service principal (CloudTrail's bucket policy)",
        _policy({**PUBLIC_READ, "Principal": {"Service": "cloudtrail.amazonaws.com"}}),
        False,
    ),
    (
        "S3: restricted to an organisation (aws:PrincipalOrgID)",
        _policy({**PUBLIC_READ, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-xxxxxxxxxxx"}}}),
        False,
    ),
    (
        "condition keys are case-insensitive",
        _policy({**PUBLIC_READ, "Condition": {"StringEquals": {"AWS:PRINCIPALORGID": "o-xxxxxxxxxxx"}}}),
        False,
    ),
    (
        "S3: restricted to addresses (aws:SourceIp)",
        _policy(
            {**PUBLIC_READ, "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}}}
        ),
        False,
    ),
    (
        "S3: restricted to a VPC endpoint (aws:SourceVpce)",
        _policy({**PUBLIC_READ, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}),
        False,
    ),
    (
        "SNS: S3 events from one account (aws:SourceAccount)",
        _policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "SNS:Publish",
                "Resource": "arn:aws:sns:us-east-2:111122223333:topic",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": "111122223333"},
                    "ArnLike": {"aws:SourceArn": "arn:aws:s3:::amzn-s3-demo-bucket"},
                },
            }
        ),
        False,
    ),
    (
        "KMS: any principal of one account (kms:CallerAccount)",
        _policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": "111122223333",
                        "kms:ViaService": "ec2.us-west-2.amazonaws.com",
                    }
                },
            }
        ),
        False,
    ),
    (
        "StringNotEquals on the organisation means everyone outside it",
        _policy({**PUBLIC_READ, "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-xxxxxxxxxxx"}}}),
        True,
    ),
    (
        "an IfExists condition passes requests without the key",
        _policy({**PUBLIC_READ, "Condition": {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}),
        True,
    ),
    (
        "a source address of 0.0.0.0/0 narrows nothing",
        _policy({**PUBLIC_READ, "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}),
        True,
    ),
    (
        "a condition on a key that says nothing of the caller",
        _policy({**PUBLIC_READ, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
        True,
    ),
    (
        "only AWS services (aws:PrincipalIsAWSService)",
        _policy({**PUBLIC_READ, "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}}}),
        False,
    ),
    (
        "SQS: one public statement beside a restricted one",
        _policy(
            {
                **PUBLIC_READ,
                "Action": "sqs:*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-test123456"}},
            },
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"},
        ),
        True,
    ),
    ("a single statement not in a list", {"Version": "2012-10-17", "Statement": PUBLIC_READ}, True),
    ("policy text as CloudTrail records it for SQS, SNS, KMS", json.dumps(_policy(PUBLIC_READ)), True),
    ("text that is not JSON", "{not json", False),
    ("an empty policy", {}, False),
]


@pytest.mark.parametrize(
    ("doc", "public"), [(doc, public) for _, doc, public in CASES], ids=[name for name, _, _ in CASES]
)
def test_policy_is_public(doc: Any, public: bool) -> None:
    """Each documented example is judged public or not as IAM would grant it."""
    assert policy_is_public(doc) is public


def test_policy_principals_lists_allow_principals_once_in_order() -> None:
    """Principals of Allow statements, every kind, without repeats; Deny statements add none."""
    doc = _policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"], "Service": "lambda.amazonaws.com"},
        },
        {"Effect": "Allow", "Principal": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}},
    )
    assert policy_principals(doc) == ["arn:aws:iam::111122223333:root", "*", "lambda.amazonaws.com"]
    assert policy_principals("not json") == []


def test_parse_policy_accepts_objects_and_text() -> None:
    """A policy object is returned as is, JSON text is parsed, anything else is None."""
    assert parse_policy({"Statement": []}) == {"Statement": []}
    assert parse_policy('{"Statement": []}') == {"Statement": []}
    assert parse_policy("[1, 2]") is None


def test_functions_are_registered_for_rules() -> None:
    """Rules call them as policy_is_public(…) and policy_principals(…) on objects or JSON text."""
    event = {
        "requestParameters": {
            "policy": json.dumps(_policy(PUBLIC_READ)),
            "bucketPolicy": _policy(PUBLIC_READ),
        }
    }
    assert jmespath.search("policy_is_public(requestParameters.policy)", event, options=OPTIONS) is True
    assert jmespath.search("policy_is_public(requestParameters.bucketPolicy)", event, options=OPTIONS) is True
    assert jmespath.search("policy_principals(requestParameters.bucketPolicy)", event, options=OPTIONS) == [
        "*"
    ]
