"""A bucket laid out like a real organisation trail, written to moto: several accounts (two in an
organisation, one with its own trail), regions and days, digests, an Insights file, and a busy
region folder of more than 1,000 keys so its listing paginates. Files are tiny so the whole bucket
uploads in a few seconds."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ORG = "o-aa11bb22cc"
ACCOUNTS = {"111111111111": ORG, "222222222222": ORG, "333333333333": None}
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
DAYS = (
    datetime(2026, 11, 19, tzinfo=UTC),
    datetime(2026, 11, 20, tzinfo=UTC),
    datetime(2026, 11, 21, tzinfo=UTC),
)
FILES_PER_DAY = 12
# One busy account-region delivers a file every 4 minutes, as a busy region does: its folder alone
# holds more than 1,000 keys, so listing it takes more than one page.
BUSY = ("111111111111", "us-east-1")
BUSY_FILES_PER_DAY = 360
EVENTS_PER_FILE = 2


@dataclass(frozen=True, slots=True)
class TrailObject:
    key: str
    body: bytes
    account: str | None = None
    region: str | None = None
    delivered: datetime | None = None
    kind: str = "log"  # log | insight | digest | other


def folder(account: str) -> str:
    org = ACCOUNTS[account]
    return f"AWSLogs/{org}/{account}/" if org else f"AWSLogs/{account}/"


def log_key(
    account: str, region: str, delivered: datetime, folder_name: str = "CloudTrail", salt: str = ""
) -> str:
    kind = folder_name
    rand = uuid.uuid5(uuid.NAMESPACE_URL, f"{account}{region}{delivered}{salt}").hex[:16]
    return (
        f"{folder(account)}{folder_name}/{region}/{delivered:%Y/%m/%d}/"
        f"{account}_{kind}_{region}_{delivered:%Y%m%dT%H%MZ}_{rand}.json.gz"
    )


def event_record(account: str, region: str, when: datetime, n: int, key: str) -> dict[str, Any]:
    """An event; every third one is an EKS cluster created by the root user (a bundled rule's match)."""
    root = n % 3 == 0
    identity: dict[str, Any] = (
        {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account}
        if root
        else {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{account}:user/dev",
            "accountId": account,
            "userName": "dev",
        }
    )
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": f"{when:%Y-%m-%dT%H:%M:%SZ}",
        "eventSource": "eks.amazonaws.com",
        "eventName": "CreateCluster",
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"name": f"c{n}"},
        "responseElements": None,
        "requestID": f"req-{n}",
        "eventID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}#{n}")),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }


def log_file(account: str, region: str, delivered: datetime, salt: str = "") -> TrailObject:
    key = log_key(account, region, delivered, salt=salt)
    records = [
        event_record(account, region, delivered - timedelta(minutes=2, seconds=n), n, key)
        for n in range(EVENTS_PER_FILE)
    ]
    body = gzip.compress(json.dumps({"Records": records}).encode(), compresslevel=1)
    return TrailObject(key, body, account, region, delivered)


def org_trail() -> list[TrailObject]:
    objects: list[TrailObject] = []
    for account in ACCOUNTS:
        for region in REGIONS:
            for day in DAYS:
                busy = (account, region) == BUSY
                count, step = (BUSY_FILES_PER_DAY, 4) if busy else (FILES_PER_DAY, 115)
                for i in range(count):
                    objects.append(
                        log_file(account, region, day + timedelta(minutes=step * i + (0 if busy else 5)))
                    )
                digest_at = day + timedelta(hours=1)
                objects.append(
                    TrailObject(
                        f"{folder(account)}CloudTrail-Digest/{region}/{day:%Y/%m/%d}/"
                        f"{account}_CloudTrail-Digest_{region}_org-trail_{region}_{digest_at:%Y%m%dT%H%M%SZ}.json.gz",
                        gzip.compress(b'{"awsAccountId": "%s", "logFiles": []}' % account.encode()),
                        account,
                        region,
                        digest_at,
                        "digest",
                    )
                )
    insight_at = DAYS[1] + timedelta(hours=12)
    insight = {
        "eventVersion": "1.08",
        "eventTime": f"{insight_at:%Y-%m-%dT%H:%M:%SZ}",
        "awsRegion": "us-east-1",
        "eventID": "insight-1",
        "eventType": "AwsCloudTrailInsight",
        "recipientAccountId": "111111111111",
        "sharedEventID": "shared-1",
        "insightDetails": {"state": "Start", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances"},
        "eventCategory": "Insight",
    }
    objects.append(
        TrailObject(
            log_key("111111111111", "us-east-1", insight_at, "CloudTrail-Insight"),
            gzip.compress(json.dumps({"Records": [insight]}).encode()),
            "111111111111",
            "us-east-1",
            insight_at,
            "insight",
        )
    )
    objects.append(TrailObject("notes/README.txt", b"not a trail file", kind="other"))
    return objects


def upload(s3: Any, bucket: str, objects: list[TrailObject], prefix: str = "") -> None:
    s3.create_bucket(Bucket=bucket)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda o: s3.put_object(Bucket=bucket, Key=prefix + o.key, Body=o.body), objects))


def write_local(root: Path, objects: list[TrailObject]) -> None:
    """The same files on disk, as `aws s3 sync` would leave them."""
    for obj in objects:
        path = root / obj.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(obj.body)


def logs(objects: list[TrailObject]) -> Iterator[TrailObject]:
    return (o for o in objects if o.kind in ("log", "insight"))
