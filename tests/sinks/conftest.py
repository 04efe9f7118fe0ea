"""Findings, a fake clock for retry schedules, and the environment sink tests run in."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from engine.findings.builder import finding_id
from engine.sinks.retry import RetryPolicy
from engine.types import SEVERITIES
from tests.helpers import event

TOKEN = "6f3c1a2e-9b7d-4e21-8c55-0a1b2c3d4e5f"


def make_finding(
    number: int, *, severity: str | None = None, rule_id: str = "eks-root-create-cluster"
) -> dict[str, Any]:
    """A native finding (valid against finding.schema.json) with a stable id for `number`."""
    record = event(eventID=f"00000000-0000-4000-8000-{number:012d}")
    identity = record["userIdentity"]
    when = record["eventTime"]
    return {
        "schema_version": "1.0",
        "finding_id": finding_id(rule_id, record["eventID"]),
        "rule_id": rule_id,
        "rule_title": "EKS cluster created by the root user",
        "rule_description": "The root user should never do day-to-day work.",
        "severity": severity or SEVERITIES[number % len(SEVERITIES)],
        "tags": ["attack.privilege_escalation", "attack.t1078.004"],
        "references": ["https://docs.aws.amazon.com/eks/latest/userguide/logging-using-cloudtrail.html"],
        "title": f"EKS cluster prod-{number} created by {identity['arn']}",
        "event_id": record["eventID"],
        "event_time": when,
        "event_source": record["eventSource"],
        "event_name": record["eventName"],
        "event_type": "AwsApiCall",
        "account_id": identity["accountId"],
        "region": record["awsRegion"],
        "source_ip": record["sourceIPAddress"],
        "user_agent": record["userAgent"],
        "actor": {
            "type": identity["type"],
            "arn": identity["arn"],
            "principal_id": identity["principalId"],
            "user_name": "ci-deployer",
            "account_id": identity["accountId"],
        },
        "context": {"cluster": f"prod-{number}"},
        "count": 1,
        "first_seen": when,
        "last_seen": when,
        "origin": {"source": "trail/111122223333_CloudTrail_us-east-1_0001.json.gz", "index": number},
        "event": copy.deepcopy(record),
    }


def findings(count: int, start: int = 0, **kwargs: Any) -> list[dict[str, Any]]:
    return [make_finding(n, **kwargs) for n in range(start, start + count)]


class FakeClock:
    """Time that passes only when the code under test sleeps: retry schedules run instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def fast_policy(clock: FakeClock, **overrides: Any) -> RetryPolicy:
    """A retry policy on the fake clock with jitter pinned to its ceiling (deterministic)."""
    settings: dict[str, Any] = {"attempts": 4, "base_delay": 0.5, "max_delay": 5.0, "max_elapsed": 60.0}
    settings.update(overrides)
    return RetryPolicy(sleep=clock.sleep, clock=clock.time, jitter=lambda: 1.0, **settings)


@pytest.fixture(autouse=True)
def sink_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """No test reads the developer's own secrets or writes the fallback spool in their home."""
    for name in (
        "TRAILWARDEN_HEC_TOKEN",
        "TRAILWARDEN_HEC_TOKEN_FILE",
        "TRAILWARDEN_ELASTIC_API_KEY",
        "TRAILWARDEN_ELASTIC_USERNAME",
        "TRAILWARDEN_ELASTIC_PASSWORD",
        "TRAILWARDEN_WEBHOOK_SECRET",
        "TRAILWARDEN_WEBHOOK_SECRET_FILE",
        "TRAILWARDEN_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRAILWARDEN_SPOOL", str(tmp_path / "fallback-spool.sqlite"))
    yield
