"""Real CloudTrail records (../shared: Stratus Red Team attack traffic, the AWS user guides'
examples, EKS Pod Identity, a slice of a real account's trail) made into findings and rendered by
every format: OCSF and ASFF valid by their definitions, CEF readable back, ECS typed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.formats import format_names, get_format
from engine.formats.asff import validate_asff
from engine.formats.cef import parse_cef
from engine.formats.ecs_template import FIELDS
from tests.formats.ecs_fields import leaves
from tests.formats.findings import make_finding
from tests.formats.ocsf_validation import validate_ocsf

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "cloudtrail-samples"
TAG_SETS = [
    ["attack.privilege_escalation", "attack.t1078.004"],
    ["attack.persistence", "attack.defense-evasion", "attack.t1098.001", "attack.t1562.008"],
    ["attack.exfiltration", "attack.t1537"],
    ["attack.stealth", "attack.t1685.002"],
    [],
]
SEVERITIES = ["info", "low", "medium", "high", "critical"]

pytestmark = pytest.mark.shared


def _records() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted((SAMPLES / "stratus-red-team").glob("*.json")):
        for index, event in enumerate(json.loads(path.read_text())):
            yield f"{path.name}#{index}", event
    for guide in ("cloudtrail-user-guide", "eks-user-guide"):
        for block in json.loads((SAMPLES / "awsdocs" / guide / "valid_blocks.json").read_text()):
            body = block["json"]
            events = body.get("Records", [body]) if isinstance(body, dict) else []
            for index, event in enumerate(events):
                if isinstance(event, dict) and "eventName" in event:
                    yield f"{guide}:{block['source_path']}#{index}", event
    for block in json.loads((SAMPLES / "eks-pod-identity" / "json_objects.json").read_text()):
        for index, page_event in enumerate(block["json"].get("Events", [])):
            yield f"pod-identity#{index}", json.loads(page_event["CloudTrailEvent"])
    trail = sorted((SAMPLES / "invictus-ir").glob("*.json"))[:3]
    for path in trail:
        for index, event in enumerate(json.loads(path.read_text())["Records"]):
            yield f"{path.name}#{index}", event


@pytest.fixture(scope="module")
def findings() -> list[tuple[str, dict[str, Any]]]:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared CloudTrail samples not found at {SAMPLES} (the ../shared data sets)")
    made = []
    for number, (where, event) in enumerate(_records()):
        made.append(
            (
                where,
                make_finding(
                    event,
                    rule_id=f"sample-rule-{number % 7}",
                    severity=SEVERITIES[number % 5],
                    tags=TAG_SETS[number % len(TAG_SETS)],
                    context={"where": where, "n": number},
                    source=where,
                    index=number,
                    evidence=number % 4 != 3,
                ),
            )
        )
    assert len(made) > 400
    return made


def test_ocsf_valid_for_every_sample(findings: list[tuple[str, dict[str, Any]]]) -> None:
    """Every real record's finding is valid OCSF 1.8.0 Detection Finding."""
    ocsf = get_format("ocsf")
    for where, finding in findings:
        try:
            validate_ocsf(ocsf.to_record(finding))
        except AssertionError as exc:
            raise AssertionError(f"{where}: {exc}") from None


def test_asff_valid_for_every_sample(findings: list[tuple[str, dict[str, Any]]]) -> None:
    """Every real record's finding passes botocore's model and Security Hub's limits."""
    asff = get_format("asff", account_id="999988887777", region="eu-west-1")
    for where, finding in findings:
        assert validate_asff(asff.to_record(finding)) == [], where


def test_cef_reads_back_for_every_sample(findings: list[tuple[str, dict[str, Any]]]) -> None:
    """Every CEF line parses back to its finding id and title."""
    cef = get_format("cef")
    for where, finding in findings:
        header, ext = parse_cef(cef.to_line(finding))
        assert ext["externalId"] == finding["finding_id"], where
        assert header[4] == finding["rule_id"], where


def test_every_format_renders_every_sample(findings: list[tuple[str, dict[str, Any]]]) -> None:
    """No format fails on any real record; JSON formats give one JSON object per line."""
    options = {"asff": {"account_id": "999988887777", "region": "eu-west-1"}}
    for name in format_names():
        fmt = get_format(name, **options.get(name, {}))
        for where, finding in findings:
            line = fmt.to_line(finding)
            assert line and b"\n" not in line, (name, where)
            if name != "cef":
                assert isinstance(json.loads(line), dict), (name, where)


def test_ecs_documents_stay_inside_the_index_template() -> None:
    """Every event of the invictus and Stratus samples made a finding (with and without its
    evidence): no ECS document has a field the index template does not map, and all of them
    together use at most 250 distinct fields (a `flattened` field counting as one), where the
    record as AWS delivered it gave 936."""
    if not SAMPLES.is_dir():
        pytest.skip(f"shared CloudTrail samples not found at {SAMPLES} (the ../shared data sets)")
    ecs = get_format("ecs")
    events = [
        e
        for path in sorted((SAMPLES / "stratus-red-team").glob("*.json"))
        for e in json.loads(path.read_text())
    ]
    for path in sorted((SAMPLES / "invictus-ir").glob("*.json")):
        events.extend(json.loads(path.read_text())["Records"])
    assert len(events) == 3210
    seen: set[str] = set()
    for number, event in enumerate(events):
        for evidence in (True, False):
            finding = make_finding(
                event,
                rule_id="every-event",
                tags=TAG_SETS[number % len(TAG_SETS)],
                context={"who": (event.get("userIdentity") or {}).get("arn"), "n": number},
                index=number,
                evidence=evidence,
            )
            fields = set(leaves(ecs.to_record(finding)))
            outside = fields - set(FIELDS)
            assert not outside, (number, sorted(outside))
            seen |= fields
    assert len(seen) <= 250, len(seen)
