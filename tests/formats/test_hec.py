"""Splunk HEC envelopes: time, host, source, sourcetype, index and the finding as the event."""

from __future__ import annotations

import socket

import orjson
import pytest

from engine.errors import UsageError
from engine.formats import get_format
from engine.formats.cef import parse_cef
from tests.formats.findings import corpus

CORPUS = corpus()


def test_default_envelope() -> None:
    """Defaults: event time in epoch seconds, this host, source trailwarden, sourcetype
    trailwarden:finding, no index (the token's default), the native finding as the event."""
    finding = CORPUS["eks-root-create-cluster"]
    envelope = orjson.loads(get_format("hec").to_line(finding))
    assert envelope == {
        "time": 1795169100.0,
        "host": socket.gethostname(),
        "source": "trailwarden",
        "sourcetype": "trailwarden:finding",
        "event": finding,
    }


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
