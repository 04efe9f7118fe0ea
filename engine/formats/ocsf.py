"""OCSF Detection Finding (class 2004, category Findings, activity Create: type_uid 200401),
targeting OCSF **1.8.0** — the newest 1.x schema the `ocsf-json-schema` package ships — with the
`cloud` profile (which brings `cloud` and `api`) and the `host` profile (which is how a Detection
Finding may carry a top-level `actor`). Detection Finding has no top-level `src_endpoint`: the
caller's address travels in `evidences`, beside the API call and the actor, as OCSF intends.

Severity, status and analytic ids are OCSF's enums; times are epoch milliseconds. What OCSF has no
attribute for (the rule's context values, where the event was read, windows) goes under
`unmapped`; the CloudTrail record itself, when the finding carries it, goes in `raw_data`."""

from __future__ import annotations

from typing import Any

from engine.formats.addresses import ip_version, partition
from engine.formats.attack import TECHNIQUES, Attack, Tactic, Technique, finding_types, read_tags
from engine.formats.base import Finding, Format, dump_json
from engine.formats.product import NAME, VENDOR, product_version
from engine.formats.reading import event_of, identity_of, mapping, put, session_of, text, title_of
from engine.formats.registry import register_format
from engine.formats.resources import Resource, affected_resources
from engine.formats.timestamps import epoch_ms, finding_time, now, parse_time

OCSF_VERSION = "1.8.0"
PROFILES = ("cloud", "host")

SEVERITY = {
    "info": (1, "Informational"),
    "low": (2, "Low"),
    "medium": (3, "Medium"),
    "high": (4, "High"),
    "critical": (5, "Critical"),
}

# userIdentity.type → OCSF user type_id (1 User, 2 Admin, 4 Service; 99 Other keeps the name in `type`).
USER_TYPE_IDS = {"IAMUser": 1, "Root": 2, "AWSService": 4}
AWS_ACCOUNT = 10  # OCSF account type_id "AWS Account"
ANALYTIC_RULE = 1


@register_format("ocsf")
class OcsfFormat(Format):
    def __init__(self, *, raw_data: bool = True) -> None:
        self._raw_data = raw_data
        self._metadata_base: dict[str, Any] = {
            "version": OCSF_VERSION,
            "profiles": list(PROFILES),
            "product": {"name": NAME, "vendor_name": VENDOR, "version": product_version()},
        }

    def to_record(self, finding: Finding) -> dict[str, Any]:
        severity_id, severity = SEVERITY.get(str(finding.get("severity")), (0, "Unknown"))
        title = title_of(finding)
        record: dict[str, Any] = {
            "class_uid": 2004,
            "class_name": "Detection Finding",
            "category_uid": 2,
            "category_name": "Findings",
            "activity_id": 1,
            "activity_name": "Create",
            "type_uid": 200401,
            "type_name": "Detection Finding: Create",
            "severity_id": severity_id,
            "severity": severity,
            "status_id": 1,
            "status": "New",
            "is_alert": True,
            "time": epoch_ms(finding_time(finding) or now()),
            "message": title,
            "metadata": self._metadata(finding),
            "finding_info": _finding_info(finding, title),
            "cloud": _cloud(finding),
        }
        put(record, "count", finding.get("count") if isinstance(finding.get("count"), int) else None)
        put(record, "start_time", _ms(finding.get("first_seen")))
        put(record, "end_time", _ms(finding.get("last_seen")))
        actor, api, src = _actor(finding), _api(finding), _src_endpoint(finding)
        put(record, "actor", actor)
        put(record, "api", api)
        put(record, "evidences", _evidences(finding, actor, api, src))
        record["resources"] = [_resource(r) for r in affected_resources(finding)]
        if self._raw_data and event_of(finding):
            record["raw_data"] = dump_json(finding["event"]).decode("utf-8")
        put(record, "unmapped", _unmapped(finding))
        return record

    def _metadata(self, finding: Finding) -> dict[str, Any]:
        metadata = dict(self._metadata_base)
        metadata["uid"] = str(finding.get("finding_id"))
        put(metadata, "original_event_uid", text(finding.get("event_id")))
        put(metadata, "original_time", text(finding.get("event_time")))
        tags = [t for t in finding.get("tags") or () if isinstance(t, str)]
        put(metadata, "labels", tags)
        return metadata


def _finding_info(finding: Finding, title: str) -> dict[str, Any]:
    attack = read_tags(finding.get("tags") or ())
    analytic: dict[str, Any] = {"type_id": ANALYTIC_RULE, "type": "Rule", "uid": str(finding.get("rule_id"))}
    put(analytic, "name", text(finding.get("rule_title")))
    info: dict[str, Any] = {
        "uid": str(finding.get("finding_id")),
        "title": title,
        "analytic": analytic,
        "types": finding_types(attack),
        "data_sources": ["AWS CloudTrail"],
    }
    put(info, "desc", text(finding.get("rule_description")))
    put(info, "attacks", _attacks(attack))
    put(info, "first_seen_time", _ms(finding.get("first_seen")))
    put(info, "last_seen_time", _ms(finding.get("last_seen")))
    return info


def _attacks(attack: Attack) -> list[dict[str, Any]]:
    """One entry per technique, paired with the tactic when the rule names exactly one; with
    several tactics the pairing is unknown, so techniques and tactics get entries of their own."""
    paired = attack.tactics[0] if len(attack.tactics) == 1 else None
    entries = [_technique_entry(t, paired) for t in attack.techniques]
    if paired is None or not entries:
        entries.extend({"tactic": _tactic(t)} for t in attack.tactics)
    return entries


def _technique_entry(technique: Technique, tactic: Tactic | None) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if technique.is_sub:
        entry["technique"] = _named(technique.parent, TECHNIQUES.get(technique.parent))
        entry["sub_technique"] = _named(technique.uid, technique.name)
    else:
        entry["technique"] = _named(technique.uid, technique.name)
    if tactic is not None:
        entry["tactic"] = _tactic(tactic)
    return entry


def _tactic(tactic: Tactic) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tactic.name}
    put(out, "uid", tactic.uid)
    put(out, "src_url", tactic.url)
    return out


def _named(uid: str, name: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"uid": uid, "src_url": Technique(uid, name).url}
    put(out, "name", name)
    return out


def _cloud(finding: Finding) -> dict[str, Any]:
    region = text(finding.get("region"))
    cloud: dict[str, Any] = {"provider": "AWS", "cloud_partition": partition(region)}
    put(cloud, "region", region)
    account = text(finding.get("account_id"))
    if account:
        cloud["account"] = _aws_account(account)
    return cloud


def _actor(finding: Finding) -> dict[str, Any] | None:
    actor: dict[str, Any] = {}
    put(actor, "user", _user(finding))
    put(actor, "session", _session(finding))
    put(actor, "invoked_by", text(identity_of(finding).get("invokedBy")))
    return actor or None


def _user(finding: Finding) -> dict[str, Any] | None:
    principal = mapping(finding.get("actor"))
    user: dict[str, Any] = {}
    put(user, "uid", text(principal.get("arn")))
    put(user, "name", text(principal.get("user_name")))
    put(user, "uid_alt", text(principal.get("principal_id")))
    kind = text(principal.get("type"))
    if kind:
        user["type"] = kind
        user["type_id"] = USER_TYPE_IDS.get(kind, 99)
    account = text(principal.get("account_id"))
    if account:
        user["account"] = _aws_account(account)
    put(user, "credential_uid", text(identity_of(finding).get("accessKeyId")))
    return user if {"uid", "name", "account"} & user.keys() else None


def _session(finding: Finding) -> dict[str, Any] | None:
    context = session_of(finding)
    if not context:
        return None
    attributes = mapping(context.get("attributes"))
    session: dict[str, Any] = {}
    put(session, "created_time", _ms(attributes.get("creationDate")))
    mfa = attributes.get("mfaAuthenticated")
    if isinstance(mfa, str | bool):
        session["is_mfa"] = mfa is True or str(mfa).lower() == "true"
    put(session, "issuer", text(mapping(context.get("sessionIssuer")).get("arn")))
    put(session, "credential_uid", text(identity_of(finding).get("accessKeyId")))
    return session or None


def _api(finding: Finding) -> dict[str, Any] | None:
    operation = text(finding.get("event_name"))
    if not operation:
        return None
    api: dict[str, Any] = {"operation": operation}
    service = text(finding.get("event_source"))
    if service:
        api["service"] = {"name": service}
    event = event_of(finding)
    request_id = text(event.get("requestID"))
    if request_id:
        api["request"] = {"uid": request_id}
    error = text(event.get("errorCode"))
    if error:
        response: dict[str, Any] = {"error": error}
        put(response, "message", text(event.get("errorMessage")))
        api["response"] = response
    return api


def _src_endpoint(finding: Finding) -> dict[str, Any] | None:
    """The caller: `ip` when CloudTrail recorded an address, the service name when AWS called."""
    source = text(finding.get("source_ip"))
    if not source:
        return None
    if ip_version(source):
        return {"ip": source}
    if source.endswith(".amazonaws.com"):
        return {"svc_name": source}
    return {"name": source}


def _evidences(
    finding: Finding, actor: dict[str, Any] | None, api: dict[str, Any] | None, src: dict[str, Any] | None
) -> list[dict[str, Any]] | None:
    evidence: dict[str, Any] = {}
    put(evidence, "api", api)
    put(evidence, "actor", actor)
    put(evidence, "src_endpoint", src)
    if not evidence:
        return None
    agent = text(finding.get("user_agent"))
    if agent:
        evidence["http_request"] = {"user_agent": agent}
    put(evidence, "uid", text(finding.get("event_id")))
    return [evidence]


def _resource(resource: Resource) -> dict[str, Any]:
    out: dict[str, Any] = {"uid": resource.id, "type": resource.type}
    put(out, "name", resource.name)
    put(out, "region", resource.region)
    put(out, "cloud_partition", resource.partition)
    if resource.account_id:
        out["owner"] = {
            "account": {"uid": resource.account_id, "type_id": AWS_ACCOUNT, "type": "AWS Account"}
        }
    return out


def _aws_account(uid: str) -> dict[str, Any]:
    return {"uid": uid, "type_id": AWS_ACCOUNT, "type": "AWS Account"}


def _unmapped(finding: Finding) -> dict[str, Any] | None:
    extras = {
        key: finding.get(key)
        for key in ("context", "origin", "window", "event_ids", "references", "event_type", "schema_version")
    }
    kept = {key: value for key, value in extras.items() if value not in (None, {}, [])}
    return kept or None


def _ms(value: Any) -> int | None:
    moment = parse_time(value)
    return epoch_ms(moment) if moment else None
