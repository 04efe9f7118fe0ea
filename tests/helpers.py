"""Small builders shared by tests: rule files on disk and CloudTrail-shaped events."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def write_rules(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def event(**overrides: Any) -> dict[str, Any]:
    """A CloudTrail record of an EKS CreateCluster by an assumed role; keys override fields."""
    base: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:ci",
            "arn": "arn:aws:sts::111122223333:assumed-role/ci-deployer/ci",
            "accountId": "111122223333",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLE",
                    "arn": "arn:aws:iam::111122223333:role/ci-deployer",
                    "accountId": "111122223333",
                    "userName": "ci-deployer",
                },
                "attributes": {"creationDate": "2026-11-20T10:00:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": "2026-11-20T10:05:00Z",
        "eventSource": "eks.amazonaws.com",
        "eventName": "CreateCluster",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"name": "prod", "roleArn": "arn:aws:iam::111122223333:role/eks-cluster"},
        "responseElements": None,
        "requestID": "req-1",
        "eventID": "11111111-2222-3333-4444-555555555555",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management",
    }
    base.update(overrides)
    return base


ROOT_IDENTITY = {
    "type": "Root",
    "principalId": "111122223333",
    "arn": "arn:aws:iam::111122223333:root",
    "accountId": "111122223333",
}
