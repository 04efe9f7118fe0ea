"""Elastic Common Schema, for Elasticsearch and Elastic Security: the finding as an alert
(`event.kind: alert`) with `rule.*`, `threat.*` (MITRE ATT&CK), `cloud.*`, `user.*`, `source.*`,
`user_agent.original`, `tls.*` and `related.*`, the CloudTrail record under `aws.cloudtrail` as
Elastic's AWS integration names it (`engine.formats.ecs_cloudtrail`), and what ECS has no field for
under `trailwarden.*`.

Field types follow ECS: `source.ip` only ever holds an IP address (CloudTrail's service names go
to `source.domain`), dates are RFC 3339, `event.category`/`event.type` use ECS's allowed values.
Every field written is in the index template of `engine.formats.ecs_template`; the open-ended
parts (`aws.cloudtrail.flattened.*`, `trailwarden.context`, a window's group) are `flattened`
there, so the number of fields of an index stays bounded whatever the events hold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.formats import ecs_cloudtrail
from engine.formats.addresses import ip_version
from engine.formats.attack import Attack, read_tags, technique
from engine.formats.base import Finding, Format
from engine.formats.product import NAME, VENDOR, product_version
from engine.formats.reading import event_of, mapping, put, text, title_of
from engine.formats.registry import register_format
from engine.formats.timestamps import finding_time, now, parse_time, rfc3339

ECS_VERSION = "8.11.0"
SEVERITY = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

_IAM_SOURCES = frozenset(
    {"iam.amazonaws.com", "sts.amazonaws.com", "sso.amazonaws.com", "identitystore.amazonaws.com"}
)
_CREATION = ("Create", "Run", "Add", "Register", "Allocate", "Import", "Issue", "Request")
_DELETION = ("Delete", "Remove", "Terminate", "Deregister", "Release", "Revoke", "Disassociate", "Detach")
_ACCESS = ("Get", "List", "Describe", "Lookup", "Head", "Search", "Scan", "Query", "BatchGet", "Select")


@register_format("ecs")
class EcsFormat(Format):
    def __init__(self) -> None:
        self._observer = {"vendor": VENDOR, "product": NAME, "version": product_version()}

    def to_record(self, finding: Finding) -> dict[str, Any]:
        attack = read_tags(finding.get("tags") or ())
        record: dict[str, Any] = {
            "@timestamp": rfc3339(finding_time(finding) or now()),
            "ecs": {"version": ECS_VERSION},
            "message": title_of(finding),
            "event": _event(finding),
            "rule": _rule(finding),
            "observer": dict(self._observer),
            "cloud": _cloud(finding),
            "trailwarden": _trailwarden(finding),
        }
        event = event_of(finding)
        put(record, "threat", _threat(attack))
        put(record, "user", _user(finding, event))
        put(record, "source", _source(finding))
        agent = text(finding.get("user_agent"))
        if agent:
            record["user_agent"] = {"original": agent}
        put(record, "related", _related(finding, event))
        if event:
            put(record, "tls", ecs_cloudtrail.tls(event))
            _, group = ecs_cloudtrail.targets(event)
            put(record, "group", group)
            record["event"]["original"] = ecs_cloudtrail.original(event)
            record["aws"] = {"cloudtrail": ecs_cloudtrail.aws_cloudtrail(event)}
        return record


def _event(finding: Finding) -> dict[str, Any]:
    category, types = categorize(text(finding.get("event_source")), text(finding.get("event_name")))
    event: dict[str, Any] = {
        "kind": "alert",
        "category": category,
        "type": types,
        "id": str(finding.get("finding_id")),
        "module": NAME,
        "dataset": f"{NAME}.finding",
        "severity": SEVERITY.get(str(finding.get("severity")), 0),
        "reason": title_of(finding),
    }
    put(event, "action", text(finding.get("event_name")))
    put(event, "provider", text(finding.get("event_source")))
    for key, field in (("start", "first_seen"), ("end", "last_seen")):
        moment = parse_time(finding.get(field))
        if moment:
            event[key] = rfc3339(moment)
    record = event_of(finding)
    if record:
        event["outcome"] = ecs_cloudtrail.outcome(record)
    return event


def categorize(source: str | None, name: str | None) -> tuple[list[str], list[str]]:
    """ECS `event.category` and `event.type` for an AWS API call, from its service and verb,
    keeping to the types ECS allows with each category."""
    name = name or ""
    if source == "signin.amazonaws.com":
        return ["authentication", "session"], ["start" if name == "ConsoleLogin" else "info"]
    kind = "info"
    if name.startswith(_CREATION):
        kind = "creation"
    elif name.startswith(_DELETION):
        kind = "deletion"
    elif name.startswith(_ACCESS):
        kind = "access"
    elif name:
        kind = "change"
    if source in _IAM_SOURCES:
        return ["iam"], ["info" if kind == "access" else kind]
    return ["configuration"], [kind]


def _rule(finding: Finding) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": str(finding.get("rule_id")), "ruleset": NAME}
    put(rule, "name", text(finding.get("rule_title")))
    put(rule, "description", text(finding.get("rule_description")))
    references = [r for r in finding.get("references") or () if isinstance(r, str)]
    if references:
        rule["reference"] = references[0]
    return rule


def _threat(attack: Attack) -> dict[str, Any] | None:
    """ATT&CK as ECS's parallel arrays; an id or a name this module does not know is left out."""
    if not attack:
        return None
    threat: dict[str, Any] = {"framework": "MITRE ATT&CK"}
    if attack.tactics:
        threat["tactic"] = _columns(
            ("id", [t.uid for t in attack.tactics]),
            ("name", [t.name for t in attack.tactics]),
            ("reference", [t.url for t in attack.tactics]),
        )
    parents = list(dict.fromkeys(t.parent for t in attack.techniques))
    if parents:
        technique_info = [technique(uid) for uid in parents]
        threat["technique"] = _columns(
            ("id", parents),
            ("name", [t.name for t in technique_info]),
            ("reference", [t.url for t in technique_info]),
        )
        subs = [t for t in attack.techniques if t.is_sub]
        if subs:
            threat["technique"]["subtechnique"] = _columns(
                ("id", [t.uid for t in subs]),
                ("name", [t.name for t in subs]),
                ("reference", [t.url for t in subs]),
            )
    return threat


def _columns(*columns: tuple[str, Sequence[str | None]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, values in columns:
        kept = [v for v in values if v]
        if kept:
            out[key] = kept
    return out


def _cloud(finding: Finding) -> dict[str, Any]:
    cloud: dict[str, Any] = {"provider": "aws"}
    account = text(finding.get("account_id"))
    if account:
        cloud["account"] = {"id": account}
    put(cloud, "region", text(finding.get("region")))
    service = text(finding.get("event_source"))
    if service:
        cloud["service"] = {"name": service}
    return cloud


def _user(finding: Finding, record: Mapping[str, Any]) -> dict[str, Any] | None:
    actor = mapping(finding.get("actor"))
    user: dict[str, Any] = {}
    put(user, "name", text(actor.get("user_name")))
    put(user, "id", text(actor.get("principal_id")))
    if record:
        targets, _ = ecs_cloudtrail.targets(record)
        user.update(targets)
    return user or None


def _source(finding: Finding) -> dict[str, Any] | None:
    source = text(finding.get("source_ip"))
    if not source:
        return None
    if ip_version(source):
        return {"ip": source, "address": source}
    return {"domain": source, "address": source}


def _related(finding: Finding, record: Mapping[str, Any]) -> dict[str, Any] | None:
    actor = mapping(finding.get("actor"))
    related: dict[str, Any] = {}
    source = text(finding.get("source_ip"))
    if source and ip_version(source):
        related["ip"] = [source]
    users = [u for u in (text(actor.get("user_name")), text(actor.get("arn"))) if u]
    users += ecs_cloudtrail.related_users(record)
    put(related, "user", list(dict.fromkeys(users)))
    return related or None


# The keys of the native finding's objects that trailwarden.* keeps, so the template can map them
# all; `context` and a window's `group` hold whatever the rule says and are `flattened` there.
_ACTOR_KEYS = ("type", "arn", "principal_id", "user_name", "account_id")
_ORIGIN_KEYS = ("source", "index", "line")
_WINDOW_KEYS = ("kind", "group", "start", "end")


def _trailwarden(finding: Finding) -> dict[str, Any]:
    extras: dict[str, Any] = {"finding_id": str(finding.get("finding_id"))}
    for key in ("schema_version", "count", "event_id", "event_ids", "tags"):
        value = finding.get(key)
        if value not in (None, {}, []):
            extras[key] = value
    put(extras, "context", dict(mapping(finding.get("context"))))
    for key, keys in (("actor", _ACTOR_KEYS), ("origin", _ORIGIN_KEYS), ("window", _WINDOW_KEYS)):
        value = mapping(finding.get(key))
        put(extras, key, {k: value[k] for k in keys if value.get(k) not in (None, {}, [])})
    return extras
