"""Every sample under ../shared/data/cloudtrail-samples/ decodes or gives a clear skip; none raises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.decoding import Record, Skip
from tests.decoding.builders import decode, decode_path, records, skips
from tests.helpers import SHARED

SAMPLES = SHARED / "data" / "cloudtrail-samples"
pytestmark = pytest.mark.shared

# awsdocs and eks-pod-identity hold blocks cut out of documentation, wrapped as {source_path, json|raw}
WRAPPED = [
    "awsdocs/*/valid_blocks.json",
    "awsdocs/*/invalid_blocks.json",
    "eks-pod-identity/json_objects.json",
]


def require_samples() -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"the shared CloudTrail samples are not at {SAMPLES} (../shared/ is absent)")


def assert_clear(items: list[Record | Skip], source: str) -> None:
    """Only records and skips; each skip names the input and says what is wrong in a few words."""
    for item in items:
        assert isinstance(item, Record | Skip)
        if isinstance(item, Skip):
            assert item.where.startswith(source)
            assert len(item.reason) > 10


def test_every_sample_file_decodes_or_is_skipped_with_a_reason() -> None:
    """The whole folder, all sub-folders, through the local source: nothing raises, skips are clear."""
    require_samples()
    items = decode_path(SAMPLES)
    assert_clear(items, str(SAMPLES))
    assert len(records(items)) > 3000


@pytest.mark.parametrize(
    ("folder", "expected_records"),
    [("invictus-ir", 2900), ("stratus-red-team", 310), ("cloud-custodian-eventbridge", 25)],
)
def test_real_exports_decode_completely(folder: str, expected_records: int) -> None:
    """S3 deliveries, per-technique arrays and EventBridge envelopes: every event, no error skip."""
    require_samples()
    items = decode_path(SAMPLES / folder)
    assert len(records(items)) == expected_records
    assert skips(items, error=True) == []


def test_logstash_reshaped_events_are_read_with_event_time_from_the_timestamp() -> None:
    """OTRF's Logstash output has @timestamp and no eventTime: each event gets eventTime from it."""
    require_samples()
    path = SAMPLES / "otrf/raw/ec2_proxy_s3_exfiltration/ec2_proxy_s3_exfiltration_2020-09-14011940.json"
    items = decode_path(path)
    assert skips(items) == []
    found = records(items)
    assert len(found) == 103
    first = found[0].event
    assert first["eventTime"] == "2020-09-14T00:44:23Z"
    assert first["@timestamp"] == "2020-09-14T00:44:23.000Z"
    assert found[0].origin.line == 1
    assert found[-1].origin.line == 103


def test_otrf_csv_and_yaml_files_are_named_as_such() -> None:
    """The CSV of Python-repr cells and the YAML descriptions are one clear skip each, never records."""
    require_samples()
    items = decode_path(SAMPLES / "otrf")
    reasons = {Path(s.where).name: s.reason for s in skips(items, error=True)}
    assert reasons["AWS_S3_HoneyBucketLogs.csv"].endswith("(it looks like CSV)")
    assert reasons["SDAWS-200914011940.yaml"].endswith("(it looks like YAML)")
    assert reasons["SDAWS-2202181000.yaml"].endswith("(it looks like YAML)")  # this one starts with a BOM


def unwrapped_blocks() -> list[tuple[str, bytes]]:
    blocks: list[tuple[str, bytes]] = []
    for pattern in WRAPPED:
        for path in sorted(SAMPLES.glob(pattern)):
            for n, block in enumerate(json.loads(path.read_text())):
                name = f"{path.relative_to(SAMPLES)}#{n}"
                if "json" in block:
                    blocks.append((name, json.dumps(block["json"], indent=1).encode()))
                if isinstance(block.get("raw"), str):
                    blocks.append((name, block["raw"].encode()))
    return blocks


def test_documentation_blocks_decode_or_are_skipped_one_by_one() -> None:
    """Each block of the AWS guides (valid and invalid) on its own: records, or skips with reasons."""
    require_samples()
    blocks = unwrapped_blocks()
    assert len(blocks) > 40
    outcome: dict[str, list[Record | Skip]] = {}
    for name, data in blocks:
        outcome[name] = decode(data, name)
        assert_clear(outcome[name], name)
    valid = [name for name in outcome if "valid_blocks" in name and "invalid" not in name]
    invalid = [name for name in outcome if "invalid_blocks" in name]
    assert sum(len(records(outcome[n])) for n in valid) >= 25
    assert all(skips(outcome[n], error=True) for n in invalid), "every invalid block gives an error skip"


def test_lookup_events_output_from_the_eks_workshop_decodes_its_embedded_records() -> None:
    """The `CloudTrailEvent` strings of saved lookup-events output become the records themselves."""
    require_samples()
    found = []
    for name, data in unwrapped_blocks():
        if name.startswith("eks-pod-identity"):
            found += records(decode(data, name))
    names = {record.event["eventName"] for record in found}
    assert "AssumeRoleForPodIdentity" in names
    assert all(isinstance(record.event["userIdentity"], dict) for record in found)


def test_the_wrapper_files_themselves_are_skipped_record_by_record() -> None:
    """Read as they are, the wrapper lists are arrays of non-events: a skip per entry, with its index."""
    require_samples()
    items = decode_path(SAMPLES / "eks-pod-identity/json_objects.json")
    assert records(items) == []
    assert [s.where.rsplit(" ", 1)[-1] for s in skips(items)] == ["0)", "1)", "2)", "3)", "4)"]
    assert "without eventName or eventType" in skips(items)[0].reason
