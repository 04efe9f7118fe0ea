"""How long to keep trying: exponential backoff with full jitter, bounded by attempts and total time.

Full jitter (a uniform draw between 0 and the exponential ceiling) spreads the retries of many
senders hit by the same outage, which is what a recovering Splunk or Elastic needs. The sleep, the
clock and the random draw are fields so tests can run a five-attempt schedule without waiting.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class RetryPolicy:
    """The retry budget of one batch: at most `attempts` sends within `max_elapsed` seconds."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_elapsed: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a retry policy needs at least one attempt")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_elapsed < 0:
            raise ValueError("retry delays must not be negative")

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (0-based).

        A server's Retry-After is honoured as a floor, capped by `max_delay` so one bad header
        cannot stall the run."""
        ceiling = min(self.max_delay, math.ldexp(self.base_delay, attempt))
        delay = self.jitter() * ceiling
        if retry_after is not None and retry_after > 0:
            delay = max(delay, min(retry_after, self.max_delay))
        return delay

    def single(self) -> RetryPolicy:
        """The same policy with one attempt: used to probe a sink that was down."""
        return replace(self, attempts=1)
