"""A generated multi-file trail export with stateful scenarios, for the identity tests: two
accounts by two regions of EKS traffic over two hours (threshold bursts, a noisy deduplicated rule,
ordered and unordered correlations, value counts), in CloudTrail's S3 layout, a file per stream
and ten minutes, gzipped. A folder walk reads it stream by stream, so its events come far out of
event-time order — and some are delivered twice, and one matching event has no eventTime."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.detection.stateful.support import BASE, PACK, call, denied, write_trail_file
from tests.helpers import write_rules

ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("eu-west-1", "us-east-1")
STATEFUL_RULES = ("denied-burst", "describe-noise", "backdoor", "many-clusters-deleted", "deletions")


def principal(n: int) -> str:
    return f"arn:aws:sts::111122223333:assumed-role/ops/user{n}"


def scenario(seed: int) -> list[dict[str, Any]]:
    """About two hours of EKS traffic by 12 principals, in time order."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for p in range(12):
        start, size, gap = rng.randrange(0, 6600), rng.choice([3, 5, 6, 9, 14]), rng.choice([7, 20, 45, 90])
        records += [denied(start + k * gap, principal(p)) for k in range(size)]
    for p in range(4):
        for cluster in ("prod", "dev"):
            t = rng.randrange(0, 300)
            while t < 7000:
                records.append(call("DescribeCluster", t, principal(p), requestParameters={"name": cluster}))
                t += rng.randrange(60, 600)
    for p in range(8):
        t = rng.randrange(0, 6600)
        cluster = {"clusterName": f"c{p}", "principalArn": f"arn:aws:iam::111122223333:role/x{p}"}
        records.append(call("CreateAccessEntry", t, principal(p), requestParameters=cluster))
        grant = dict(cluster, policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")
        records.append(
            call(
                "AssociateAccessPolicy",
                t + rng.choice([0, 30, 400, 900]),
                principal(p),
                requestParameters=grant,
            )
        )
    for p in range(5):
        t = rng.randrange(0, 6000)
        for k in range(5 if p == 0 else rng.choice([2, 3, 5])):
            name = {"name": f"cl{k % 4}"}
            records.append(
                call("DeleteCluster", t + k * rng.choice([60, 400]), principal(p), requestParameters=name)
            )
    records += [call("ListClusters", t, principal(t % 7), requestParameters={}) for t in range(0, 7200, 15)]
    return sorted(records, key=lambda r: (r["eventTime"], r["eventID"]))


def write_export(root: Path, seed: int = 1) -> Path:
    """The export under `root/AWSLogs` and the rule pack under `root/rules`; returns AWSLogs."""
    write_rules(root, "rules/pack.yml", PACK)
    rng = random.Random(seed)
    streams: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for record in scenario(seed):
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        record = record | {"awsRegion": region, "recipientAccountId": account}
        minute = int(record["eventTime"][14:16]) // 10 * 10 + 60 * (int(record["eventTime"][11:13]) - 10)
        streams.setdefault((account, region, minute), []).append(record)
        if rng.random() < 0.02:  # CloudTrail delivers some events twice, in another file
            streams.setdefault((account, region, minute + 10), []).append(record)
    untimed = call("DescribeCluster", 0, principal(1), eid="no-time", requestParameters={"name": "prod"})
    del untimed["eventTime"]
    streams.setdefault((ACCOUNTS[0], REGIONS[0], 0), []).append(untimed)
    for (account, region, minute), records in sorted(streams.items()):
        moment = BASE + timedelta(minutes=minute + 5)
        folder = root / f"AWSLogs/{account}/CloudTrail/{region}/{moment:%Y/%m/%d}"
        name = f"{account}_CloudTrail_{region}_{moment:%Y%m%dT%H%MZ}_{seed:04d}{minute:04d}.json.gz"
        write_trail_file(folder / name, records, gzipped=True)
    return root / "AWSLogs"
