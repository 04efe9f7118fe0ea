"""Event time: CloudTrail's `eventTime` as epoch seconds, durations as seconds, and back to text.

Windows run on event time, never on the wall clock, so a replayed export gives the findings the
live stream gave. `eventTime` is parsed for every event a stateful rule sees, so the common form
(`2026-11-20T10:05:00Z`) goes straight to `datetime.fromisoformat`, which is C code in 3.11."""

from __future__ import annotations

import math
import re
import time

from engine.event_time import event_seconds

__all__ = ["duration_text", "event_seconds", "iso", "parse_duration"]

_DURATION = re.compile(r"^(0|[1-9][0-9]*)(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def iso(seconds: float) -> str:
    """CloudTrail's own format, with milliseconds only when there are some (gmtime and an f-string:
    twice as fast as strftime, and a window finding writes four of these)."""
    whole = math.floor(seconds)
    t = time.gmtime(whole)
    text = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    millis = min(999, round((seconds - whole) * 1_000_000) // 1000)
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def parse_duration(text: str) -> float:
    """`30s`, `5m`, `1h`, `7d` (the rule schema's durations) as seconds; ValueError otherwise."""
    found = _DURATION.match(text.strip())
    if not found:
        raise ValueError(
            f"{text!r} is not a duration (use a whole number and s, m, h or d: 30s, 15m, 1h, 7d)"
        )
    return float(int(found.group(1)) * _UNIT_SECONDS[found.group(2)])


def duration_text(seconds: float) -> str:
    """The shortest exact rule-style duration for `seconds` (900 → 15m)."""
    whole = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"
