"""ASFF: every finding passes botocore's Security Hub model and the documented limits, which the
format enforces itself by cutting (never dropping) what is too long or too many."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.validate import ParamValidator
from moto.server import ThreadedMotoServer

from engine.errors import UsageError
from engine.formats import FormatError, dump_json, get_format
from engine.formats.asff import validate_asff
from engine.formats.asff_limits import MAX_FINDING_BYTES
from engine.formats.text import MARKER
from tests.formats.findings import cloudtrail_event, corpus, make_finding

CORPUS = corpus()
STAND_IN = {"account_id": "999988887777", "region": "eu-west-1"}


def _asff(finding: dict[str, Any], **options: Any) -> dict[str, Any]:
    record = get_format("asff", **(options or STAND_IN)).to_record(finding)
    assert isinstance(record, dict)
    return record


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_finding_passes_model_and_limits(name: str) -> None:
    """Every kind of finding, even huge or hostile ones, gives a record Security Hub would take."""
    record = _asff(CORPUS[name])
    assert validate_asff(record) == []


def test_botocore_request_validator_accepts_a_batch() -> None:
    """botocore's own parameter validation accepts the corpus as one BatchImportFindings call."""
    findings = [_asff(f) for f in CORPUS.values()]
    model = boto3.client("securityhub", region_name="us-east-1").meta.service_model
    report = ParamValidator().validate(
        {"Findings": findings}, model.operation_model("BatchImportFindings").input_shape
    )
    assert not report.has_errors(), report.generate_report()


def test_required_fields_of_a_root_cluster_finding() -> None:
    """SchemaVersion, Id, product ARN, generator, account, types, times, severity and resources."""
    finding = CORPUS["eks-root-create-cluster"]
    record = _asff(finding)
    assert record["SchemaVersion"] == "2018-10-08"
    assert record["Id"] == finding["finding_id"]
    assert record["ProductArn"] == "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
    assert record["GeneratorId"] == "eks-root-create-cluster"
    assert record["AwsAccountId"] == "111122223333"
    assert record["Types"] == ["TTPs/Privilege Escalation"]
    assert record["CreatedAt"] == record["UpdatedAt"] == "2026-11-20T10:05:00.000Z"
    assert record["Severity"] == {"Label": "CRITICAL", "Original": "critical"}
    assert record["FindingProviderFields"] == {"Severity": record["Severity"], "Types": record["Types"]}
    assert record["Title"] == finding["title"]
    assert record["Description"] == finding["rule_description"]
    assert record["Resources"][0] == {
        "Type": "AwsEksCluster",
        "Id": "arn:aws:eks:us-east-1:111122223333:cluster/prod",
        "Partition": "aws",
        "Region": "us-east-1",
    }
    assert "SourceUrl" not in record
    call = record["Action"]["AwsApiCallAction"]
    assert (call["Api"], call["ServiceName"], call["RemoteIpDetails"]) == (
        "CreateCluster",
        "eks.amazonaws.com",
        {"IpAddressV4": "198.51.100.7"},
    )


def test_severity_labels_and_types() -> None:
    """Each severity has its label; tactics map to TTPs/Effects types, no tactic to best practices."""
    labels = {
        "info": "INFORMATIONAL",
        "low": "LOW",
        "medium": "MEDIUM",
        "high": "HIGH",
        "critical": "CRITICAL",
    }
    for finding in CORPUS.values():
        assert _asff(finding)["Severity"]["Label"] == labels[finding["severity"]]
    assert _asff(CORPUS["iam-attach-role-policy"])["Types"] == [
        "TTPs/Persistence",
        "TTPs/Privilege Escalation",
    ]
    assert _asff(CORPUS["threshold-window"])["Types"] == ["Effects/Resource Consumption"]
    assert _asff(CORPUS["iam-access-denied-ipv6"])["Types"] == [
        "Software and Configuration Checks/AWS Security Best Practices"
    ]


def test_long_texts_are_cut_with_a_marker() -> None:
    """A 5,000-character title becomes 256 characters and a 10,000 one description 1,024, marked."""
    record = _asff(CORPUS["huge-strings"])
    assert len(record["Title"]) == 256 and record["Title"].endswith(MARKER)
    assert record["Title"].startswith("T" * 200)
    assert len(record["Description"]) == 1024 and record["Description"].endswith(MARKER)


def test_too_many_resources_and_fields_are_bounded() -> None:
    """60 resources become 32; 80 long context values fit 50 product fields of bounded size."""
    record = _asff(CORPUS["huge-strings"])
    assert len(record["Resources"]) == 32
    fields = record["ProductFields"]
    assert len(fields) <= 47  # Security Hub adds three aws/securityhub/* keys of its own
    assert all(0 < len(k) <= 128 for k in fields) and all(0 < len(v) <= 2048 for v in fields.values())
    assert "trailwarden/context/(more)" in fields
    assert len(dump_json(record)) <= MAX_FINDING_BYTES


def test_multibyte_context_still_fits_240_kb() -> None:
    """Emoji and control characters (4 bytes, 6 escaped) in every value still give ≤ 240 KB."""
    fat = "🔥\x01" * 1500
    finding = make_finding(cloudtrail_event(), context={f"k{i}": fat for i in range(60)}, title=fat)
    record = _asff(finding)
    assert len(dump_json(record)) <= MAX_FINDING_BYTES
    assert validate_asff(record) == []


def test_empty_and_blank_values_are_left_out() -> None:
    """Security Hub rejects empty product field values, so blank context values are not sent."""
    fields = _asff(CORPUS["nasty-characters"])["ProductFields"]
    assert "trailwarden/context/empty" not in fields and "trailwarden/context/blank" not in fields
    assert "trailwarden/context/none" not in fields
    assert fields["trailwarden/context/weird key =|\\"].startswith("pipe | equals")


def test_event_account_and_region_are_used_then_options() -> None:
    """The event names the product ARN's account and region; options stand in when it does not."""
    assert _asff(CORPUS["gov-partition-offset-time"])["ProductArn"] == (
        "arn:aws-us-gov:securityhub:us-gov-west-1:111122223333:product/111122223333/default"
    )
    record = _asff(CORPUS["bare-no-evidence"])
    assert record["AwsAccountId"] == "999988887777"
    assert record["ProductArn"] == "arn:aws:securityhub:eu-west-1:999988887777:product/999988887777/default"
    assert record["Resources"] == [
        {"Type": "Other", "Id": CORPUS["bare-no-evidence"]["finding_id"], "Partition": "aws"}
    ]


def test_home_account_and_region_win_for_import() -> None:
    """With the sink's home account/region, AwsAccountId and ProductArn are the importer's own,
    and the event's account stays visible in Resources and ProductFields."""
    finding = CORPUS["anonymised-stratus"]
    record = get_format("asff", home_account_id="111122223333", home_region="eu-west-1").to_record(finding)
    assert record["AwsAccountId"] == "111122223333"
    assert record["ProductArn"] == "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
    assert {"Type": "AwsAccount", "Id": "AWS::::Account:751203476945"}.items() <= record["Resources"][
        -1
    ].items()
    assert record["ProductFields"]["trailwarden/account_id"] == "751203476945"


def test_no_account_anywhere_is_a_clear_error() -> None:
    """Without an account from the event or the options, the error names the finding and the fix."""
    finding = CORPUS["bare-no-evidence"]
    with pytest.raises(FormatError) as caught:
        get_format("asff").to_record(finding)
    message = str(caught.value)
    assert finding["finding_id"] in message and "no account id" in message and "account_id=" in message
    with pytest.raises(UsageError):
        get_format("asff", account_id="12345")


def test_rendering_is_stable_for_resends() -> None:
    """The same finding renders to the same bytes, so a re-send upserts the same finding."""
    asff = get_format("asff")
    finding = CORPUS["threshold-window"]
    assert asff.to_line(finding) == asff.to_line(finding)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r.pop("Title"), "finding.Title: required"),
        (lambda r: r.pop("Types"), "finding.Types: required by the ASFF documentation"),
        (lambda r: r["Severity"].update(Label="SEVERE"), "finding.Severity.Label: 'SEVERE' is not one of"),
        (lambda r: r.update(Title="x" * 300), "finding.Title: 300 characters"),
        (lambda r: r.update(Description="d" * 1025), "finding.Description: 1025 characters"),
        (lambda r: r.update(Bogus=1), "finding.Bogus: not a member"),
        (lambda r: r.update(Types=["Threats/Bad"]), "has no ASFF namespace"),
        (lambda r: r.update(Types=["TTPs/Teleportation"]), "'Teleportation' is not a category of 'TTPs'"),
        (lambda r: r.update(Resources=[]), "finding.Resources: 0 resources"),
        (lambda r: r.update(Resources=[{"Type": "Other"}]), "finding.Resources[0].Id: required"),
        (lambda r: r["ProductFields"].update(k="v" * 2049), "2049 characters, at most 2048"),
        (lambda r: r["ProductFields"].update(k=" "), "does not match the model's pattern"),
        (lambda r: r.update(CreatedAt="20 Nov 2026"), "finding.CreatedAt: '20 Nov 2026' is not an RFC 3339"),
        (lambda r: r.update(Confidence="high"), "finding.Confidence: must be an integer"),
        (lambda r: r.update(AwsAccountId="12345"), "not a 12-digit AWS account id"),
        (lambda r: r.update(ProductArn="arn:aws:s3:::bucket"), "is not a Security Hub product ARN"),
        (lambda r: r["FindingProviderFields"].update(Criticality=101), "the model's maximum is 100"),
    ],
)
def test_validate_asff_reports_each_problem(change: Any, expected: str) -> None:
    """validate_asff names the path and the rule broken, for model and documented problems alike."""
    record = _asff(CORPUS["eks-root-create-cluster"])
    change(record)
    problems = validate_asff(record)
    assert any(expected in p for p in problems), problems


@pytest.fixture(scope="module")
def securityhub() -> Iterator[Any]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    client = boto3.client(
        "securityhub",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    yield client
    server.stop()


def test_moto_security_hub_imports_and_upserts(securityhub: Any) -> None:
    """A real (moto) Security Hub takes the records, and a re-send updates rather than duplicates."""
    records = [_asff(f, home_account_id="123456789012", home_region="us-east-1") for f in CORPUS.values()]
    first = securityhub.batch_import_findings(Findings=records)
    again = securityhub.batch_import_findings(Findings=records[:3])
    assert (first["FailedCount"], first["SuccessCount"]) == (0, len(records))
    assert (again["FailedCount"], again["SuccessCount"]) == (0, 3)
    stored = securityhub.get_findings(MaxResults=100)["Findings"]
    assert sorted(f["Id"] for f in stored) == sorted(r["Id"] for r in records)
