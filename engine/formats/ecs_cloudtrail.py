"""A CloudTrail record as Elastic's AWS integration lays it out (`packages/aws/data_stream/cloudtrail`
in elastic/integrations: `fields/fields.yml` for names and types, the ingest pipeline for what goes
where), so the dashboards and detection rules written for that integration read our alerts too.

Under `aws.cloudtrail`: snake_case names, only the fields the integration defines. The open-ended
objects (`requestParameters`, `responseElements`, `additionalEventData`, `serviceEventDetails`) are
kept twice, as JSON text (keyword) and as `aws.cloudtrail.flattened.*` objects (Elasticsearch's
`flattened` type: one field in the mapping whatever keys they hold), which is what keeps the number
of fields of an index bounded. The rest of the record goes to ECS core fields (`event.*`, `tls.*`,
`user.target.*`, `group.*`), as the integration's pipeline puts it, and the record itself is kept
whole as `event.original` (ECS: stored, not indexed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.formats.base import dump_json
from engine.formats.reading import mapping, put, text
from engine.formats.timestamps import parse_time, rfc3339

# The integration copies an object into `flattened` only below this size of its text: a
# flattened leaf longer than Lucene's term limit would make Elasticsearch refuse the document.
FLATTENED_LIMIT = 32766
# Elasticsearch refuses a document whose flattened object is deeper than its `depth_limit` (20).
FLATTENED_DEPTH = 20
OPEN_ENDED = (
    ("requestParameters", "request_parameters"),
    ("responseElements", "response_elements"),
    ("additionalEventData", "additional_eventdata"),
    ("serviceEventDetails", "service_event_details"),
)
_KEYWORDS = (
    ("eventVersion", "event_version"),
    ("eventCategory", "event_category"),
    ("eventType", "event_type"),
    ("apiVersion", "api_version"),
    ("managementEvent", "management_event"),
    ("requestID", "request_id"),
    ("recipientAccountId", "recipient_account_id"),
    ("sharedEventID", "shared_event_id"),
    ("vpcEndpointId", "vpc_endpoint_id"),
    ("errorCode", "error_code"),
    ("errorMessage", "error_message"),
    ("sessionCredentialFromConsole", "session_credential_from_console"),
)
_ISSUER = (("type", "type"), ("principalId", "principal_id"), ("arn", "arn"), ("accountId", "account_id"))


def aws_cloudtrail(record: Mapping[str, Any]) -> dict[str, Any]:
    """The `aws.cloudtrail` object of an ECS document for `record`."""
    out: dict[str, Any] = {}
    for source, target in _KEYWORDS:
        put(out, target, keyword(record.get(source)))
    put(out, "read_only", boolean(record.get("readOnly")))
    put(out, "user_identity", _user_identity(mapping(record.get("userIdentity"))))
    flattened: dict[str, Any] = {}
    for source, target in OPEN_ENDED:
        value = record.get(source)
        if value is None or value in ({}, [], ""):
            continue
        as_text = keyword(value)
        out[target] = as_text
        if isinstance(value, Mapping) and len(as_text or "") < FLATTENED_LIMIT and _fits_depth(value):
            flattened[target] = value
    insight = record.get("insightDetails")
    if isinstance(insight, Mapping) and insight and _fits_depth(insight):
        flattened["insight_details"] = insight
    put(out, "flattened", flattened)
    put(out, "resources", _resources(record.get("resources")))
    if record.get("eventName") == "ConsoleLogin":
        put(out, "console_login", _console_login(mapping(record.get("additionalEventData"))))
    return out


def outcome(record: Mapping[str, Any]) -> str:
    """ECS `event.outcome` as the integration decides it: ConsoleLogin says so itself."""
    if record.get("eventName") == "ConsoleLogin":
        said = text(mapping(record.get("responseElements")).get("ConsoleLogin"))
        if said and said.lower() in ("success", "failure"):
            return said.lower()
    failed = keyword(record.get("errorCode")) or keyword(record.get("errorMessage"))
    return "failure" if failed else "success"


def tls(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """ECS `tls.*` from `tlsDetails` (`TLSv1.2` is protocol `tls`, version `1.2`)."""
    details = mapping(record.get("tlsDetails"))
    out: dict[str, Any] = {}
    version = text(details.get("tlsVersion"))
    if version and "v" in version:
        protocol, _, number = version.partition("v")
        put(out, "version_protocol", text(protocol.lower()))
        put(out, "version", text(number))
    put(out, "cipher", text(details.get("cipherSuite")))
    host = text(details.get("clientProvidedHostHeader"))
    if host:
        out["client"] = {"server_name": host}
    return out or None


def targets(record: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an IAM call acted on, as the integration fills it: `user.target`/`user.changes`
    (into `user`) and `group`."""
    request = mapping(record.get("requestParameters"))
    response = mapping(record.get("responseElements"))
    user: dict[str, Any] = {}
    target: dict[str, Any] = {}
    put(target, "name", text(request.get("userName")))
    put(target, "id", text(mapping(response.get("user")).get("userId")))
    put(user, "target", target)
    changed = text(request.get("newUserName"))
    if changed:
        user["changes"] = {"name": changed}
    group: dict[str, Any] = {}
    put(group, "name", text(request.get("groupName")))
    put(group, "id", text(mapping(response.get("group")).get("groupId")))
    return user, group


def related_users(record: Mapping[str, Any]) -> list[str]:
    """Users named by the call (`related.user` in the integration)."""
    request = mapping(record.get("requestParameters"))
    return [u for u in (text(request.get("userName")), text(request.get("newUserName"))) if u]


def original(record: Mapping[str, Any]) -> str:
    """`event.original`: the record as JSON text, so nothing the layout leaves out is lost."""
    return dump_json(dict(record)).decode("utf-8")


def keyword(value: Any) -> str | None:
    """A value for a keyword field: strings as they are, booleans as `true`/`false` (what
    Elasticsearch indexes for them), numbers as text, objects and arrays as JSON text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float):
        return str(value)
    return dump_json(value).decode("utf-8")


def boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _fits_depth(value: Any, depth: int = 1) -> bool:
    """Whether `value` nests objects at most FLATTENED_DEPTH deep (arrays add no depth)."""
    if depth > FLATTENED_DEPTH:
        return False
    if isinstance(value, Mapping):
        return all(_fits_depth(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(_fits_depth(v, depth) for v in value)
    return True


def _user_identity(identity: Mapping[str, Any]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    put(out, "type", keyword(identity.get("type")))
    put(out, "arn", keyword(identity.get("arn")))
    put(out, "access_key_id", keyword(identity.get("accessKeyId")))
    put(out, "invoked_by", keyword(identity.get("invokedBy")))
    session = mapping(identity.get("sessionContext"))
    attributes = mapping(session.get("attributes"))
    context: dict[str, Any] = {}
    put(context, "mfa_authenticated", keyword(attributes.get("mfaAuthenticated")))
    created = parse_time(attributes.get("creationDate"))
    if created is not None:
        context["creation_date"] = rfc3339(created)
    issuer_record = mapping(session.get("sessionIssuer"))
    issuer: dict[str, Any] = {}
    for source, target in _ISSUER:
        put(issuer, target, keyword(issuer_record.get(source)))
    put(context, "session_issuer", issuer)
    put(out, "session_context", context)
    return out or None


def _resources(value: Any) -> list[dict[str, str]] | None:
    """`resources` with the integration's names (`ARN` → `arn`), duplicates dropped."""
    if not isinstance(value, list):
        return None
    seen: dict[tuple[str | None, ...], dict[str, str]] = {}
    for item in value:
        resource = mapping(item)
        out: dict[str, str] = {}
        put(out, "arn", keyword(resource.get("ARN")))
        put(out, "account_id", keyword(resource.get("accountId")))
        put(out, "type", keyword(resource.get("type")))
        if out:
            seen.setdefault((out.get("arn"), out.get("account_id"), out.get("type")), out)
    return list(seen.values()) or None


def _console_login(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """ConsoleLogin's `additionalEventData` as the integration types it (`No` is false)."""
    out: dict[str, Any] = {}
    for source, target in (("MobileVersion", "mobile_version"), ("MFAUsed", "mfa_used")):
        value = data.get(source)
        if isinstance(value, str):
            out[target] = value != "No"
        elif isinstance(value, bool):
            out[target] = value
    put(out, "login_to", text(data.get("LoginTo")))
    return {"additional_eventdata": out} if out else None
