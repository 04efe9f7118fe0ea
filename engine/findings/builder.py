"""Build the native finding (schemas/finding.schema.json) from a rule and the event it matched.

`finding_id` is stable: a digest of the rule id and the event's id (or, for records without an
eventID, of the record's canonical JSON), so re-running a scan upserts rather than duplicates."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from engine.types import Origin

if TYPE_CHECKING:  # findings are made by detection, which imports this module
    from engine.detection.compiled_rule import CompiledRule

SCHEMA_VERSION = "1.0"


def event_key(event: dict[str, Any]) -> str:
    """The event's identity: its eventID, or a digest of its content when it has none."""
    event_id = event.get("eventID")
    if isinstance(event_id, str) and event_id:
        return event_id
    try:
        canonical = orjson.dumps(event, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:  # a lone surrogate or an int past 64 bits: not from our decoders, but an API's
        canonical = json.dumps(event, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def finding_id(rule_id: str, *keys: str) -> str:
    digest = hashlib.sha256("\x1f".join((rule_id, *keys)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def actor(event: dict[str, Any]) -> dict[str, Any]:
    """The principal as CloudTrail names it; for roles, the session issuer's name as user_name."""
    identity = event.get("userIdentity")
    if not isinstance(identity, dict):
        identity = {}
    user_name = identity.get("userName")
    if user_name is None:
        # any level may hold a string, a list or a number in a broken or hostile record
        session = identity.get("sessionContext")
        issuer = session.get("sessionIssuer") if isinstance(session, dict) else None
        if isinstance(issuer, dict):
            user_name = issuer.get("userName")
    return {
        "type": _str(identity.get("type")),
        "arn": _str(identity.get("arn")),
        "principal_id": _str(identity.get("principalId")),
        "user_name": _str(user_name),
        "account_id": _str(identity.get("accountId")),
    }


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def event_fields(event: dict[str, Any]) -> dict[str, Any]:
    """The finding's fields that come from the event alone (id, time, source, account, actor…)."""
    principal = actor(event)
    return {
        "event_id": _str(event.get("eventID")),
        "event_time": _str(event.get("eventTime")),
        "event_source": _str(event.get("eventSource")),
        "event_name": _str(event.get("eventName")),
        "event_type": _str(event.get("eventType")),
        "account_id": _str(event.get("recipientAccountId")) or principal["account_id"],
        "region": _str(event.get("awsRegion")),
        "source_ip": _str(event.get("sourceIPAddress")),
        "user_agent": _str(event.get("userAgent")),
        "actor": principal,
    }


def build_finding(
    rule: CompiledRule,
    event: dict[str, Any],
    origin: Origin,
    *,
    evidence: bool = True,
    window_key: str | None = None,
    events: Sequence[dict[str, Any]] = (),
    count: int = 1,
    first_seen: str | None = None,
    last_seen: str | None = None,
    window: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One finding. For windows (dedup, thresholds, correlations), `event` is the last event,
    `events` all of them, and `window_key` identifies the window instead of the event."""
    definition = rule.rule
    key = window_key if window_key is not None else event_key(event)
    about = event_fields(event)
    finding: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "finding_id": finding_id(definition.id, key),
        "rule_id": definition.id,
        "rule_title": definition.title,
        "rule_description": definition.description,
        "severity": rule.severity,
        "tags": list(rule.tags),
        "references": list(definition.references),
        "title": rule.render_title(event),
        **about,
        "context": rule.context_values(event),
        "count": count,
        "first_seen": first_seen or about["event_time"],
        "last_seen": last_seen or about["event_time"],
        "origin": origin.as_dict(),
    }
    if events:
        finding["event_ids"] = [_str(e.get("eventID")) for e in events]
    if window is not None:
        finding["window"] = window
    if evidence:
        finding["event"] = event
    return finding
