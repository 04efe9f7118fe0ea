"""The key layout CloudTrail writes to S3, so a listing can be pruned to the prefixes that can hold
wanted keys instead of walking a whole organisation's bucket.

    [prefix/]AWSLogs/[o-orgid/]<account>/CloudTrail/<region>/YYYY/MM/DD/
        <account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<random>.json.gz

Within one `…/CloudTrail/<region>/` folder keys sort by delivery time, across day folders too; that
order is what follow mode and checkpoints lean on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LOG_FOLDERS = ("CloudTrail", "CloudTrail-Insight")
DIGEST_FOLDER = "CloudTrail-Digest"

# Events are written before their file is delivered, usually within minutes, rarely within an hour:
# a file named after `until` may still hold events from before it.
DELIVERY_LAG = timedelta(hours=1)
# The file name gives the delivery minute, not the second: a file named 12:05 may hold an event of
# 12:05:40, so `since` keeps files named up to this much before it.
NAME_PRECISION = timedelta(minutes=5)

_ACCOUNT = re.compile(r"\d{12}")
_ORG = re.compile(r"o-[a-z0-9]{10,32}")
_FILE = re.compile(
    r"(?P<stem>(?P<account>\d{12})_(?P<kind>CloudTrail(?:-Insight|-Digest)?)_(?P<region>[a-z0-9-]+)_(?:.+_)?)"
    r"(?P<ts>\d{8}T\d{4}(?:\d{2})?Z)(?:_[^/]*)?\.json(?:\.gz)?"
)
_DAY_PATH = re.compile(r"(?P<head>.*/)(?P<day>\d{4}/\d{2}/\d{2})/(?P<file>[^/]+)")


@dataclass(frozen=True, slots=True)
class TrailFile:
    """What a CloudTrail file's name says about it."""

    account: str
    kind: str  # CloudTrail, CloudTrail-Insight or CloudTrail-Digest
    region: str
    delivered: datetime

    @property
    def is_digest(self) -> bool:
        return self.kind == DIGEST_FOLDER


def parse_key(key: str) -> TrailFile | None:
    """Read account, kind, region and delivery time from a key's file name; None for other names."""
    parsed = _parse_name(key.rsplit("/", 1)[-1])
    if parsed is None:
        return None
    match, delivered = parsed
    return TrailFile(match["account"], match["kind"], match["region"], delivered)


def rewind(key: str, by: timedelta) -> str:
    """A position (for `StartAfter`) that sorts before every key of the same folder delivered up to
    `by` before `key`: `…/2026/11/20/<acct>_CloudTrail_<region>_20261120T1150Z` for a key of 12:05.

    Keys that do not follow the layout are returned unchanged."""
    day_path = _DAY_PATH.fullmatch(key)
    parsed = _parse_name(day_path["file"]) if day_path else None
    if day_path is None or parsed is None:
        return key
    match, delivered = parsed
    return position(day_path["head"], match["stem"], delivered - by)


def position(folder: str, stem: str, when: datetime) -> str:
    """The `StartAfter` position before every key of `folder` (a region folder) delivered at or
    after `when`'s minute; `stem` is the file names' start, `<account>_CloudTrail_<region>_`."""
    return f"{folder}{when:%Y/%m/%d}/{stem}{when:%Y%m%dT%H%MZ}"


def _parse_name(name: str) -> tuple[re.Match[str], datetime] | None:
    match = _FILE.fullmatch(name)
    if match is None:
        return None
    ts = match["ts"]
    try:
        delivered = datetime.strptime(ts, "%Y%m%dT%H%M%SZ" if len(ts) == 16 else "%Y%m%dT%H%MZ")
    except ValueError:
        return None
    return match, delivered.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which keys a scan wants: a delivery-time window, accounts and regions (empty: all)."""

    since: datetime | None = None
    until: datetime | None = None
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def wants_account(self, account: str) -> bool:
        return not self.accounts or account in self.accounts

    def wants_region(self, region: str) -> bool:
        return not self.regions or region in self.regions

    def first_position(self, folder: str, stem: str) -> str | None:
        """Where listing a region folder starts for `--since` (see `position`)."""
        return None if self.since is None else position(folder, stem, self.since - NAME_PRECISION)

    def past_until(self, key: str) -> bool:
        """True for a key delivered too late to hold events before `--until`: in a region folder
        every later key is too."""
        parsed = parse_key(key) if self.until is not None else None
        return parsed is not None and self.until is not None and parsed.delivered > self.until + DELIVERY_LAG

    def why_not(self, key: str) -> str | None:
        """Why a key is not wanted (a reason for a deliberate skip), or None when it is."""
        parsed = parse_key(key)
        if parsed is None:
            return None  # not a CloudTrail name: nothing to judge it by, so decoding sees it
        if parsed.is_digest:
            return "CloudTrail digest file (hashes, not events)"
        if not self.wants_account(parsed.account):
            return "account not in --accounts"
        if not self.wants_region(parsed.region):
            return "region not in --regions"
        if self.since is not None and parsed.delivered + NAME_PRECISION < self.since:
            return "delivered before --since"
        if self.past_until(key):
            return "delivered after --until"
        return None


@dataclass(frozen=True, slots=True)
class LayoutPath:
    """A key prefix read as far as it follows the layout: where `AWSLogs/` is, and which of org,
    account, folder, region and the date folders it already names."""

    base: str  # `[prefix/]AWSLogs/`
    org: str | None = None
    account: str | None = None
    folder: str | None = None
    region: str | None = None
    date: tuple[str, ...] = ()  # ('2026',), ('2026', '11') or ('2026', '11', '20')


def parse_layout(prefix: str) -> LayoutPath | None:
    """Read `prefix` as a point in the layout; None when it holds no `AWSLogs/` folder or goes
    past a day folder (then the caller lists it as it is)."""
    parts = [p for p in prefix.split("/") if p]
    if "AWSLogs" not in parts:
        return None
    at = parts.index("AWSLogs")
    base = "/".join(parts[: at + 1]) + "/"
    rest = parts[at + 1 :]
    fields: dict[str, str | None] = {"org": None, "account": None, "folder": None, "region": None}
    if rest and _ORG.fullmatch(rest[0]):
        fields["org"] = rest.pop(0)
    for name, check in (("account", _ACCOUNT.fullmatch), ("folder", _is_folder), ("region", _is_region)):
        if not rest:
            break
        if not check(rest[0]):
            return None
        fields[name] = rest.pop(0)
    if len(rest) > 3 or not all(_is_date_part(i, p) for i, p in enumerate(rest)):
        return None
    return LayoutPath(base, fields["org"], fields["account"], fields["folder"], fields["region"], tuple(rest))


def is_org(name: str) -> bool:
    return _ORG.fullmatch(name) is not None


def is_account(name: str) -> bool:
    return _ACCOUNT.fullmatch(name) is not None


def _is_folder(name: str) -> bool:
    return name in LOG_FOLDERS or name == DIGEST_FOLDER


def _is_region(name: str) -> bool:
    return re.fullmatch(r"[a-z]{2}(?:-[a-z]+)+-\d", name) is not None


def _is_date_part(i: int, part: str) -> bool:
    return re.fullmatch(r"\d{4}" if i == 0 else r"\d{2}", part) is not None
