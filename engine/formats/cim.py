"""Splunk's Common Information Model, Alerts data model: the fields a finding gives it, which Splunk
Enterprise Security's correlation searches and the Alerts dashboards read. `MAPPING` is the one list
of them, with where each comes from; the README's table is checked against it.

`severity` takes CIM's prescribed values (`informational` where trailwarden says `info`), so for
info findings it differs from the native finding's; `severity_id` is the 1 to 5 rank."""

from __future__ import annotations

from typing import Any

from engine.formats.attack import read_tags
from engine.formats.base import Finding
from engine.formats.product import NAME
from engine.formats.reading import mapping, text, title_of

CIM_SEVERITY = {
    "info": "informational",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "critical": "critical",
}
SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

# (CIM Alerts field, where its value comes from in the native finding)
MAPPING: tuple[tuple[str, str], ...] = (
    ("app", f"`{NAME}`, the system that raised the alert"),
    ("type", "`alert`"),
    ("id", "`finding_id`"),
    ("signature", "`rule_title` (else `rule_id`)"),
    ("signature_id", "`rule_id`"),
    ("severity", "`severity` in CIM's values: `informational`, `low`, `medium`, `high`, `critical`"),
    ("severity_id", "`severity` as 1 (info) to 5 (critical)"),
    ("description", "`title`, the rule's output for this event"),
    ("src", "`source_ip`: the caller's address, or the AWS service that called"),
    ("dest", "`event_source`: the AWS service that was called"),
    ("user", "`actor.user_name`, else `actor.arn`"),
    ("vendor_account", "`account_id`"),
    ("vendor_region", "`region`"),
    ("mitre_technique_id", "the ATT&CK technique ids of the rule's tags"),
)


def alert_fields(finding: Finding) -> dict[str, Any]:
    """The CIM Alerts fields of a finding; a field without a value is left out."""
    severity = str(finding.get("severity"))
    actor = mapping(finding.get("actor"))
    fields: dict[str, Any] = {
        "app": NAME,
        "type": "alert",
        "id": str(finding.get("finding_id")),
        "signature": text(finding.get("rule_title")) or str(finding.get("rule_id")),
        "signature_id": str(finding.get("rule_id")),
        "severity": CIM_SEVERITY.get(severity, "unknown"),
        "severity_id": SEVERITY_ID.get(severity, 0),
        "description": title_of(finding),
    }
    for key, value in (
        ("src", text(finding.get("source_ip"))),
        ("dest", text(finding.get("event_source"))),
        ("user", text(actor.get("user_name")) or text(actor.get("arn"))),
        ("vendor_account", text(finding.get("account_id"))),
        ("vendor_region", text(finding.get("region"))),
    ):
        if value:
            fields[key] = value
    techniques = [t.uid for t in read_tags(finding.get("tags") or ()).techniques]
    if techniques:
        fields["mitre_technique_id"] = techniques
    return fields
