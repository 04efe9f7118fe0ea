"""OCSF API Activity → the CloudTrail record it came from, so the same rules read both.

Amazon Security Lake stores CloudTrail as OCSF: source version 2.0 as OCSF 1.1.0 API Activity
(class 6003), 1.0 as OCSF 1.0.0-rc.2 (class 3005). The mapping inverted here is the one OCSF
publishes for CloudTrail (ocsf/examples, `mappings/markdown/AWS/v1.1.0/CloudTrail/API Activity`
and its Bloblang `cloudtrail_api_activity.blobl`): `api.operation` ↔ eventName, `api.service.name`
↔ eventSource, `actor.user.*` ↔ userIdentity, `src_endpoint.ip`/`.domain` ↔ sourceIPAddress,
`api.request.data`/`api.response.data` ↔ requestParameters/responseElements (JSON text),
`api.response.error`/`.message` ↔ errorCode/errorMessage, `metadata.uid` ↔ eventID, `time_dt`
↔ eventTime, and every other CloudTrail field in `unmapped`.

`unmapped` is a map of strings: a key is a CloudTrail path (`recipientAccountId`, `tlsDetails`,
`userIdentity.sessionContext.sessionIssuer.type`), a value is the JSON text of what is there (a
value that is not JSON — Security Lake 1.0 wrote some bare — is taken as the string it is).

What the OCSF form cannot carry comes back rebuilt or not at all (README, "Amazon Security Lake"):
- `userIdentity.sessionContext.sessionIssuer.userName` is dropped by the mapping; it is rebuilt
  from the issuer's ARN (`…:role/path/Name` → `Name`), which is what CloudTrail writes there.
- `identityProvider` and `sessionContext.webIdFederationData.federatedProvider` share
  `actor.idp.name`; when both were present and equal only the latter comes back.
- a field that was JSON `null` (`responseElements: null`) comes back absent, which JMESPath
  reads the same way."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

Row = Mapping[str, Any]
Event = dict[str, Any]

# OCSF classes that AWS's CloudTrail mappings produce (all carry api, actor and src_endpoint):
# API Activity in 1.1 (6003) and 1.0 (3005), and the Authentication / Account Change classes
# (3002 / 3001) some mappings give console sign-ins and IAM user changes.
API_ACTIVITY = 6003
CLASSES = {6003: "API Activity", 3005: "API Activity", 3002: "Authentication", 3001: "Account Change"}
VERSIONS = ("1.0.", "1.1.")  # OCSF 1.0.0-rc.2 (Security Lake 1.0) and 1.1.0 (Security Lake 2.0)

# The top-level columns the reverse mapping reads: everything else (observables, enrichments,
# severity, type_uid, …) is never read from the file.
COLUMNS = (
    "class_uid",
    "time",
    "time_dt",
    "metadata",
    "actor",
    "api",
    "src_endpoint",
    "cloud",
    "http_request",
    "resources",
    "is_mfa",
    "unmapped",
)

# The leaf columns that give each CloudTrail field the lean decoder reads from every record (and
# the few a rule-index key may need), in the order the mapping tries them; a field not here lives
# in `unmapped`, or is named otherwise by OCSF 1.0 (class 3005 rows take the full mapping).
FIELD_COLUMNS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("eventSource",): ("api.service.name",),
    ("eventName",): ("api.operation",),
    ("eventType",): ("metadata.event_code", "metadata.log_name"),
    ("eventTime",): ("time_dt", "time"),
    ("eventID",): ("metadata.uid",),
    ("awsRegion",): ("cloud.region",),
    ("recipientAccountId",): ("cloud.account.uid",),
    ("userIdentity", "accountId"): ("actor.user.account.uid", "actor.user.account_uid"),
    ("userIdentity", "type"): ("actor.user.type",),
    ("userIdentity", "arn"): ("actor.user.uid",),
    ("userIdentity", "principalId"): ("actor.user.uid_alt",),
    ("userIdentity", "userName"): ("actor.user.name",),
    ("userIdentity", "accessKeyId"): ("actor.user.credential_uid",),
    ("userIdentity", "invokedBy"): ("actor.invoked_by",),
    ("sourceIPAddress",): ("src_endpoint.ip", "src_endpoint.domain"),
    ("userAgent",): ("http_request.user_agent",),
    ("errorCode",): ("api.response.error",),
    ("errorMessage",): ("api.response.message",),
}
ROW_CHECK_COLUMNS = ("class_uid", "metadata.version")


def row_problem(row: Row) -> str | None:
    """Why a row is not a CloudTrail API call this mapping can read, or None when it is."""
    class_uid = row.get("class_uid")
    if class_uid not in CLASSES:
        return f"OCSF class {class_uid}, not API Activity (6003 or 3005): not CloudTrail from Security Lake"
    version = _get(row, "metadata", "version")
    if not isinstance(version, str) or not version.startswith(VERSIONS):
        return f"OCSF schema version {version!r}, not 1.0 or 1.1: its fields may mean something else"
    return None


def to_cloudtrail(row: Row, account: str | None = None) -> Event:
    """The CloudTrail record of one OCSF row (a dict as pyarrow's `to_pylist` gives it).

    Fields absent from the row are absent from the record, so a row read with only a few columns
    gives a record of only those fields. `account` (the lake's `accountId=` partition) stands in
    for recipientAccountId when neither `unmapped` nor `cloud.account.uid` holds it."""
    legacy = row.get("class_uid") == 3005  # OCSF 1.0.0-rc.2 names a few user fields otherwise
    event: Event = {}
    metadata = row.get("metadata") or {}
    product = metadata.get("product") or {}
    api = row.get("api") or {}
    request = api.get("request") or {}
    response = api.get("response") or {}
    cloud = row.get("cloud") or {}

    _put(event, "eventVersion", product.get("version"))
    identity = _identity(row, legacy)
    if identity:
        event["userIdentity"] = identity
    _put(event, "eventTime", _event_time(row))
    _put(event, "eventSource", (api.get("service") or {}).get("name"))
    _put(event, "eventName", api.get("operation"))
    _put(event, "awsRegion", cloud.get("region"))
    endpoint = row.get("src_endpoint") or {}
    _put(event, "sourceIPAddress", endpoint.get("ip") or endpoint.get("domain"))
    _put(event, "userAgent", (row.get("http_request") or {}).get("user_agent"))
    _put(event, "errorCode", response.get("error"))
    _put(event, "errorMessage", response.get("message"))
    _put(event, "requestParameters", _json(request.get("data")))
    _put(event, "responseElements", _json(response.get("data")))
    _put(event, "requestID", request.get("uid"))
    _put(event, "eventID", metadata.get("uid"))
    _put(event, "apiVersion", api.get("version"))
    _put(event, "eventType", metadata.get("event_code") or metadata.get("log_name"))
    _put(event, "vpcEndpointId", endpoint.get("uid"))
    _put(event, "eventCategory", (product.get("feature") or {}).get("name"))
    resources = row.get("resources")
    if resources:
        event["resources"] = [_resource(item) for item in resources if item]
    _unmapped(event, row.get("unmapped"))
    if "recipientAccountId" not in event:
        _put(event, "recipientAccountId", (cloud.get("account") or {}).get("uid") or account)
    mfa_used = row.get("is_mfa")
    if mfa_used is not None and "MFAUsed" not in (event.get("additionalEventData") or {}):
        event.setdefault("additionalEventData", {})["MFAUsed"] = "Yes" if mfa_used else "No"
    return event


def _identity(row: Row, legacy: bool) -> Event:
    actor = row.get("actor") or {}
    user = actor.get("user") or {}
    identity: Event = {}
    _put(identity, "type", user.get("type"))
    if legacy:
        _put(identity, "principalId", user.get("uid"))
        _put(identity, "arn", user.get("uuid"))
        _put(identity, "accountId", user.get("account_uid"))
    else:
        _put(identity, "principalId", user.get("uid_alt"))
        _put(identity, "arn", user.get("uid"))
        _put(identity, "accountId", (user.get("account") or {}).get("uid") or user.get("account_uid"))
    _put(identity, "accessKeyId", user.get("credential_uid"))
    _put(identity, "userName", user.get("name"))
    _put(identity, "invokedBy", actor.get("invoked_by"))
    _put(identity, "identityProvider", (actor.get("idp") or {}).get("name"))
    session = actor.get("session") or {}
    context: Event = {}
    issuer = session.get("issuer")
    if issuer:
        context["sessionIssuer"] = {"arn": issuer}
        name = _issuer_name(issuer)
        if name is not None:
            context["sessionIssuer"]["userName"] = name
    attributes: Event = {}
    created = session.get("created_time_dt") or session.get("created_time")
    _put(attributes, "creationDate", _iso(created) if created is not None else None)
    mfa = session.get("is_mfa", session.get("mfa"))
    if mfa is not None:
        attributes["mfaAuthenticated"] = "true" if mfa else "false"
    if attributes:
        context["attributes"] = attributes
    if context:
        identity["sessionContext"] = context
    return identity


def _issuer_name(arn: str) -> str | None:
    """CloudTrail's sessionIssuer.userName: the last part of the issuer's role or user ARN."""
    resource = arn.split(":", 5)[-1]
    return resource.rsplit("/", 1)[-1] if "/" in resource else None


def _unmapped(event: Event, unmapped: Any) -> None:
    """Put each `unmapped` entry back at its path, merging into what the mapped columns built."""
    if not unmapped:
        return
    items = unmapped.items() if isinstance(unmapped, dict) else unmapped  # pyarrow: a list of pairs
    for key, text in items:
        if text is None:
            continue
        value = _json(text)
        *parents, leaf = key.split(".")
        node = event
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if isinstance(value, dict) and isinstance(node.get(leaf), dict):
            node[leaf] = {**value, **node[leaf]}  # the mapped columns win over a stale copy
        elif leaf not in node:
            node[leaf] = value
    _drop_shared_idp(event)


def _drop_shared_idp(event: Event) -> None:
    """`actor.idp.name` also carries the web-identity provider, which `unmapped` keeps in place."""
    identity = event.get("userIdentity")
    if not isinstance(identity, dict) or "identityProvider" not in identity:
        return
    web = ((identity.get("sessionContext") or {}).get("webIdFederationData") or {}).get("federatedProvider")
    if web is not None and web == identity["identityProvider"]:
        del identity["identityProvider"]


def _resource(item: Row) -> Event:
    resource: Event = {}
    _put(resource, "ARN", item.get("uid"))
    _put(resource, "accountId", (item.get("account") or {}).get("uid") or item.get("account_uid"))
    _put(resource, "type", item.get("type"))
    return resource


def _event_time(row: Row) -> str | None:
    stamp = row.get("time_dt")
    if stamp is None:
        stamp = row.get("time")
    return None if stamp is None else _iso(stamp)


def _iso(stamp: Any) -> str:
    """CloudTrail's time form, `2026-11-20T10:05:00Z`, with milliseconds only when there are some."""
    if isinstance(stamp, int | float):  # OCSF timestamp_t: milliseconds since the epoch
        stamp = datetime.fromtimestamp(stamp / 1000, UTC)
    if not isinstance(stamp, datetime):
        return str(stamp)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC)
    text: str = stamp.strftime("%Y-%m-%dT%H:%M:%S")
    if stamp.microsecond:
        text += f".{stamp.microsecond // 1000:03d}"
    return text + "Z"


def _json(text: Any) -> Any:
    """A JSON-text column's value; text that is not JSON is kept as the string it is."""
    if not isinstance(text, str):
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def _put(target: Event, key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def _get(row: Row, *path: str) -> Any:
    node: Any = row
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


# CloudTrail fields a lake does not give back as a trail has them (README, "Amazon Security Lake").
LAKE_GAPS = {
    "insightDetails": "CloudTrail Insights events are not in Security Lake",
    "identityProvider": "userIdentity.identityProvider shares actor.idp.name with the web-identity provider",
}
_INSIGHTS = "the rule asks for CloudTrail Insights events, which Security Lake does not carry"


def lake_gaps(texts: Iterable[str], *, insight: bool = False) -> list[str]:
    """Why a rule may not fire on a lake as on a trail, from the text of what it reads (its match
    keys, conditions, exceptions, output and context) and whether it asks for Insights events:
    what `trailwarden validate --source-format ocsf` warns about, per rule. Empty: no gap."""
    found = [_INSIGHTS] if insight else []
    joined = "\n".join(texts)
    for field, why in LAKE_GAPS.items():
        if (
            re.search(rf"\b{field}\b", joined)
            and why not in found
            and not (insight and field == "insightDetails")
        ):
            found.append(why)
    return found
