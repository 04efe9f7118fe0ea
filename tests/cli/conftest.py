"""Shared by the command-line tests: the real command in a child process, and a small export."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT_IDENTITY, event, write_rules

RULES = """
id: test-root-eks
title: EKS action by root
description: Root acting on EKS.
severity: critical
match: {eventSource: eks.amazonaws.com}
condition: userIdentity.type == 'Root'
output: "{eventName} by root on {requestParameters.name}"
---
id: test-denied
title: Access denied
description: Any denied call.
severity: low
condition: errorCode == 'AccessDenied'
"""


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real command in a child process (`python -m engine.cli`, the same entry as `trailwarden`)."""
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        cwd=cwd,
        timeout=120,
        check=False,
    )


def findings(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A one-file S3-layout export (a root CreateCluster, a routine one, a denied DeleteRole) and
    two rules under `rules/`."""
    folder = tmp_path / "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20"
    folder.mkdir(parents=True)
    records = [
        event(eventID="e1", userIdentity=ROOT_IDENTITY),
        event(eventID="e2"),
        event(
            eventID="e3", errorCode="AccessDenied", eventSource="iam.amazonaws.com", eventName="DeleteRole"
        ),
    ]
    with gzip.open(folder / "111122223333_CloudTrail_us-east-1_20261120T1005Z_a.json.gz", "wt") as fh:
        json.dump({"Records": records}, fh)
    write_rules(tmp_path, "rules/test.yml", RULES)
    return tmp_path
