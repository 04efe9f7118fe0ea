"""Microsoft Sentinel rows: one finding as one row of a custom Log Analytics table
(`TrailwardenFindings_CL` by default), with the columns of `COLUMNS`, which is also the stream
declaration of the data collection rule (`trailwarden template sentinel`).

Column names are PascalCase as Azure's own tables name them; `TimeGenerated` (the event's time,
the window's last sighting, else now) is the column every Log Analytics table must have. Objects
and lists (`Tags`, `Context`, `Event`…) are `dynamic` columns, read in KQL with `parse_json` or dot
paths (`TrailwardenFindings_CL | where Event.userIdentity.type == "Root"`). Values that are absent
are left out of the row, which Log Analytics stores as empty."""

from __future__ import annotations

from typing import Any

from engine.formats.attack import read_tags
from engine.formats.base import Finding, Format
from engine.formats.reading import event_of, mapping, put, text, title_of
from engine.formats.registry import register_format
from engine.formats.timestamps import finding_time, now, parse_time, rfc3339

TABLE = "TrailwardenFindings_CL"
STREAM = f"Custom-{TABLE}"

# (column, Log Analytics type, where it comes from): the one list of what a row may hold.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("TimeGenerated", "datetime", "the event's time (a window's last event), else the time of sending"),
    ("FindingId", "string", "finding_id: stable, the same rule on the same event always gives it"),
    ("RuleId", "string", "rule_id"),
    ("RuleTitle", "string", "rule_title"),
    ("RuleDescription", "string", "rule_description"),
    ("Severity", "string", "severity: info, low, medium, high or critical"),
    ("Title", "string", "title: the rule's output for this event"),
    ("Tags", "dynamic", "the rule's tags"),
    ("Tactics", "dynamic", "MITRE ATT&CK tactic names from the tags"),
    ("Techniques", "dynamic", "MITRE ATT&CK technique ids from the tags"),
    ("EventId", "string", "eventID of the CloudTrail record"),
    ("EventTime", "datetime", "eventTime"),
    ("EventSource", "string", "eventSource"),
    ("EventName", "string", "eventName"),
    ("EventType", "string", "eventType"),
    ("AccountId", "string", "the account the event belongs to"),
    ("Region", "string", "awsRegion"),
    ("SourceIp", "string", "sourceIPAddress (an address, or the AWS service that called)"),
    ("UserAgent", "string", "userAgent"),
    ("ActorType", "string", "userIdentity.type"),
    ("ActorArn", "string", "userIdentity.arn"),
    ("ActorPrincipalId", "string", "userIdentity.principalId"),
    ("ActorUserName", "string", "userName; for roles, the session issuer's name"),
    ("ActorAccountId", "string", "userIdentity.accountId"),
    ("Context", "dynamic", "the rule's context values"),
    ("Count", "long", "events behind the finding (dedup, thresholds, correlations)"),
    ("FirstSeen", "datetime", "first event of the window"),
    ("LastSeen", "datetime", "last event of the window"),
    ("EventIds", "dynamic", "every event id of a window"),
    ("Window", "dynamic", "the window's kind and group"),
    ("Origin", "dynamic", "where the event was read: file and line or index, S3 key"),
    ("Event", "dynamic", "the CloudTrail record itself (absent with --no-evidence)"),
)
_STRINGS = (
    ("FindingId", "finding_id"),
    ("RuleId", "rule_id"),
    ("RuleTitle", "rule_title"),
    ("RuleDescription", "rule_description"),
    ("Severity", "severity"),
    ("EventId", "event_id"),
    ("EventSource", "event_source"),
    ("EventName", "event_name"),
    ("EventType", "event_type"),
    ("AccountId", "account_id"),
    ("Region", "region"),
    ("SourceIp", "source_ip"),
    ("UserAgent", "user_agent"),
)
_ACTOR = (
    ("ActorType", "type"),
    ("ActorArn", "arn"),
    ("ActorPrincipalId", "principal_id"),
    ("ActorUserName", "user_name"),
    ("ActorAccountId", "account_id"),
)
_TIMES = (("EventTime", "event_time"), ("FirstSeen", "first_seen"), ("LastSeen", "last_seen"))


@register_format("sentinel")
class SentinelFormat(Format):
    def to_record(self, finding: Finding) -> dict[str, Any]:
        row: dict[str, Any] = {"TimeGenerated": rfc3339(finding_time(finding) or now())}
        for column, key in _STRINGS:
            put(row, column, text(finding.get(key)))
        row["Title"] = title_of(finding)
        actor = mapping(finding.get("actor"))
        for column, key in _ACTOR:
            put(row, column, text(actor.get(key)))
        for column, key in _TIMES:
            moment = parse_time(finding.get(key))
            if moment is not None:
                row[column] = rfc3339(moment)
        tags = [t for t in finding.get("tags") or () if isinstance(t, str)]
        put(row, "Tags", tags)
        attack = read_tags(tags)
        put(row, "Tactics", [t.name for t in attack.tactics])
        put(row, "Techniques", [t.uid for t in attack.techniques])
        count = finding.get("count")
        if isinstance(count, int) and not isinstance(count, bool):
            row["Count"] = count
        for column, key in (("Context", "context"), ("Window", "window"), ("Origin", "origin")):
            put(row, column, dict(mapping(finding.get(key))))
        put(row, "EventIds", [i for i in finding.get("event_ids") or () if isinstance(i, str)])
        put(row, "Event", dict(event_of(finding)))
        return row


def stream_declaration(stream: str = STREAM) -> dict[str, Any]:
    """The `streamDeclarations` entry of a data collection rule for these rows."""
    return {stream: {"columns": [{"name": name, "type": kind} for name, kind, _ in COLUMNS]}}


def table_schema(table: str = TABLE) -> dict[str, Any]:
    """The body of `PUT …/workspaces/<ws>/tables/<table>` that creates the custom table."""
    return {
        "properties": {
            "schema": {
                "name": table,
                "columns": [
                    {"name": name, "type": kind, "description": about} for name, kind, about in COLUMNS
                ],
            }
        }
    }


def data_collection_rule(
    *,
    endpoint_id: str = "<data-collection-endpoint-resource-id>",
    workspace_id: str = "<workspace-resource-id>",
) -> dict[str, Any]:
    """A data collection rule (ARM `properties`) that takes these rows and writes them to the
    table unchanged: the stream declaration, one Log Analytics destination, one data flow."""
    return {
        "location": "<region of the workspace>",
        "kind": "Direct",
        "properties": {
            "dataCollectionEndpointId": endpoint_id,
            "streamDeclarations": stream_declaration(),
            "destinations": {"logAnalytics": [{"workspaceResourceId": workspace_id, "name": "workspace"}]},
            "dataFlows": [
                {
                    "streams": [STREAM],
                    "destinations": ["workspace"],
                    "transformKql": "source",
                    "outputStream": STREAM,
                }
            ],
        },
    }
