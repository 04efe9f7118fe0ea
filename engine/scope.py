"""Which events a scan is about: --since/--until (event time), --accounts and --regions.

Sources prune whole files by their names; a file still holds events either side of a time bound
(CloudTrail delivers up to ~15 minutes late) and, in a merged export, other accounts' events. This
check, on the record itself, makes the options mean what they say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.sources import SourceOptions

_ISO = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True, slots=True)
class EventScope:
    since: str | None
    until: str | None
    accounts: frozenset[str]
    regions: frozenset[str]

    @classmethod
    def from_options(cls, options: SourceOptions) -> EventScope | None:
        """None when no option narrows the scan (then no event pays for a check)."""
        scope = cls(
            _iso(options.since), _iso(options.until), frozenset(options.accounts), frozenset(options.regions)
        )
        return None if scope == cls(None, None, frozenset(), frozenset()) else scope

    def __call__(self, event: dict[str, Any]) -> bool:
        # CloudTrail writes eventTime as UTC ISO text (`2026-11-20T10:05:00Z`), which sorts as time,
        # so the bounds compare as text; an event without a time is kept (nothing to judge it by).
        when = event.get("eventTime")
        if isinstance(when, str):
            if self.since is not None and when < self.since:
                return False
            if self.until is not None and when >= self.until:
                return False
        if self.accounts:
            identity = event.get("userIdentity")
            account = event.get("recipientAccountId") or (
                identity.get("accountId") if isinstance(identity, dict) else None
            )
            if account not in self.accounts:
                return False
        return not self.regions or event.get("awsRegion") in self.regions


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime(_ISO)
