"""Splunk configuration for the `trailwarden:finding` sourcetype, as a small add-on
(`trailwarden template splunk`): JSON field extraction, the event time, the CIM Alerts fields for
findings that arrive without them (a findings file read by a forwarder), and the `alert` tag the
Alerts data model selects events by.

HEC events from trailwarden already carry the CIM fields (`engine.formats.cim`) and their time in
the envelope; the `EVAL`s below only fill what is missing (`coalesce`), so both paths give the
same fields."""

from __future__ import annotations

from engine.formats.cim import MAPPING
from engine.formats.hec import DEFAULT_SOURCETYPE
from engine.formats.product import product_version

APP = "TA-trailwarden"
EVENTTYPE = "trailwarden_alert"

# CIM field → the eval expression that gives it from a native finding.
_EVALS = {
    "app": 'coalesce(app, "trailwarden")',
    "type": 'coalesce(type, "alert")',
    "id": "coalesce(id, finding_id)",
    "signature": "coalesce(signature, rule_title, rule_id)",
    "signature_id": "coalesce(signature_id, rule_id)",
    "severity": 'if(severity=="info", "informational", severity)',
    "severity_id": (
        'coalesce(severity_id, case(severity=="critical", 5, severity=="high", 4, severity=="medium", 3,'
        ' severity=="low", 2, severity=="info" OR severity=="informational", 1))'
    ),
    "description": "coalesce(description, title)",
    "src": "coalesce(src, source_ip)",
    "dest": "coalesce(dest, event_source)",
    "user": "coalesce(user, 'actor.user_name', 'actor.arn')",
    "vendor_account": "coalesce(vendor_account, account_id)",
    "vendor_region": "coalesce(vendor_region, region)",
    "mitre_technique_id": "coalesce(mitre_technique_id, mvmap(trailwarden_technique, upper(trailwarden_technique)))",
}


def _header(name: str) -> str:
    return f"# {APP} {product_version()}: {name} for trailwarden findings (`trailwarden template splunk`)\n"


def props_conf(sourcetype: str = DEFAULT_SOURCETYPE) -> str:
    evals = "\n".join(f"EVAL-{field} = {_EVALS[field]}" for field, _ in MAPPING)
    return (
        _header("props.conf")
        + f"""
[{sourcetype}]
# One JSON object per event: HEC events, or the JSON lines of a findings file.
SHOULD_LINEMERGE = false
LINE_BREAKER = ([\\r\\n]+)
TRUNCATE = 0
KV_MODE = json
# The event's time (HEC events bring theirs in the envelope; this is for files).
TIME_PREFIX = "event_time":\\s*"
TIME_FORMAT = %Y-%m-%dT%H:%M:%S
MAX_TIMESTAMP_LOOKAHEAD = 32
TZ = UTC
category = Structured
description = trailwarden findings: native JSON with the CIM Alerts fields
REPORT-trailwarden_technique = trailwarden_technique
# CIM Alerts fields, for findings that arrive without them.
{evals}
"""
    )


def transforms_conf() -> str:
    return (
        _header("transforms.conf")
        + """
[trailwarden_technique]
# ATT&CK technique ids from the rule's tags (attack.t1078.004), for mitre_technique_id.
REGEX = "attack\\.(t\\d{4}(?:\\.\\d{3})?)"
FORMAT = trailwarden_technique::$1
MV_ADD = true
"""
    )


def eventtypes_conf(sourcetype: str = DEFAULT_SOURCETYPE) -> str:
    return (
        _header("eventtypes.conf")
        + f"""
[{EVENTTYPE}]
search = sourcetype="{sourcetype}"
description = trailwarden findings, for the CIM Alerts data model
"""
    )


def tags_conf() -> str:
    return (
        _header("tags.conf")
        + f"""
[eventtype={EVENTTYPE}]
alert = enabled
"""
    )


def app_conf() -> str:
    return (
        _header("app.conf")
        + f"""
[package]
id = {APP}

[launcher]
author = trailwarden
description = Field extractions, CIM Alerts mapping and tags for trailwarden findings
version = {product_version()}

[ui]
is_visible = false
label = trailwarden add-on
"""
    )


def add_on(sourcetype: str = DEFAULT_SOURCETYPE) -> dict[str, str]:
    """The add-on's files by their path inside the app folder."""
    return {
        "default/app.conf": app_conf(),
        "default/props.conf": props_conf(sourcetype),
        "default/transforms.conf": transforms_conf(),
        "default/eventtypes.conf": eventtypes_conf(sourcetype),
        "default/tags.conf": tags_conf(),
    }
