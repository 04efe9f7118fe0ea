"""AWS Security Finding Format for Security Hub's BatchImportFindings, through the default
(custom-integration) product `arn:aws:securityhub:<region>:<account>:product/<account>/default`.

Every documented limit is enforced here, because moto does not and Security Hub rejects the whole
finding: long texts are cut with a visible marker, surplus resources and product fields are folded
or dropped, and the finding is never lost. Types come from the rule's ATT&CK tactics
(`TTPs/Privilege Escalation`), severity and types are also given as FindingProviderFields (what
Security Hub wants from providers on updates).

Account and Region: BatchImportFindings with the default product only takes findings whose
AwsAccountId is the calling account, under the product ARN of the Region called. `home_account_id`
and `home_region` (the Security Hub sink's own) therefore win when set; without them the event's
account and Region are used, and `account_id` / `region` stand in when the event lacks them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog

from engine.errors import UsageError
from engine.formats import asff_limits as limits
from engine.formats.addresses import ip_version, partition
from engine.formats.asff_validation import validate_asff
from engine.formats.attack import finding_types, read_tags
from engine.formats.base import Finding, Format, FormatError, dump_json
from engine.formats.product import NAME, VENDOR, product_version
from engine.formats.reading import mapping, origin_text, text, title_of
from engine.formats.registry import register_format
from engine.formats.resources import Resource, affected_resources
from engine.formats.text import as_text, first_text, truncate, valid_unicode
from engine.formats.timestamps import finding_time, now, parse_time, rfc3339

__all__ = ["AsffFormat", "validate_asff"]

log = structlog.get_logger()

_FIXED_FIELDS = (
    "rule_id",
    "rule_title",
    "severity",
    "event_id",
    "event_time",
    "event_source",
    "event_name",
    "event_type",
    "account_id",
    "region",
    "source_ip",
    "user_agent",
    "count",
    "first_seen",
    "last_seen",
)
_ACTOR_FIELDS = ("type", "arn", "principal_id", "user_name", "account_id")
_OVERFLOW_KEY = "trailwarden/context/(more)"


@register_format("asff")
class AsffFormat(Format):
    def __init__(
        self,
        *,
        account_id: str | None = None,
        region: str | None = None,
        home_account_id: str | None = None,
        home_region: str | None = None,
    ) -> None:
        for option, value in (("account_id", account_id), ("home_account_id", home_account_id)):
            if value is not None and not limits.ACCOUNT_ID.match(value):
                raise UsageError(f"asff option {option}={value!r} is not a 12-digit AWS account id")
        self._account, self._region = account_id, region
        self._home_account, self._home_region = home_account_id, home_region
        self._version = product_version()

    def to_record(self, finding: Finding) -> dict[str, Any]:
        cuts: list[str] = []
        account, region = self._account_region(finding)
        types = finding_types(read_tags(finding.get("tags") or ()))[: limits.MAX_TYPES]
        label = limits.SEVERITY_LABELS.get(str(finding.get("severity")), "INFORMATIONAL")
        severity: dict[str, Any] = {"Label": label}
        if text(finding.get("severity")):
            severity["Original"] = str(finding["severity"])
        created, updated = _times(finding)
        record: dict[str, Any] = {
            "SchemaVersion": limits.SCHEMA_VERSION,
            "Id": _cut(str(finding.get("finding_id")), limits.MAX_LENGTH["Id"], "Id", cuts),
            "ProductArn": f"arn:{partition(region)}:securityhub:{region}:{account}:product/{account}/default",
            "ProductName": NAME,
            "CompanyName": VENDOR,
            "GeneratorId": _cut(
                str(finding.get("rule_id")), limits.MAX_LENGTH["GeneratorId"], "GeneratorId", cuts
            ),
            "AwsAccountId": account,
            "Types": types,
            "CreatedAt": created,
            "UpdatedAt": updated,
            "FirstObservedAt": created,
            "LastObservedAt": updated,
            "Severity": severity,
            "Title": _cut(valid_unicode(title_of(finding)), limits.MAX_LENGTH["Title"], "Title", cuts),
            "Description": _cut(_description(finding), limits.MAX_LENGTH["Description"], "Description", cuts),
            "Resources": _resources(finding, cuts),
            "RecordState": "ACTIVE",
            "FindingProviderFields": {"Severity": dict(severity), "Types": list(types)},
        }
        action = _action(finding, created, updated)
        if action:
            record["Action"] = action
        self._fit_product_fields(record, finding, cuts)
        if cuts:
            log.info(
                "asff finding cut to Security Hub limits", finding_id=finding.get("finding_id"), fields=cuts
            )
        return record

    def _account_region(self, finding: Finding) -> tuple[str, str]:
        actor = mapping(finding.get("actor"))
        candidates = (self._home_account, finding.get("account_id"), actor.get("account_id"), self._account)
        account = next((a for a in candidates if isinstance(a, str) and limits.ACCOUNT_ID.match(a)), None)
        region = first_text(self._home_region, finding.get("region"), self._region)
        if account is None or region is None:
            missing = " and ".join(
                n for n, v in (("no account id", account), ("no region", region)) if v is None
            )
            raise FormatError(
                f"finding {finding.get('finding_id')} (rule {finding.get('rule_id')}) has {missing} for ASFF",
                hint="give the asff format account_id= and region= to stand in (the Security Hub sink does)",
            )
        return account, region.strip()

    def _fit_product_fields(self, record: dict[str, Any], finding: Finding, cuts: list[str]) -> None:
        """ProductFields within their limits, then the whole finding within 240 KB: multi-byte text
        and JSON escapes can make 47 values of 2,048 characters too big, so values shrink until
        it fits."""
        value_limit = limits.MAX_PRODUCT_FIELD_VALUE
        pairs = self._product_pairs(finding)
        while True:
            record["ProductFields"] = _product_fields(pairs, value_limit, cuts)
            if len(dump_json(record)) <= limits.MAX_FINDING_BYTES or value_limit <= 64:
                return
            value_limit //= 2
            cuts.append(f"ProductFields values to {value_limit} characters (finding size)")

    def _product_pairs(self, finding: Finding) -> list[tuple[str, Any]]:
        pairs: list[tuple[str, Any]] = [("ProviderName", NAME), ("ProviderVersion", self._version)]
        pairs += [(f"trailwarden/{key}", finding.get(key)) for key in _FIXED_FIELDS]
        actor = mapping(finding.get("actor"))
        pairs += [(f"trailwarden/actor/{key}", actor.get(key)) for key in _ACTOR_FIELDS]
        pairs.append(("trailwarden/origin", origin_text(finding)))
        pairs.append(("trailwarden/tags", ", ".join(str(t) for t in finding.get("tags") or ())))
        pairs.append(("trailwarden/event_ids", ", ".join(str(e) for e in finding.get("event_ids") or ())))
        window = mapping(finding.get("window"))
        if window:
            pairs.append(("trailwarden/window", window))
        pairs += [
            (f"trailwarden/context/{key}", value) for key, value in mapping(finding.get("context")).items()
        ]
        return pairs


def _times(finding: Finding) -> tuple[str, str]:
    """CreatedAt/UpdatedAt from the event (or window) times, so a re-send is the same finding."""
    fallback = finding_time(finding) or now()
    first = parse_time(finding.get("first_seen")) or fallback
    last = parse_time(finding.get("last_seen")) or fallback
    return rfc3339(min(first, last)), rfc3339(max(first, last))


def _description(finding: Finding) -> str:
    chosen = first_text(finding.get("rule_description"), finding.get("title"), finding.get("rule_title"))
    return valid_unicode(chosen or str(finding.get("rule_id")))


def _resources(finding: Finding, cuts: list[str]) -> list[dict[str, Any]]:
    found = affected_resources(finding, limit=limits.MAX_RESOURCES + 1)
    if len(found) > limits.MAX_RESOURCES:
        cuts.append(f"Resources to {limits.MAX_RESOURCES}")
    return [_resource(r, cuts) for r in found[: limits.MAX_RESOURCES]]


def _resource(resource: Resource, cuts: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Type": _cut(resource.type, limits.MAX_RESOURCE_TYPE, "Resources.Type", cuts),
        "Id": _cut(valid_unicode(resource.id), limits.MAX_RESOURCE_ID, "Resources.Id", cuts),
    }
    if resource.partition in limits.PARTITIONS:
        out["Partition"] = resource.partition
    if resource.region:
        out["Region"] = _cut(valid_unicode(resource.region), 128, "Resources.Region", cuts)
    return out


def _action(finding: Finding, first: str, last: str) -> dict[str, Any] | None:
    """The API call, as GuardDuty reports one: operation, service, and the caller's address."""
    api, service = text(finding.get("event_name")), text(finding.get("event_source"))
    if not api or not service:
        return None
    call: dict[str, Any] = {
        "Api": truncate(valid_unicode(api), 256),
        "ServiceName": truncate(valid_unicode(service), 256),
        "FirstSeen": first,
        "LastSeen": last,
    }
    source = text(finding.get("source_ip"))
    version = ip_version(source)
    if source and version:
        call["CallerType"] = "remoteip"
        if version == 4:
            call["RemoteIpDetails"] = {"IpAddressV4": source}
    elif source:
        call["CallerType"] = "domain"
        call["DomainDetails"] = {"Domain": truncate(valid_unicode(source), 256)}
    return {"ActionType": "AWS_API_CALL", "AwsApiCallAction": call}


def _product_fields(pairs: Iterable[tuple[str, Any]], value_limit: int, cuts: list[str]) -> dict[str, str]:
    """String→string pairs within Security Hub's limits: empty values left out (it rejects them),
    keys and values cut, and context beyond the pair budget folded into one last JSON value."""
    fields: dict[str, str] = {}
    rest: dict[str, Any] = {}
    for key, value in pairs:
        if value is None:
            continue
        shown = valid_unicode(as_text(value))
        if not shown.strip():
            continue
        if len(fields) >= limits.OWN_PRODUCT_FIELDS - 1:
            rest[key.removeprefix("trailwarden/context/")] = value
            continue
        name = _unique(
            _cut(valid_unicode(key), limits.MAX_PRODUCT_FIELD_KEY, "ProductFields key", cuts), fields
        )
        fields[name] = _cut(shown, value_limit, "ProductFields value", cuts)
    if rest:
        folded = f"ProductFields: {len(rest)} pairs folded into {_OVERFLOW_KEY!r}"
        if folded not in cuts:
            cuts.append(folded)
        fields[_OVERFLOW_KEY] = truncate(valid_unicode(as_text(rest)), value_limit)
    return fields


def _unique(key: str, taken: Mapping[str, str]) -> str:
    """Two keys cut to the same 128 characters must not overwrite each other."""
    candidate, number = key, 2
    while candidate in taken:
        suffix = f"~{number}"
        candidate = key[: limits.MAX_PRODUCT_FIELD_KEY - len(suffix)] + suffix
        number += 1
    return candidate


def _cut(value: str, limit: int, field: str, cuts: list[str]) -> str:
    if len(value) <= limit:
        return value
    if field not in cuts:
        cuts.append(field)
    return truncate(value, limit)
