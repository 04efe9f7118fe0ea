"""CloudTrail record → OCSF 1.1.0 API Activity (class 6003), as Security Lake 2.0 stores it.

The forward half of engine.decoding.ocsf, following the mapping OCSF publishes for CloudTrail
(ocsf/examples: `mappings/markdown/AWS/v1.1.0/CloudTrail/API Activity/README.md` and the Bloblang
`cloudtrail_api_activity.blobl`). It builds lakes for tests and benchmarks, and shows exactly what
a lake holds: what the mapping drops (sessionIssuer.userName) is dropped here too, so scanning
what it writes proves the rules against the OCSF form, not against a copy of the trail.

`arrow_schema()` types every column (strings, timestamps, booleans, the `unmapped` map); it needs
pyarrow, the rest of the module does not."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import orjson

Event = dict[str, Any]

# Fields a mapped column carries, removed from what goes to `unmapped`.
_MAPPED = (
    ("eventVersion",),
    ("userIdentity", "type"),
    ("userIdentity", "principalId"),
    ("userIdentity", "arn"),
    ("userIdentity", "accountId"),
    ("userIdentity", "accessKeyId"),
    ("userIdentity", "userName"),
    ("userIdentity", "invokedBy"),
    ("userIdentity", "identityProvider"),
    ("userIdentity", "sessionContext", "sessionIssuer", "arn"),
    ("userIdentity", "sessionContext", "sessionIssuer", "userName"),  # dropped by AWS's mapping
    ("userIdentity", "sessionContext", "attributes", "creationDate"),
    ("userIdentity", "sessionContext", "attributes", "mfaAuthenticated"),
    ("eventTime",),
    ("eventSource",),
    ("eventName",),
    ("awsRegion",),
    ("sourceIPAddress",),
    ("userAgent",),
    ("errorCode",),
    ("errorMessage",),
    ("requestParameters",),
    ("responseElements",),
    ("requestID",),
    ("eventID",),
    ("apiVersion",),
    ("eventType",),
    ("vpcEndpointId",),
    ("eventCategory",),
    ("resources",),
)
# Objects partly mapped: what is left of them goes to `unmapped` one key at a time.
_FLATTENED = frozenset(
    {
        ("userIdentity",),
        ("userIdentity", "sessionContext"),
        ("userIdentity", "sessionContext", "sessionIssuer"),
        ("userIdentity", "sessionContext", "attributes"),
        ("additionalEventData",),
    }
)
_ACTIVITIES = (  # OCSF API Activity activity_id from the verb of eventName, as the Bloblang has it
    (1, "Create", ("Create", "Run", "Generate")),
    (2, "Read", ("Get", "List", "Describe", "Search", "Lookup")),
    (4, "Delete", ("Delete", "Terminate")),
    (3, "Update", ("Update", "Put", "Modify", "Add", "Remove", "Start", "Stop", "Attach", "Detach")),
    (3, "Update", ("Associate", "Disassociate", "Tag", "Untag", "Enable", "Disable", "Register")),
)


def to_ocsf(event: Event) -> Event:
    """The OCSF API Activity row of one CloudTrail record (nested dicts, None for absent)."""
    identity = event.get("userIdentity") or {}
    context = identity.get("sessionContext") or {}
    attributes = context.get("attributes") or {}
    issuer = context.get("sessionIssuer") or {}
    web = context.get("webIdFederationData") or {}
    name = str(event.get("eventName") or "")
    activity_id, activity_name = _activity(name)
    error = event.get("errorCode")
    mfa = (event.get("additionalEventData") or {}).get("MFAUsed")
    time = _parse_time(event.get("eventTime"))
    source_ip = event.get("sourceIPAddress")
    is_ip = isinstance(source_ip, str) and any(ch.isdigit() for ch in source_ip)  # the Bloblang's test
    return {
        "class_uid": 6003,
        "class_name": "API Activity",
        "category_uid": 6,
        "category_name": "Application Activity",
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": 600300 + activity_id,
        "type_name": f"API Activity: {activity_name}",
        "severity_id": 1,
        "severity": "Informational",
        "status_id": 1 if error is None else 2,
        "status": "Success" if error is None else "Failure",
        "time": None if time is None else int(time.timestamp() * 1000),
        "time_dt": time,
        "metadata": {
            "uid": event.get("eventID"),
            "version": "1.1.0",
            "event_code": event.get("eventType"),
            "profiles": ["cloud", "datetime"],
            "product": {
                "name": "CloudTrail",
                "vendor_name": "AWS",
                "version": event.get("eventVersion"),
                "feature": {"name": event.get("eventCategory")},
            },
        },
        "actor": {
            "user": {
                "type": identity.get("type"),
                "uid": identity.get("arn"),
                "uid_alt": identity.get("principalId"),
                "name": identity.get("userName"),
                "credential_uid": identity.get("accessKeyId"),
                "account": {"uid": identity.get("accountId")},
            },
            "session": {
                "created_time_dt": _parse_time(attributes.get("creationDate")),
                "is_mfa": None
                if attributes.get("mfaAuthenticated") is None
                else attributes.get("mfaAuthenticated") == "true",
                "issuer": issuer.get("arn"),
            },
            "invoked_by": identity.get("invokedBy"),
            "idp": {"name": identity.get("identityProvider") or web.get("federatedProvider")},
        },
        "api": {
            "operation": event.get("eventName"),
            "version": event.get("apiVersion"),
            "service": {"name": event.get("eventSource")},
            "request": {"uid": event.get("requestID"), "data": _text(event.get("requestParameters"))},
            "response": {
                "error": error,
                "message": event.get("errorMessage"),
                "data": _text(event.get("responseElements")),
            },
        },
        "src_endpoint": {
            "ip": source_ip if is_ip else None,
            "domain": None if is_ip else source_ip,
            "uid": event.get("vpcEndpointId"),
        },
        "cloud": {
            "provider": "AWS",
            "region": event.get("awsRegion"),
            "account": {"uid": event.get("recipientAccountId")},
        },
        "http_request": {"user_agent": event.get("userAgent")},
        "resources": [
            {"uid": item.get("ARN"), "type": item.get("type"), "account": {"uid": item.get("accountId")}}
            for item in event.get("resources") or ()
            if isinstance(item, dict)
        ]
        or None,
        "is_mfa": None if mfa not in ("Yes", "No") else mfa == "Yes",
        "unmapped": _unmapped(event, mfa in ("Yes", "No")),
    }


def _unmapped(event: Event, mfa_mapped: bool) -> list[tuple[str, str]]:
    rest = copy.deepcopy(event)
    for path in _MAPPED:
        _remove(rest, path)
    if mfa_mapped:
        _remove(rest, ("additionalEventData", "MFAUsed"))
    empty = frozenset(path for path in _FLATTENED if _at(event, path) == {})
    pairs: list[tuple[str, str]] = []
    _flatten(rest, (), pairs, empty)
    return pairs


def _flatten(
    node: Event, path: tuple[str, ...], pairs: list[tuple[str, str]], empty: frozenset[tuple[str, ...]]
) -> None:
    for key, value in node.items():
        here = (*path, key)
        if here in _FLATTENED and isinstance(value, dict) and value and not any("." in k for k in value):
            _flatten(value, here, pairs, empty)
        elif here in _FLATTENED and value == {} and here not in empty:
            continue  # emptied by the mapped fields, which the reverse mapping puts back
        else:
            pairs.append((".".join(here), orjson.dumps(value).decode()))


def _at(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _remove(node: Event, path: tuple[str, ...]) -> None:
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            return
        node = child
    node.pop(path[-1], None)


def _activity(name: str) -> tuple[int, str]:
    for activity_id, activity_name, verbs in _ACTIVITIES:
        if any(verb in name for verb in verbs):
            return activity_id, activity_name
    return 99, "Other"


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def arrow_schema() -> Any:
    """The Parquet schema of a Security Lake 2.0 CloudTrail table, as far as the mapping fills it."""
    import pyarrow as pa

    s = pa.string()
    ts = pa.timestamp("ms", tz="UTC")

    def struct(**fields: Any) -> Any:
        return pa.struct([pa.field(name, kind) for name, kind in fields.items()])

    account = struct(uid=s)
    return pa.schema(
        [
            ("class_uid", pa.int32()),
            ("class_name", s),
            ("category_uid", pa.int32()),
            ("category_name", s),
            ("activity_id", pa.int32()),
            ("activity_name", s),
            ("type_uid", pa.int64()),
            ("type_name", s),
            ("severity_id", pa.int32()),
            ("severity", s),
            ("status_id", pa.int32()),
            ("status", s),
            ("time", pa.int64()),
            ("time_dt", ts),
            (
                "metadata",
                struct(
                    uid=s,
                    version=s,
                    event_code=s,
                    profiles=pa.list_(s),
                    product=struct(name=s, vendor_name=s, version=s, feature=struct(name=s)),
                ),
            ),
            (
                "actor",
                struct(
                    user=struct(type=s, uid=s, uid_alt=s, name=s, credential_uid=s, account=account),
                    session=struct(created_time_dt=ts, is_mfa=pa.bool_(), issuer=s),
                    invoked_by=s,
                    idp=struct(name=s),
                ),
            ),
            (
                "api",
                struct(
                    operation=s,
                    version=s,
                    service=struct(name=s),
                    request=struct(uid=s, data=s),
                    response=struct(error=s, message=s, data=s),
                ),
            ),
            ("src_endpoint", struct(ip=s, domain=s, uid=s)),
            ("cloud", struct(provider=s, region=s, account=account)),
            ("http_request", struct(user_agent=s)),
            ("resources", pa.list_(struct(uid=s, type=s, account=account))),
            ("is_mfa", pa.bool_()),
            ("unmapped", pa.map_(s, s)),
        ]
    )
