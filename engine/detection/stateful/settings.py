"""The knobs of stateful detection, set once per run (from the command line) and passed down."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LATENESS = 15 * 60.0
DEFAULT_MAX_GROUPS = 100_000
# Matching events one rule may hold in its reorder buffer. A one-off scan waits for the end of its
# input, and a rule matching a routine call (GetSecretValue feeds a sweep) would otherwise hold a
# whole export's worth of events: on 1 GiB of gzip, 1.4 GB of RSS at a cap of 100,000, ~120 MB at
# 10,000. Past the cap the oldest are taken early, in order: harmless when input comes in
# delivery-time order (folders and S3 prefixes do), counted in the summary when it was not.
DEFAULT_MAX_WAITING = 10_000
DEFAULT_MAX_EVENT_IDS = 100


@dataclass(frozen=True, slots=True)
class WindowSettings:
    """`lateness`: how far (seconds of event time) an event may trail the newest one seen and still
    count; older ones are dropped and counted. `max_groups`: open groups per stateful rule before
    the least recently active is evicted (and counted). `max_waiting`: matching events waiting in
    one rule's reorder buffer (past it the oldest is taken early, and counted). `max_event_ids`:
    event ids a finding lists.
    `state_path`: the --state file that keeps open windows between runs."""

    lateness: float = DEFAULT_LATENESS
    max_groups: int = DEFAULT_MAX_GROUPS
    max_waiting: int = DEFAULT_MAX_WAITING
    max_event_ids: int = DEFAULT_MAX_EVENT_IDS
    state_path: str | None = None

    def __post_init__(self) -> None:
        if self.lateness < 0:
            raise ValueError("lateness cannot be negative")
        if min(self.max_groups, self.max_waiting, self.max_event_ids) < 1:
            raise ValueError("max_groups, max_waiting and max_event_ids must be at least 1")
