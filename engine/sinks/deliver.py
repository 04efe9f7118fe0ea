"""Send one batch through a sink, retrying only what the sink says is worth retrying.

Each retry re-sends only the findings still failing, after a full-jitter backoff, until the
policy's attempts or total time run out; what is still failing then is the caller's to spool.
Statistics are kept here so every sink counts the same way, `resent` among them: findings sent
again after a request that may have reached the destination (a reset or a timeout once the request
was out, an ack that never came), which is where at-least-once delivery makes duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import structlog

from engine.sinks.base import Delivery, Finding, Sink, finding_id
from engine.sinks.redact import redact
from engine.sinks.retry import RetryPolicy

log = structlog.get_logger()


def send_with_retry(sink: Sink, batch: Sequence[Finding], policy: RetryPolicy | None = None) -> Delivery:
    """Deliver `batch` within the retry budget; the result's `retry` holds what never got through."""
    policy = policy or sink.retry
    started = policy.clock()
    pending = list(batch)
    delivered: list[str] = []
    rejected: dict[str, str] = {}
    last = Delivery()
    nbytes = 0
    resent = 0
    for attempt in range(policy.attempts):
        last = _attempt(sink, pending, policy)
        delivered.extend(last.delivered)
        rejected.update(last.rejected)
        nbytes += last.bytes
        resent += last.resent
        if not last.retry:
            break
        pending = [f for f in pending if finding_id(f) in last.retry]
        delay = policy.backoff(attempt, last.retry_after)
        if attempt + 1 >= policy.attempts or policy.clock() - started + delay > policy.max_elapsed:
            break
        sink.stats.retried += len(pending)
        again = sum(1 for f in pending if finding_id(f) in last.unanswered)
        resent += again
        log.warning(
            "sink.retry",
            sink=redact(sink.url),
            findings=len(pending),
            attempt=attempt + 1,
            wait=round(delay, 3),
            reason=_first(last.retry),
            **({"resent": again} if again else {}),
        )
        policy.sleep(delay)
    sink.stats.sent += len(delivered)
    sink.stats.rejected += len(rejected)
    sink.stats.resent += resent
    return Delivery(
        delivered=tuple(delivered),
        retry=dict(last.retry),
        rejected=rejected,
        bytes=nbytes,
        unanswered=last.unanswered & frozenset(last.retry),
        resent=resent,
    )


def _attempt(sink: Sink, batch: Sequence[Finding], policy: RetryPolicy) -> Delivery:
    """One `send`, timed and counted; a sink that raises is a retryable failure, never a lost batch."""
    started = policy.clock()
    try:
        result = sink.send(batch)
    except Exception as exc:  # a sink bug must not drop findings: they fall through to the spool
        log.error("sink.error", sink=redact(sink.url), error=redact(f"{type(exc).__name__}: {exc}"))
        result = Delivery.failed((finding_id(f) for f in batch), f"{type(exc).__name__}: {exc}")
    answered = {*result.delivered, *result.retry, *result.rejected}
    missing = [finding_id(f) for f in batch if finding_id(f) not in answered]
    if missing:  # a sink that forgets a finding must not make it vanish
        log.error("sink.no_outcome", sink=redact(sink.url), findings=len(missing))
        result += Delivery.failed(missing, "the sink reported no outcome for it")
    sink.stats.requests += 1
    sink.stats.bytes += result.bytes
    sink.stats.seconds += max(0.0, policy.clock() - started)
    return result


def _first(reasons: Mapping[str, str]) -> str:
    return next(iter(reasons.values()), "")
