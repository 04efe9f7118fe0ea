"""Splunk HEC envelopes: time, host, source, sourcetype, index and the finding as the event."""

from __future__ import annotations

import socket

import orjson
import pytest

from engine.errors import UsageError
from engine.formats import get_format
from engine.formats.cef import parse_cef
from engine.formats.cim import MAPPING, alert_fields
from tests.formats.findings import corpus

CORPUS = corpus()


def test_default_envelope() -> None:
    """Defaults: event time in epoch seconds, this host, source trailwarden, sourcetype
    trailwarden:finding, no index (the token's default), the native finding as the event with
    the CIM Alerts fields beside it; `cim=False` leaves the finding alone."""
    finding = CORPUS["eks-root-create-cluster"]
    envelope = orjson.loads(get_format("hec").to_line(finding))
    assert envelope == {
        "time": 1795169100.0,
        "host": socket.gethostname(),
        "source": "trailwarden",
        "sourcetype": "trailwarden:finding",
        "event": {**finding, **alert_fields(finding)},
    }
    assert get_format("hec", cim=False).to_record(finding)["event"] == finding


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_cim_alerts_fields_have_the_findings_values(name: str) -> None:
    """Each CIM Alerts field is there with the value its mapping names; the native fields stay
    as they were except `severity`, which takes CIM's words; the CloudTrail record inside keeps
    CloudTrail's own field names (what the Splunk Add-on for AWS indexes as aws:cloudtrail)."""
    finding = CORPUS[name]
    event = get_format("hec").to_record(finding)["event"]
    actor = finding.get("actor") or {}
    expected = {
        "app": "trailwarden",
        "type": "alert",
        "id": finding["finding_id"],
        "signature": finding.get("rule_title") or finding["rule_id"],
        "signature_id": finding["rule_id"],
        "severity": {"info": "informational"}.get(finding["severity"], finding["severity"]),
        "severity_id": ["info", "low", "medium", "high", "critical"].index(finding["severity"]) + 1,
        "description": finding.get("title") or finding.get("rule_title") or finding["rule_id"],
        "src": finding.get("source_ip"),
        "dest": finding.get("event_source"),
        "user": actor.get("user_name") or actor.get("arn"),
        "vendor_account": finding.get("account_id"),
        "vendor_region": finding.get("region"),
    }
    for field, value in expected.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            assert field not in event, (field, event.get(field))
        else:
            assert event[field] == value, field
    assert {field for field, _ in MAPPING} >= set(expected)
    assert event["severity"] in {"critical", "high", "medium", "low", "informational"}
    for key, value in finding.items():
        if key != "severity":
            assert event[key] == value, key
    if finding.get("event"):
        assert event["event"] == finding["event"] and "eventName" in event["event"]


def test_cim_mitre_technique_ids() -> None:
    event = get_format("hec").to_record(CORPUS["eks-root-create-cluster"])["event"]
    assert event["mitre_technique_id"] == ["T1078.004"]
    assert "mitre_technique_id" not in get_format("hec").to_record(CORPUS["iam-access-denied-ipv6"])["event"]


def test_options_and_inner_format() -> None:
    """index, host, source and sourcetype are options; the event may be OCSF or CEF text."""
    finding = CORPUS["threshold-window"]
    hec = get_format("hec", index="security", host="scanner-1", sourcetype="ocsf:finding", inner="ocsf")
    envelope = hec.to_record(finding)
    assert (envelope["index"], envelope["host"], envelope["sourcetype"]) == (
        "security",
        "scanner-1",
        "ocsf:finding",
    )
    assert envelope["event"]["class_uid"] == 2004
    assert envelope["time"] == 1795172160.0  # last event of the window
    cef = get_format("hec", inner="cef").to_record(finding)
    assert parse_cef(cef["event"])[1]["externalId"] == finding["finding_id"]


def test_fraction_of_seconds_kept() -> None:
    """Sub-second event times keep their milliseconds in `time`."""
    envelope = get_format("hec").to_record(CORPUS["gov-partition-offset-time"])
    assert envelope["time"] == pytest.approx(1795161900.123)


def test_no_time_lets_splunk_stamp_it() -> None:
    """Without any event time the envelope has no `time`, so Splunk uses the time of receipt."""
    assert "time" not in get_format("hec").to_record(CORPUS["bare-no-evidence"])


def test_inner_options_and_refusals() -> None:
    """The inner format takes its own options; hec cannot wrap hec; an unknown inner is a usage error."""
    hec = get_format("hec", inner="asff", inner_options={"account_id": "999988887777", "region": "eu-west-1"})
    assert hec.to_record(CORPUS["bare-no-evidence"])["event"]["AwsAccountId"] == "999988887777"
    with pytest.raises(UsageError, match="cannot wrap itself"):
        get_format("hec", inner="hec")
    with pytest.raises(UsageError, match="unknown format"):
        get_format("hec", inner="xml")
