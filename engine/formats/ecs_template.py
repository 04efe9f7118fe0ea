"""The Elasticsearch index template for trailwarden's ECS alerts: every field the `ecs` format
writes, by type, with `flattened` for the open-ended objects and `dynamic: false` everywhere, so
an index holds this many fields and never more, whatever the events bring.

`FIELDS` is the one list of what the format may write; a test renders every shared sample in
every way and checks each leaf of each document against it. `index_template()` is what
`PUT _index_template/<name>` takes (a composable template), `ilm_policy()` a suggested lifecycle.
The `aws.cloudtrail.*` names and types are those of Elastic's AWS integration (fields.yml)."""

from __future__ import annotations

from typing import Any

KEYWORD = {"type": "keyword", "ignore_above": 1024}
# Elastic's AWS integration keeps the open-ended objects as text too: keyword up to 8191
# characters, and a `.text` multi-field for full-text search.
JSON_TEXT = {
    "type": "keyword",
    "ignore_above": 8191,
    "fields": {"text": {"type": "text"}},
}
TYPES: dict[str, dict[str, Any]] = {
    "keyword": KEYWORD,
    "json_text": JSON_TEXT,
    "long": {"type": "long"},
    "boolean": {"type": "boolean"},
    "date": {"type": "date"},
    "ip": {"type": "ip"},
    "flattened": {"type": "flattened", "ignore_above": 8191},
    "match_only_text": {"type": "match_only_text"},
    # ECS: the original event is stored in _source, never indexed.
    "stored": {"type": "keyword", "index": False, "doc_values": False},
}

_ECS = {
    "@timestamp": "date",
    "ecs.version": "keyword",
    "message": "match_only_text",
    "event.kind": "keyword",
    "event.category": "keyword",
    "event.type": "keyword",
    "event.id": "keyword",
    "event.module": "keyword",
    "event.dataset": "keyword",
    "event.severity": "long",
    "event.reason": "keyword",
    "event.action": "keyword",
    "event.provider": "keyword",
    "event.start": "date",
    "event.end": "date",
    "event.outcome": "keyword",
    "event.original": "stored",
    "rule.id": "keyword",
    "rule.name": "keyword",
    "rule.description": "keyword",
    "rule.reference": "keyword",
    "rule.ruleset": "keyword",
    "observer.vendor": "keyword",
    "observer.product": "keyword",
    "observer.version": "keyword",
    "threat.framework": "keyword",
    "threat.tactic.id": "keyword",
    "threat.tactic.name": "keyword",
    "threat.tactic.reference": "keyword",
    "threat.technique.id": "keyword",
    "threat.technique.name": "keyword",
    "threat.technique.reference": "keyword",
    "threat.technique.subtechnique.id": "keyword",
    "threat.technique.subtechnique.name": "keyword",
    "threat.technique.subtechnique.reference": "keyword",
    "cloud.provider": "keyword",
    "cloud.account.id": "keyword",
    "cloud.region": "keyword",
    "cloud.service.name": "keyword",
    "user.name": "keyword",
    "user.id": "keyword",
    "user.target.name": "keyword",
    "user.target.id": "keyword",
    "user.changes.name": "keyword",
    "group.name": "keyword",
    "group.id": "keyword",
    "source.ip": "ip",
    "source.domain": "keyword",
    "source.address": "keyword",
    "user_agent.original": "keyword",
    "related.ip": "ip",
    "related.user": "keyword",
    "tls.version": "keyword",
    "tls.version_protocol": "keyword",
    "tls.cipher": "keyword",
    "tls.client.server_name": "keyword",
}
_CLOUDTRAIL = {
    "event_version": "keyword",
    "event_category": "keyword",
    "event_type": "keyword",
    "api_version": "keyword",
    "management_event": "keyword",
    "read_only": "boolean",
    "request_id": "keyword",
    "recipient_account_id": "keyword",
    "shared_event_id": "keyword",
    "vpc_endpoint_id": "keyword",
    "error_code": "keyword",
    "error_message": "keyword",
    "session_credential_from_console": "keyword",
    "user_identity.type": "keyword",
    "user_identity.arn": "keyword",
    "user_identity.access_key_id": "keyword",
    "user_identity.invoked_by": "keyword",
    "user_identity.session_context.mfa_authenticated": "keyword",
    "user_identity.session_context.creation_date": "date",
    "user_identity.session_context.session_issuer.type": "keyword",
    "user_identity.session_context.session_issuer.principal_id": "keyword",
    "user_identity.session_context.session_issuer.arn": "keyword",
    "user_identity.session_context.session_issuer.account_id": "keyword",
    "request_parameters": "json_text",
    "response_elements": "json_text",
    "additional_eventdata": "json_text",
    "service_event_details": "json_text",
    "flattened.request_parameters": "flattened",
    "flattened.response_elements": "flattened",
    "flattened.additional_eventdata": "flattened",
    "flattened.service_event_details": "flattened",
    "flattened.insight_details": "flattened",
    "resources.arn": "keyword",
    "resources.account_id": "keyword",
    "resources.type": "keyword",
    "console_login.additional_eventdata.mobile_version": "boolean",
    "console_login.additional_eventdata.login_to": "keyword",
    "console_login.additional_eventdata.mfa_used": "boolean",
}
_TRAILWARDEN = {
    "finding_id": "keyword",
    "schema_version": "keyword",
    "count": "long",
    "event_id": "keyword",
    "event_ids": "keyword",
    "tags": "keyword",
    "context": "flattened",
    "actor.type": "keyword",
    "actor.arn": "keyword",
    "actor.principal_id": "keyword",
    "actor.user_name": "keyword",
    "actor.account_id": "keyword",
    "origin.source": "keyword",
    "origin.index": "long",
    "origin.line": "long",
    "window.kind": "keyword",
    "window.group": "flattened",
    "window.start": "keyword",
    "window.end": "keyword",
}

FIELDS: dict[str, str] = {
    **_ECS,
    **{f"aws.cloudtrail.{name}": kind for name, kind in _CLOUDTRAIL.items()},
    **{f"trailwarden.{name}": kind for name, kind in _TRAILWARDEN.items()},
}
TEMPLATE_NAME = "trailwarden-findings"
INDEX_PATTERNS = ("trailwarden-*",)


def mappings() -> dict[str, Any]:
    """The `mappings` of the template: objects nested as Elasticsearch writes them."""
    root: dict[str, Any] = {"dynamic": False, "properties": {}}
    for path, kind in FIELDS.items():
        node = root
        *parents, leaf = path.split(".")
        for part in parents:
            node = node["properties"].setdefault(part, {"type": "object", "dynamic": False, "properties": {}})
        node["properties"][leaf] = dict(TYPES[kind])
    return root


def index_template(
    patterns: tuple[str, ...] = INDEX_PATTERNS, *, policy: str | None = TEMPLATE_NAME, priority: int = 200
) -> dict[str, Any]:
    """A composable index template (`PUT _index_template/trailwarden-findings`)."""
    settings: dict[str, Any] = {"index": {"mapping": {"ignore_malformed": True}}}
    if policy:
        settings["index"]["lifecycle"] = {"name": policy}
    return {
        "index_patterns": list(patterns),
        "priority": priority,
        "template": {"settings": settings, "mappings": mappings()},
        "_meta": {"description": "trailwarden ECS alerts", "managed_by": "trailwarden"},
    }


def ilm_policy() -> dict[str, Any]:
    """A suggested lifecycle (`PUT _ilm/policy/trailwarden-findings`): warm after 30 days, deleted
    after a year. No rollover: the Elastic sink writes to the index its URL names (one per month,
    say, `trailwarden-2026.12`), and a rollover would need a write alias. Adjust the ages."""
    return {
        "policy": {
            "phases": {
                "hot": {"actions": {}},
                "warm": {"min_age": "30d", "actions": {"forcemerge": {"max_num_segments": 1}}},
                "delete": {"min_age": "365d", "actions": {"delete": {}}},
            }
        }
    }
