"""The bundled packs on Stratus Red Team's recordings: each attack technique the packs claim to
cover is detected by exactly the rules mapped to it below, and the techniques left uncovered say
why and raise nothing. Reads ../shared/data/cloudtrail-samples/stratus-red-team/ (one JSON array
per technique); skipped when that folder is absent."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from tests.helpers import SHARED
from tests.rules_packs.scanning import scan

STRATUS = SHARED / "data" / "cloudtrail-samples" / "stratus-red-team"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not STRATUS.is_dir(), reason=f"Stratus Red Team recordings not found at {STRATUS}"),
]

# technique -> the rules that must flag its recording (and no other rule may)
COVERED: dict[str, set[str]] = {
    "aws.credential-access.ec2-get-password-data": {"ct-ec2-password-data-swept"},
    "aws.credential-access.secretsmanager-batch-retrieve-secrets": {"ct-secretsmanager-bulk-retrieval"},
    "aws.credential-access.secretsmanager-retrieve-secrets": {"ct-secretsmanager-secrets-swept"},
    "aws.credential-access.ssm-retrieve-securestring-parameters": {"ct-ssm-parameter-batches-swept"},
    "aws.defense-evasion.cloudtrail-delete": {"ct-cloudtrail-trail-deleted"},
    "aws.defense-evasion.cloudtrail-event-selectors": {"ct-cloudtrail-event-selectors-narrowed"},
    "aws.defense-evasion.cloudtrail-stop": {"ct-cloudtrail-logging-stopped"},
    "aws.defense-evasion.dns-delete-logs": {"ct-dns-query-logging-deleted"},
    "aws.defense-evasion.organizations-leave": {"ct-tampering-attempt-denied"},
    "aws.defense-evasion.vpc-remove-flow-logs": {"ct-vpc-flow-logs-deleted"},
    "aws.discovery.ec2-download-user-data": {"ct-ec2-user-data-swept"},
    "aws.execution.ec2-user-data": {"ct-ec2-user-data-modified"},
    "aws.exfiltration.ec2-security-group-open-port-22-ingress": {
        "ct-security-group-admin-port-open-to-internet"
    },
    "aws.exfiltration.ec2-share-ami": {"ct-ec2-ami-shared"},
    "aws.exfiltration.ec2-share-ebs-snapshot": {"ct-ebs-snapshot-shared"},
    "aws.exfiltration.rds-share-snapshot": {"ct-rds-snapshot-shared"},
    "aws.impact.bedrock-invoke-model": {"ct-bedrock-model-access-enabled"},
    "aws.initial-access.console-login-without-mfa": {"ct-console-login-without-mfa"},
    "aws.lateral-movement.ec2-serial-console-send-ssh-public-key": {"ct-ec2-serial-console-access-enabled"},
    "aws.persistence.iam-backdoor-role": {"ct-iam-role-trust-opened"},
    "aws.persistence.iam-backdoor-user": {"ct-iam-access-key-created-for-another-user"},
    "aws.persistence.iam-create-admin-user": {
        "ct-iam-access-key-created-for-another-user",
        "ct-iam-admin-policy-attached",
    },
    "aws.persistence.iam-create-backdoor-role": {"ct-iam-admin-policy-attached", "ct-iam-role-trust-opened"},
    "aws.persistence.iam-create-user-login-profile": {"ct-iam-login-profile-created-for-another-user"},
    "aws.persistence.lambda-backdoor-function": {"ct-lambda-function-public-or-cross-account"},
    "aws.persistence.rolesanywhere-create-trust-anchor": {"ct-rolesanywhere-trust-anchor-created"},
    "aws.persistence.sts-federation-token": {"ct-sts-federation-token-issued"},
    "aws.privilege-escalation.iam-update-user-login-profile": {
        "ct-iam-login-profile-updated-for-another-user"
    },
}

# technique -> why no rule of the packs covers it
NOT_COVERED: dict[str, str] = {
    "aws.credential-access.ec2-steal-instance-credentials": "instance credentials used from elsewhere: needs correlation",
    "aws.execution.ec2-launch-unusual-instances": "unusual instance types depend on the account's baseline",
    "aws.execution.ssm-send-command": "SendCommand is routine operations work in most accounts",
    "aws.execution.ssm-start-session": "Session Manager sessions are routine operations work",
    "aws.lateral-movement.ec2-instance-connect": "EC2 Instance Connect keys are routine operations work",
    "aws.persistence.lambda-layer-extension": "a layer of the same account looks like any deployment",
    "aws.persistence.lambda-overwrite-code": "code updates look like any deployment",
}


@pytest.fixture(scope="module")
def flagged() -> dict[str, set[str]]:
    """Rule ids flagged per technique, from one scan of every recording."""
    result, findings = scan(STRATUS)
    assert result.exit_code == 0, result.stderr
    by_technique: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        by_technique[Path(finding["origin"]["source"]).stem].add(finding["rule_id"])
    return by_technique


def test_every_recording_is_triaged() -> None:
    """Each recorded technique is either claimed as covered or listed with the reason it is not."""
    recorded = {path.stem for path in STRATUS.glob("*.json")}
    assert recorded == set(COVERED) | set(NOT_COVERED)
    assert not set(COVERED) & set(NOT_COVERED)


@pytest.mark.parametrize("technique", sorted(COVERED))
def test_covered_technique_is_detected(flagged: dict[str, set[str]], technique: str) -> None:
    """A covered technique's recording is flagged by exactly the rules mapped to it."""
    assert flagged.get(technique, set()) == COVERED[technique]


def test_uncovered_techniques_raise_nothing(flagged: dict[str, set[str]]) -> None:
    """The uncovered list stays honest: a technique that starts being detected must move to COVERED."""
    assert {technique: flagged[technique] for technique in NOT_COVERED if flagged.get(technique)} == {}
