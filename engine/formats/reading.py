"""Reading a native finding and the CloudTrail record inside it defensively: fields may be null,
missing (`--no-evidence` drops the record) or of an odd type in re-shaped exports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def text(value: Any) -> str | None:
    """`value` when it is a string with something other than whitespace in it, else None."""
    return value if isinstance(value, str) and value.strip() else None


def event_of(finding: Mapping[str, Any]) -> Mapping[str, Any]:
    """The CloudTrail record the finding carries (empty when it was left out)."""
    return mapping(finding.get("event"))


def identity_of(finding: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record's `userIdentity`, for what the native actor does not keep (sessions, keys)."""
    return mapping(event_of(finding).get("userIdentity"))


def session_of(finding: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(identity_of(finding).get("sessionContext"))


def title_of(finding: Mapping[str, Any]) -> str:
    """The rendered title; the rule's title, then its id, when a template rendered to nothing."""
    for key in ("title", "rule_title"):
        found = text(finding.get(key))
        if found:
            return found
    return str(finding.get("rule_id"))


def origin_text(finding: Mapping[str, Any]) -> str | None:
    """Where the event was read, as one line: `path:line (record n)`."""
    origin = mapping(finding.get("origin"))
    if not origin:
        return None
    line = f":{origin['line']}" if origin.get("line") else ""
    return f"{origin.get('source')}{line} (record {origin.get('index')})"


def put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` only when there is something to say: schemas' consumers read absent, not null."""
    if value is None or (isinstance(value, list | dict | Mapping) and not value):
        return
    target[key] = value
