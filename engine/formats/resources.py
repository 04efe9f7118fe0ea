"""The AWS resources a finding is about, read from its CloudTrail record: the record's own
`resources` list, the request's well-known name parameters (an EKS cluster, an IAM role, a bucket…)
and the acting principal. Types use Security Hub's resource type names (AwsEksCluster, AwsIamRole,
…, `Other`), which OCSF and ECS can carry as plain strings too."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.formats.addresses import partition
from engine.formats.reading import event_of, mapping, session_of, text


@dataclass(frozen=True, slots=True)
class Resource:
    type: str
    id: str
    region: str | None = None
    partition: str | None = None
    account_id: str | None = None
    name: str | None = None


# (ARN service, resource-type prefix) → Security Hub type.
_ARN_TYPES: dict[tuple[str, str], str] = {
    ("eks", "cluster"): "AwsEksCluster",
    ("iam", "role"): "AwsIamRole",
    ("iam", "user"): "AwsIamUser",
    ("iam", "group"): "AwsIamGroup",
    ("iam", "policy"): "AwsIamPolicy",
    ("ec2", "instance"): "AwsEc2Instance",
    ("ec2", "security-group"): "AwsEc2SecurityGroup",
    ("ec2", "volume"): "AwsEc2Volume",
    ("ec2", "vpc"): "AwsEc2Vpc",
    ("lambda", "function"): "AwsLambdaFunction",
    ("kms", "key"): "AwsKmsKey",
    ("cloudtrail", "trail"): "AwsCloudTrailTrail",
    ("secretsmanager", "secret"): "AwsSecretsManagerSecret",
    ("rds", "db"): "AwsRdsDbInstance",
    ("sns", ""): "AwsSnsTopic",
    ("sqs", ""): "AwsSqsQueue",
}


def arn_type(arn: str) -> str:
    """Security Hub's type for an ARN, `Other` when it has none."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return "Other"
    service, rest = parts[2], parts[5]
    if service == "s3":
        return "AwsS3Object" if "/" in rest else "AwsS3Bucket"
    if service == "sts" and rest.startswith("assumed-role/"):
        return "AwsIamRole"
    kind = rest.split("/", 1)[0].split(":", 1)[0] if ("/" in rest or ":" in rest) else ""
    return _ARN_TYPES.get((service, kind), "Other")


def affected_resources(finding: Mapping[str, Any], limit: int = 32) -> list[Resource]:
    """Up to `limit` distinct resources, most specific first; the account itself when nothing else
    is known, and an `Other` naming the event when not even the account is."""
    event = event_of(finding)
    region = text(finding.get("region"))
    account = text(finding.get("account_id"))
    seen: dict[str, Resource] = {}
    for resource in _candidates(finding, event, region, account):
        if resource.id not in seen:
            seen[resource.id] = resource
        if len(seen) >= limit:
            break
    if not seen:
        named = text(finding.get("event_id")) or str(finding.get("finding_id"))
        fallback = _account_resource(account, region) or Resource("Other", named, region, partition(region))
        seen[fallback.id] = fallback
    return list(seen.values())


def _candidates(
    finding: Mapping[str, Any], event: Mapping[str, Any], region: str | None, account: str | None
) -> Iterator[Resource]:
    for item in event.get("resources") or ():
        if isinstance(item, Mapping) and text(item.get("ARN")):
            arn = str(item["ARN"])
            owner = text(item.get("accountId"))
            yield Resource(arn_type(arn), arn, _arn_region(arn) or region, _arn_partition(arn), owner)
    yield from _request_resources(finding, event, region, account)
    actor = mapping(finding.get("actor"))
    principal = _principal_arn(actor, finding)
    if principal:
        name = text(actor.get("user_name"))
        yield Resource(arn_type(principal), principal, None, _arn_partition(principal), account, name)
    if account:
        resource = _account_resource(account, region)
        if resource:
            yield resource


def _request_resources(
    finding: Mapping[str, Any], event: Mapping[str, Any], region: str | None, account: str | None
) -> Iterator[Resource]:
    """Resources named by well-known request parameters, made into ARNs when the account is known."""
    params = event.get("requestParameters")
    if not isinstance(params, Mapping):
        return
    source = text(finding.get("event_source")) or ""
    part = partition(region)
    if source == "eks.amazonaws.com":
        cluster = text(params.get("name")) or text(params.get("clusterName"))
        if cluster and account and region:
            arn = f"arn:{part}:eks:{region}:{account}:cluster/{cluster}"
            yield Resource("AwsEksCluster", arn, region, part, account, cluster)
    elif source == "iam.amazonaws.com":
        for key, kind, type_ in (("roleName", "role", "AwsIamRole"), ("userName", "user", "AwsIamUser")):
            name = text(params.get(key))
            if name and account:
                yield Resource(type_, f"arn:{part}:iam::{account}:{kind}/{name}", None, part, account, name)
    elif source == "s3.amazonaws.com":
        bucket = text(params.get("bucketName"))
        if bucket:
            yield Resource("AwsS3Bucket", f"arn:{part}:s3:::{bucket}", region, part, account, bucket)
    elif source == "lambda.amazonaws.com":
        function = text(params.get("functionName"))
        if function and function.startswith("arn:"):
            yield Resource("AwsLambdaFunction", function, region, part, account)
        elif function and account and region:
            arn = f"arn:{part}:lambda:{region}:{account}:function:{function}"
            yield Resource("AwsLambdaFunction", arn, region, part, account, function)


def _principal_arn(actor: Mapping[str, Any], finding: Mapping[str, Any]) -> str | None:
    """The principal's IAM identity: for an assumed role, the role (the session issuer)."""
    issuer = mapping(session_of(finding).get("sessionIssuer"))
    return text(issuer.get("arn")) or text(actor.get("arn"))


def _account_resource(account: str | None, region: str | None) -> Resource | None:
    if not account:
        return None
    return Resource("AwsAccount", f"AWS::::Account:{account}", region, partition(region), account)


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[3] or None if len(parts) == 6 else None


def _arn_partition(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[1] or None if len(parts) == 6 else None
