"""OCSF Detection Finding: valid against the published 1.8.0 schema, and mapped field by field."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from ocsf_json_schema import get_packaged_versions

import engine.formats.ocsf as ocsf_module
from engine.formats import get_format
from engine.formats.ocsf import OCSF_VERSION
from engine.formats.product import product_version
from tests.formats.findings import corpus
from tests.formats.ocsf_validation import validate_ocsf

CORPUS = corpus()


def _ocsf(name: str, **options: Any) -> dict[str, Any]:
    record = get_format("ocsf", **options).to_record(CORPUS[name])
    assert isinstance(record, dict)
    return record


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_finding_is_valid_ocsf(name: str) -> None:
    """Every kind of finding (missing fields, windows, unicode, huge, hostile) maps to valid OCSF."""
    validate_ocsf(_ocsf(name))


def test_targets_newest_1x_version_the_package_ships() -> None:
    """The target version is the newest 1.x schema in ocsf-json-schema, as the module says."""
    ones = [v for v in get_packaged_versions() if v.startswith("1.") and "-" not in v]
    newest = max(ones, key=lambda v: tuple(int(p) for p in v.split(".")))
    assert newest == OCSF_VERSION
    assert OCSF_VERSION in (ocsf_module.__doc__ or "")


def test_validator_rejects_a_broken_record() -> None:
    """validate_ocsf fails, naming the path, on a wrong enum, a bad IP and an unknown attribute."""
    record = _ocsf("eks-root-create-cluster")
    record["severity_id"] = 42
    record["evidences"][0]["src_endpoint"] = {"ip": "not-an-ip"}
    record["bogus"] = True
    with pytest.raises(AssertionError) as caught:
        validate_ocsf(record)
    text = str(caught.value)
    assert "severity_id" in text and "evidences.0.src_endpoint.ip" in text and "bogus" in text


def test_class_ids_severity_status_and_time() -> None:
    """Class 2004 / category 2 / type 200401, severity_id from severity, status New, time in ms."""
    record = _ocsf("eks-root-create-cluster")
    assert (record["class_uid"], record["category_uid"], record["activity_id"], record["type_uid"]) == (
        2004,
        2,
        1,
        200401,
    )
    assert (record["severity_id"], record["severity"]) == (5, "Critical")
    assert record["status_id"] == 1
    assert record["time"] == 1795169100000  # 2026-11-20T10:05:00Z
    assert "cloud" in record["metadata"]["profiles"]
    assert record["metadata"]["product"] == {
        "name": "trailwarden",
        "vendor_name": "trailwarden",
        "version": product_version(),
    }
    assert record["message"] == CORPUS["eks-root-create-cluster"]["title"]
    expected = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
    for finding in CORPUS.values():
        assert get_format("ocsf").to_record(finding)["severity_id"] == expected[finding["severity"]]


def test_finding_info_carries_rule_and_attack() -> None:
    """finding_info: uid is finding_id, analytic is the rule, attacks pair T1078.004 with its one tactic."""
    finding = CORPUS["eks-root-create-cluster"]
    info = _ocsf("eks-root-create-cluster")["finding_info"]
    assert info["uid"] == finding["finding_id"]
    assert info["analytic"] == {
        "type_id": 1,
        "type": "Rule",
        "uid": finding["rule_id"],
        "name": finding["rule_title"],
    }
    assert info["desc"] == finding["rule_description"]
    assert info["attacks"] == [
        {
            "technique": {
                "uid": "T1078",
                "name": "Valid Accounts",
                "src_url": "https://attack.mitre.org/techniques/T1078/",
            },
            "sub_technique": {
                "uid": "T1078.004",
                "name": "Cloud Accounts",
                "src_url": "https://attack.mitre.org/techniques/T1078/004/",
            },
            "tactic": {
                "uid": "TA0004",
                "name": "Privilege Escalation",
                "src_url": "https://attack.mitre.org/tactics/TA0004/",
            },
        }
    ]
    assert info["types"] == ["TTPs/Privilege Escalation"]


def test_several_tactics_are_not_paired_with_techniques() -> None:
    """With two tactics the technique-to-tactic pairing is unknown: each gets its own attack entry."""
    attacks = _ocsf("iam-attach-role-policy")["finding_info"]["attacks"]
    assert [a.get("tactic", {}).get("uid") for a in attacks] == [None, None, "TA0003", "TA0004"]
    assert [a.get("sub_technique", a.get("technique"))["uid"] for a in attacks[:2]] == ["T1098.003", "T1078"]


def test_unknown_ids_are_left_out_not_guessed() -> None:
    """A tactic newer than the table keeps its name only; an unknown technique keeps its id only."""
    attacks = _ocsf("aws-service-call")["finding_info"]["attacks"]
    assert attacks == [
        {
            "technique": {"uid": "T1685", "src_url": "https://attack.mitre.org/techniques/T1685/"},
            "tactic": {"name": "Defense Impairment"},
        }
    ]


def test_cloud_actor_api_and_evidence() -> None:
    """Cloud account/region, the assumed role's user and session, the API call and the caller's IP."""
    finding = CORPUS["iam-attach-role-policy"]
    record = _ocsf("iam-attach-role-policy")
    assert record["cloud"]["provider"] == "AWS"
    assert record["cloud"]["account"]["uid"] == "111122223333"
    assert record["cloud"]["region"] == "us-east-1"
    user = record["actor"]["user"]
    assert (user["uid"], user["name"], user["type"]) == (
        finding["actor"]["arn"],
        "ci-deployer",
        "AssumedRole",
    )
    assert record["actor"]["session"]["issuer"] == "arn:aws:iam::111122223333:role/ci-deployer"
    assert record["actor"]["session"]["is_mfa"] is False
    assert record["api"] == {
        "operation": "AttachRolePolicy",
        "service": {"name": "iam.amazonaws.com"},
        "request": {"uid": finding["event"]["requestID"]},
    }
    evidence = record["evidences"][0]
    assert evidence["src_endpoint"] == {"ip": "198.51.100.7"}
    assert evidence["api"] == record["api"] and evidence["actor"] == record["actor"]
    assert evidence["http_request"]["user_agent"] == finding["user_agent"]


def test_service_caller_and_errors() -> None:
    """A service name is not put in an IP field; an IPv6 caller is; an error code reaches api.response."""
    assert _ocsf("aws-service-call")["evidences"][0]["src_endpoint"] == {"svc_name": "eks.amazonaws.com"}
    assert _ocsf("aws-service-call")["actor"]["invoked_by"] == "eks.amazonaws.com"
    denied = _ocsf("iam-access-denied-ipv6")
    assert denied["evidences"][0]["src_endpoint"] == {"ip": "2001:db8::8a2e:370:7334"}
    assert denied["api"]["response"]["error"] == "AccessDenied"
    assert _ocsf("anonymised-stratus")["evidences"][0]["src_endpoint"] == {"name": "225.178.039.250"}


def test_window_and_extras() -> None:
    """count and first/last seen come from the window; context, origin and event ids go to unmapped."""
    finding = CORPUS["threshold-window"]
    record = _ocsf("threshold-window")
    assert record["count"] == 57
    assert record["finding_info"]["first_seen_time"] == record["start_time"] == 1795168800000
    assert record["finding_info"]["last_seen_time"] == record["end_time"] == 1795168800000 + 56 * 60_000
    assert record["unmapped"]["context"] == {"count": 57}
    assert record["unmapped"]["origin"] == finding["origin"]
    assert record["unmapped"]["event_ids"] == finding["event_ids"]
    assert record["unmapped"]["window"]["kind"] == "threshold"


def test_raw_data_is_the_record_and_optional() -> None:
    """raw_data holds the CloudTrail record; without evidence, or with raw_data=False, it is absent."""
    record = _ocsf("eks-root-create-cluster")
    assert orjson.loads(record["raw_data"]) == CORPUS["eks-root-create-cluster"]["event"]
    assert "raw_data" not in _ocsf("eks-root-create-cluster", raw_data=False)
    assert "raw_data" not in _ocsf("bare-no-evidence")


def test_finding_without_time_or_actor_still_renders() -> None:
    """No event time: `time` is the rendering time (schema-required); no principal: no actor."""
    record = _ocsf("bare-no-evidence")
    assert isinstance(record["time"], int) and record["time"] > 0
    assert "actor" not in record
    assert record["evidences"][0] == {
        "api": {"operation": "ConsoleLogin", "service": {"name": "signin.amazonaws.com"}}
    }
    assert record["resources"][0]["type"] == "Other"
