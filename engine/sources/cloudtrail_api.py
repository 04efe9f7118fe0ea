"""`cloudtrail-api://<region>`: read the last 90 days of management events through LookupEvents.

Held under the API's quota of 2 requests per second per region by a token bucket, with throttling
answered by backing off and asking again. Each page becomes one blob (decoding reads LookupEvents
pages, whose `CloudTrailEvent` is a JSON string). With `--follow` the window moves forward every
poll, starting a little before the last window's end: LookupEvents shows some events minutes after
they happened; event ids returned twice within that overlap are passed over. The end of each fully
acknowledged window is checkpointed, so a restart resumes from there."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import structlog

from engine.errors import SourceError, UsageError
from engine.sources import SourceOptions, aws, register_source
from engine.sources.ack_group import AckGroup
from engine.sources.payload import payload_blob
from engine.sources.rate import TokenBucket
from engine.statefile.checkpoints import Checkpoints, StreamProgress, open_checkpoints
from engine.types import Blob, Skip

log = structlog.get_logger("trailwarden.cloudtrail_api")

REQUESTS_PER_SECOND = 2.0
RETENTION = timedelta(days=90)  # how far back LookupEvents reaches
OVERLAP = timedelta(minutes=15)  # events show up in LookupEvents this late, at most (usually)
MAX_THROTTLED = 8
ATTRIBUTE_KEYS = (
    "EventId", "EventName", "ReadOnly", "Username",
    "ResourceType", "ResourceName", "EventSource", "AccessKeyId",
)  # fmt: skip
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
# Errors another poll will not cure: following ends.
_FATAL = frozenset(
    {"AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId", "NoCredentialsError",
     "InvalidLookupAttributesException", "InvalidTimeRangeException"}
)  # fmt: skip


@dataclass(slots=True)
class LookupReader:
    """Reads one region's LookupEvents; `client` is a boto3 CloudTrail client."""

    client: Any
    region: str
    attribute: tuple[str, str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    checkpoints: Checkpoints = field(default_factory=lambda: open_checkpoints(None))
    follow: bool = False
    poll_seconds: float = aws.DEFAULT_POLL_SECONDS
    limiter: TokenBucket = field(
        default_factory=lambda: TokenBucket(REQUESTS_PER_SECOND, burst=REQUESTS_PER_SECOND)
    )
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    _recent: dict[str, datetime] = field(default_factory=dict)  # event ids returned in the overlap

    @property
    def name(self) -> str:
        query = f"?{self.attribute[0]}={self.attribute[1]}" if self.attribute else ""
        return f"cloudtrail-api://{self.region}{query}"

    def blobs(self) -> Iterator[Blob | Skip]:
        progress = StreamProgress(self.checkpoints, self.name)
        start = self._first_start(progress.resume_after())
        while True:
            end = min(self.now(), self.until) if self.until else self.now()
            if end > start:
                error = yield from self._window(start, end, progress)
                if error is None:
                    start = end - OVERLAP if self.follow else end
                elif error in _FATAL:
                    return  # no later poll will be allowed in
            if not self.follow or (self.until is not None and end >= self.until):
                return
            self.sleep(self.poll_seconds)

    def _first_start(self, checkpoint: str | None) -> datetime:
        earliest = self.now() - RETENTION
        starts = [earliest, self.since or earliest]
        if checkpoint:
            starts.append(datetime.strptime(checkpoint, _STAMP).replace(tzinfo=UTC) - OVERLAP)
        return max(starts)

    def _window(
        self, start: datetime, end: datetime, progress: StreamProgress
    ) -> Generator[Blob | Skip, None, str | None]:
        """The pages of [start, end), newest first as the API gives them; on failure returns the
        error's code (the window is withdrawn: the next poll, or the next run, asks for it again)."""
        item = f"{end:{_STAMP}}"
        progress.handed_out(item)
        group = AckGroup(on_complete=lambda: progress.acked(item))
        where = f"{self.name} {start:%Y-%m-%dT%H:%M:%SZ}..{end:%Y-%m-%dT%H:%M:%SZ}"
        kwargs: dict[str, Any] = {"StartTime": start, "EndTime": end, "MaxResults": 50}
        if self.attribute:
            kwargs["LookupAttributes"] = [
                {"AttributeKey": self.attribute[0], "AttributeValue": self.attribute[1]}
            ]
        page_no = 0
        while True:
            try:
                response = self._call(kwargs)
            except SourceError as exc:
                group.fail()
                progress.withdraw(item)
                yield Skip(where, exc.message)
                return aws.error_code(exc.__cause__) if exc.__cause__ else "Throttling"
            events = self._new_events(response.get("Events", []), start)
            token = response.get("NextToken")
            ack = group.part() if events else None
            if not token:
                group.close()  # before the last page is handed out: its ack completes the window
            if ack is not None:
                page_no += 1
                yield payload_blob(f"{where} page {page_no}", _page_bytes(events), ack)
            if not token:
                return None
            kwargs["NextToken"] = token

    def _call(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """One LookupEvents request within the quota; throttling is waited out, with backoff."""
        for attempt in range(MAX_THROTTLED):
            self.limiter.acquire()
            try:
                return dict(self.client.lookup_events(**kwargs))
            except aws.AWS_ERRORS as exc:
                if not aws.is_throttling(exc):
                    raise SourceError(f"LookupEvents failed: {aws.explain(exc)}") from exc
                delay = min(30.0, 2.0**attempt) * (0.5 + random.random() / 2)
                log.info("LookupEvents throttled: backing off", region=self.region, seconds=round(delay, 2))
                self.sleep(delay)
        raise SourceError(f"LookupEvents still throttled after {MAX_THROTTLED} attempts")

    def _new_events(self, events: list[dict[str, Any]], start: datetime) -> list[dict[str, Any]]:
        """Events not already returned by the previous, overlapping window."""
        for old in [i for i, when in self._recent.items() if when < start]:
            del self._recent[old]
        fresh = []
        for event in events:
            event_id, when = event.get("EventId"), event.get("EventTime")
            if event_id in self._recent:
                continue
            if isinstance(event_id, str) and isinstance(when, datetime):
                self._recent[event_id] = when
            fresh.append(event)
        return fresh


def _page_bytes(events: list[dict[str, Any]]) -> bytes:
    return json.dumps({"Events": events}, default=_json_default).encode()


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def parse_spec(spec: str, options: SourceOptions) -> tuple[str, tuple[str, str] | None]:
    """`cloudtrail-api://REGION[?Key=Value]` (or --lookup-attribute) → (region, attribute)."""
    parts = urlsplit(spec)
    region = parts.netloc or options.region
    if not region:
        raise UsageError(f"no region in {spec!r}", hint="write cloudtrail-api://us-east-1 or pass --region")
    pairs = parse_qsl(parts.query)
    if options.lookup_attribute:
        key, sep, value = options.lookup_attribute.partition("=")
        if not sep:
            raise UsageError(f"--lookup-attribute {options.lookup_attribute!r} is not Key=Value")
        pairs.append((key, value))
    if len(pairs) > 1:
        raise UsageError("LookupEvents takes one lookup attribute", hint=f"{spec}: keep one of {pairs}")
    if pairs and pairs[0][0] not in ATTRIBUTE_KEYS:
        raise UsageError(
            f"unknown lookup attribute {pairs[0][0]!r}", hint=f"use one of {', '.join(ATTRIBUTE_KEYS)}"
        )
    return region, (pairs[0] if pairs else None)


@register_source("cloudtrail-api")
def open_cloudtrail_api(spec: str, options: SourceOptions) -> Iterator[Blob | Skip]:
    region, attribute = parse_spec(spec, options)
    reader = LookupReader(
        aws.client(aws.session(options), "cloudtrail", region),
        region,
        attribute,
        options.since,
        options.until,
        open_checkpoints(options.state_path),
        follow=options.follow,
        poll_seconds=aws.DEFAULT_POLL_SECONDS if options.poll_seconds is None else options.poll_seconds,
    )
    return reader.blobs()
