"""The bundled packs on event examples AWS itself published (../shared/data/cloudtrail-samples/):
the EKS user guide's node-group service role deleting an instance profile is routine, its
CreateCluster only has EKS's default public endpoint, and of the Pod Identity workshop's token
exchanges only the one made with the AWS CLI is flagged. Skipped when ../shared is absent."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SHARED
from tests.rules_packs.scanning import scan

SAMPLES = SHARED / "data" / "cloudtrail-samples"
EKS_GUIDE = SAMPLES / "awsdocs" / "eks-user-guide" / "valid_blocks.json"
POD_IDENTITY = SAMPLES / "eks-pod-identity" / "json_objects.json"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(
        not (EKS_GUIDE.is_file() and POD_IDENTITY.is_file()),
        reason=f"AWS event samples not found under {SAMPLES}",
    ),
]


def _samples() -> Iterator[dict[str, Any]]:
    """The guide's examples, and the workshop's events (some saved as LookupEvents pages)."""
    for block in json.loads(EKS_GUIDE.read_text(encoding="utf-8")):
        yield block["json"]
    for block in json.loads(POD_IDENTITY.read_text(encoding="utf-8")):
        doc = block["json"]
        if "Events" in doc:
            yield from (json.loads(item["CloudTrailEvent"]) for item in doc["Events"])
        else:
            yield doc


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], set[str]]:
    """Rule ids per (eventName, first word of the user agent), from one scan of the samples."""
    events = list(_samples())
    path: Path = tmp_path_factory.mktemp("samples") / "samples.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    result, findings = scan(path)
    assert result.exit_code == 0, result.stderr
    by_event: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        by_event[finding["event_id"]].add(finding["rule_id"])
    return {
        (event["eventName"], event["userAgent"].split("/")[0]): by_event[event["eventID"]] for event in events
    }


def test_eks_user_guide_examples(flagged: dict[tuple[str, str], set[str]]) -> None:
    """The guide's node-group role deleting an eks-* profile raises nothing; its CreateCluster
    (no endpoint settings, so EKS's public default) raises only the low-severity endpoint rule."""
    assert flagged[("DeleteInstanceProfile", "eks-nodegroup.amazonaws.com")] == set()
    assert flagged[("CreateCluster", "PostmanRuntime")] == {"eks-endpoint-public-without-cidr-limit"}


def test_pod_identity_token_exchanges(flagged: dict[tuple[str, str], set[str]]) -> None:
    """Only the AssumeRoleForPodIdentity call made with the AWS CLI is flagged; the agent's are not,
    and neither are EKS's own AssumeRole calls for pods."""
    assert flagged[("AssumeRoleForPodIdentity", "aws-cli")] == {
        "eks-pod-identity-token-redeemed-outside-agent"
    }
    assert flagged[("AssumeRoleForPodIdentity", "aws-sdk-go-v2")] == set()
    assert flagged[("AssumeRole", "pods.eks.amazonaws.com")] == set()
