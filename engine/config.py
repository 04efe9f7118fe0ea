"""Everything that decides what a scan does, in one frozen value: which rules, which input, how
windows behave, where findings go, and what makes the run fail. Built from the command line
(`from_cli`, which `scan`, `spark-scan` and the spark-submit script share) or from a Lambda
environment (`from_lambda_env`); every value is checked here, once, and a bad one is a `ConfigError`
naming the flag (or variable) it came from."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.detection.stateful.clock import parse_duration
from engine.detection.stateful.settings import (
    DEFAULT_LATENESS,
    DEFAULT_MAX_GROUPS,
    DEFAULT_MAX_WAITING,
    WindowSettings,
)
from engine.errors import UsageError
from engine.scope import EventScope
from engine.sources import SourceOptions
from engine.types import SEVERITIES

LAMBDA_PREFIX = "TRAILWARDEN_"

# How each field is spelled where users set it: on the command line, and in a Lambda's environment.
FLAGS = {
    "rule_paths": "--rules",
    "bundled": "--no-bundled",
    "select": "--select",
    "exclude": "--exclude",
    "min_severity": "--min-severity",
    "skip_invalid_rules": "--skip-invalid-rules",
    "sources": "SOURCE",
    "since": "--since",
    "until": "--until",
    "accounts": "--accounts",
    "regions": "--regions",
    "workers": "--workers",
    "state_path": "--state",
    "evidence": "--no-evidence",
    "lateness": "--lateness",
    "max_groups": "--max-groups",
    "max_waiting": "--max-waiting",
    "format_name": "--format",
    "output": "--output",
    "sinks": "--sink",
    "sinks_config": "--sinks-config",
    "fail_on": "--fail-on",
    "poll_seconds": "--poll-seconds",
    "checkpoint_every": "--checkpoint-every",
}
LAMBDA_VARIABLES = {
    "rule_paths": "RULES",
    "bundled": "NO_BUNDLED",
    "min_severity": "MIN_SEVERITY",
    "format_name": "FORMAT",
    "evidence": "NO_EVIDENCE",
    "state_path": "STATE",
    "sinks": "SINKS",
    "sinks_config": "SINKS",
}

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")


class ConfigError(UsageError):
    """A value that cannot be used; `field` says which, and its message names the flag."""

    def __init__(
        self, name: str, message: str, hint: str | None = None, *, spelled: str | None = None
    ) -> None:
        self.field = name
        super().__init__(f"{spelled or FLAGS.get(name, name)}: {message}", hint=hint)


@dataclass(frozen=True, slots=True)
class ScanConfig:
    # rules: which files, which of their rules run
    rule_paths: tuple[str, ...] = ()
    bundled: bool = True
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    min_severity: str | None = None
    skip_invalid_rules: bool = False
    # input: where, and which events
    sources: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    profile: str | None = None
    region: str | None = None
    lookup_attribute: str | None = None
    follow: bool = False
    poll_seconds: float | None = None
    # running
    workers: int = 1
    state_path: str | None = None
    evidence: bool = True
    lateness: float | None = None  # seconds; None: 15 min with --follow, else the end of input
    max_groups: int = DEFAULT_MAX_GROUPS
    max_waiting: int = DEFAULT_MAX_WAITING
    checkpoint_every: float = 5.0  # seconds between commits of a replay with --state (a stream: each blob)
    # findings: how they are written, where they go, what fails the run
    format_name: str = "native"
    output: str | None = None
    sinks: tuple[str, ...] = ()
    sinks_config: str | None = None
    fail_on: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)  # a runner's own settings

    def __post_init__(self) -> None:
        for name in ("min_severity", "fail_on"):
            value = getattr(self, name)
            if value is not None and value not in SEVERITIES:
                raise ConfigError(name, f"{value!r} is not a severity", f"use one of {', '.join(SEVERITIES)}")
        if self.workers < 1:
            raise ConfigError("workers", f"{self.workers} is not a number of processes", "use 1 or more")
        for name in ("max_groups", "max_waiting"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"{getattr(self, name)} must be 1 or more")
        if self.lateness is not None and (math.isnan(self.lateness) or self.lateness < 0):
            raise ConfigError("lateness", f"{self.lateness} is not a duration", "use 30s, 15m, 1h or 2d")
        if not 0 <= self.checkpoint_every <= 3600:
            raise ConfigError(
                "checkpoint_every", f"{self.checkpoint_every} is not between 0 and 3600 seconds"
            )
        if self.poll_seconds is not None and self.poll_seconds < 0:
            raise ConfigError("poll_seconds", "must not be negative")
        if self.since and self.until and self.since >= self.until:
            raise ConfigError("until", f"{_iso(self.until)} is not after --since {_iso(self.since)}")
        from engine.formats import FORMATS

        if self.format_name not in FORMATS:
            raise ConfigError(
                "format_name", f"unknown format {self.format_name!r}", FORMATS.hint(self.format_name)
            )
        if self.sinks_config is not None and not Path(self.sinks_config).is_file():
            raise ConfigError("sinks_config", f"no such file {self.sinks_config!r}")
        if self.lookup_attribute is not None and "=" not in self.lookup_attribute:
            raise ConfigError(
                "lookup_attribute",
                f"{self.lookup_attribute!r} is not Key=Value",
                spelled="--lookup-attribute",
            )

    # --- what the stages are built from ------------------------------------------------------------

    def source_options(self) -> SourceOptions:
        return SourceOptions(
            since=self.since,
            until=self.until,
            accounts=self.accounts,
            regions=self.regions,
            profile=self.profile,
            region=self.region,
            follow=self.follow,
            state_path=self.state_path,
            lookup_attribute=self.lookup_attribute,
            poll_seconds=self.poll_seconds,
        )

    def scope(self) -> EventScope | None:
        return EventScope.from_options(self.source_options())

    def window_settings(self) -> WindowSettings:
        """A one-off scan knows where its input ends, so by default it waits for that end (an
        export read folder by folder is region after region, hours apart) — with --state too, so
        a state file never changes what a replay finds (its windows are saved at the end, see
        StatefulStage.finish). A stream (--follow) never ends: it needs a bound on how long to wait."""
        lateness = self.lateness
        if lateness is None:
            lateness = DEFAULT_LATENESS if self.follow else math.inf
        return WindowSettings(
            lateness=lateness,
            max_groups=self.max_groups,
            max_waiting=self.max_waiting,
            state_path=self.state_path,
        )

    @property
    def ordered(self) -> bool:
        """Follow mode and --state need one ordered process (checkpoints, saved windows, seen ids)."""
        return self.follow or self.state_path is not None

    @property
    def remembers_events(self) -> bool:
        """A stream (or a scan that resumes) meets events CloudTrail delivered twice: it remembers
        recent event ids. A one-off scan has no such need: its repeats carry the same finding_id."""
        return self.follow or self.state_path is not None

    def with_(self, **changes: Any) -> ScanConfig:
        return replace(self, **changes)

    # --- builders ----------------------------------------------------------------------------------

    @classmethod
    def from_cli(cls, params: Mapping[str, Any]) -> ScanConfig:
        """From a click command's parameters (`scan`, `spark-scan`): the names its options use."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in params.items() if k in known and v is not None}
        values.pop("bundled", None)
        values.pop("evidence", None)
        values.pop("lateness", None)
        for name in ("since", "until"):
            if name in values:
                values[name] = parse_time(values[name], name)
        for name in ("accounts", "regions"):
            if name in values:
                values[name] = split_list(values[name])
        for name in ("rule_paths", "select", "exclude", "sinks", "sources"):
            if name in values:
                values[name] = tuple(values[name])
        if params.get("lateness") is not None:
            values["lateness"] = _duration(params["lateness"], "lateness")
        if params.get("min_severity"):
            values["min_severity"] = str(params["min_severity"]).lower()
        if params.get("fail_on"):
            values["fail_on"] = str(params["fail_on"]).lower()
        extra = {k: v for k, v in params.items() if k not in known and k not in ("no_bundled", "no_evidence")}
        return cls(
            bundled=not params.get("no_bundled", False),
            evidence=not params.get("no_evidence", False),
            extra=extra,
            **values,
        )

    @classmethod
    def from_lambda_env(cls, env: Mapping[str, str]) -> ScanConfig:
        """From the function's environment (deploy/README.md lists the variables)."""

        def get(name: str) -> str:
            return env.get(LAMBDA_PREFIX + name, "").strip()

        sinks = get("SINKS")
        sinks_file = sinks if sinks and "://" not in sinks and Path(sinks).is_file() else None
        try:
            return cls(
                rule_paths=tuple(p for p in re.split(r"[:,]", get("RULES")) if p),
                bundled=get("NO_BUNDLED") not in ("1", "true", "yes"),
                sinks=() if sinks_file else tuple(u for u in re.split(r"[\s,]+", sinks) if u),
                sinks_config=sinks_file,
                min_severity=get("MIN_SEVERITY").lower() or None,
                format_name=get("FORMAT") or "native",
                evidence=get("NO_EVIDENCE") not in ("1", "true", "yes"),
                state_path=get("STATE") or None,
                extra={"log_level": get("LOG_LEVEL").lower() or "info"},
            )
        except ConfigError as exc:
            variable = LAMBDA_PREFIX + LAMBDA_VARIABLES.get(exc.field, exc.field.upper())
            raise ConfigError(exc.field, exc.message.split(": ", 1)[-1], exc.hint, spelled=variable) from None


def parse_time(value: str | datetime, name: str = "since") -> datetime:
    """A --since/--until value: a date or an ISO time (UTC unless it says otherwise), or a time
    back from now (`24h`, `7d`, `30m`, `2w`)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = value.strip()
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit] * amount
        return datetime.now(UTC) - timedelta(seconds=seconds)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            name, f"{value!r} is not a date or time", "use 2026-11-01, 2026-11-01T12:00:00Z, or 24h / 7d back"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_list(text: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if isinstance(text, tuple):
        return tuple(part for item in text for part in split_list(item))
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _duration(value: str, name: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(name, str(exc)) from None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
