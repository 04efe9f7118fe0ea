"""The shared retry loop: full-jitter backoff, bounded attempts and time, only failing findings re-sent."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from engine.sinks.base import Delivery, Finding, Sink, SinkOptions, finding_id
from engine.sinks.deliver import send_with_retry
from engine.sinks.retry import RetryPolicy
from engine.sinks.url import parse_sink_url
from tests.sinks.conftest import FakeClock, fast_policy, findings


class ScriptedSink(Sink):
    """A sink whose answers are scripted per attempt; records what each attempt carried."""

    def __init__(self, script: list[object], policy: RetryPolicy) -> None:
        super().__init__(parse_sink_url("stdout://"), SinkOptions(retry=policy))
        self.script = script
        self.attempts: list[list[str]] = []

    def send(self, batch: Sequence[Finding]) -> Delivery:
        ids = [finding_id(f) for f in batch]
        self.attempts.append(ids)
        step = self.script.pop(0) if self.script else "ok"
        if isinstance(step, Exception):
            raise step
        if step == "ok":
            return Delivery.ok(ids, 10)
        if step == "fail-first":
            return Delivery.ok(ids[1:], 10) + Delivery.failed(ids[:1], "busy")
        if step == "fail":
            return Delivery.failed(ids, "HTTP 503")
        if step == "reject-last":
            return Delivery.ok(ids[:-1]) + Delivery.refused(ids[-1:], "HTTP 400: mapping")
        raise AssertionError(step)


def test_backoff_is_full_jitter_under_an_exponential_ceiling_capped_by_max_delay() -> None:
    draws = iter([1.0, 1.0, 1.0, 1.0, 1.0, 0.25])
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=lambda: next(draws))
    assert [policy.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.backoff(1) == 0.25  # a quarter of the ceiling 1.0


def test_backoff_honours_retry_after_as_a_floor_but_never_beyond_max_delay() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=10.0, jitter=lambda: 0.0)
    assert policy.backoff(0, retry_after=4.0) == 4.0
    assert policy.backoff(0, retry_after=3600.0) == 10.0


def test_only_the_findings_that_failed_are_sent_again(clock: FakeClock) -> None:
    sink = ScriptedSink(["fail-first", "ok"], fast_policy(clock))
    batch = findings(3)
    result = send_with_retry(sink, batch)
    assert sorted(result.delivered) == sorted(finding_id(f) for f in batch)
    assert sink.attempts[1] == [finding_id(batch[0])]
    assert sink.stats.sent == 3 and sink.stats.retried == 1 and sink.stats.requests == 2
    assert clock.sleeps == [0.5]


def test_attempts_are_bounded_and_what_still_fails_is_returned_for_the_spool(clock: FakeClock) -> None:
    sink = ScriptedSink(["fail"] * 10, fast_policy(clock, attempts=3))
    result = send_with_retry(sink, findings(2))
    assert len(sink.attempts) == 3
    assert set(result.retry) == {finding_id(f) for f in findings(2)}
    assert result.delivered == ()
    assert clock.sleeps == [0.5, 1.0]


def test_total_time_is_bounded_even_with_attempts_left(clock: FakeClock) -> None:
    sink = ScriptedSink(["fail"] * 10, fast_policy(clock, attempts=10, max_elapsed=3.0))
    result = send_with_retry(sink, findings(1))
    assert len(sink.attempts) == 3  # slept 0.5 + 1.0; the next 2.0 would pass 3 s
    assert result.retry


def test_rejections_are_final_and_never_retried(clock: FakeClock) -> None:
    sink = ScriptedSink(["reject-last"], fast_policy(clock))
    batch = findings(3)
    result = send_with_retry(sink, batch)
    assert len(sink.attempts) == 1
    assert result.rejected == {finding_id(batch[-1]): "HTTP 400: mapping"}
    assert sink.stats.rejected == 1


def test_a_sink_that_raises_loses_nothing_its_batch_is_retried(clock: FakeClock) -> None:
    sink = ScriptedSink([RuntimeError("bug in a sink"), "ok"], fast_policy(clock))
    result = send_with_retry(sink, findings(2))
    assert len(result.delivered) == 2
    assert len(sink.attempts) == 2


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        RetryPolicy(attempts=0)


class ForgetfulSink(ScriptedSink):
    def send(self, batch: Sequence[Finding]) -> Delivery:
        self.attempts.append([finding_id(f) for f in batch])
        return Delivery.ok([finding_id(batch[0])])  # says nothing about the others


def test_a_finding_the_sink_says_nothing_about_is_treated_as_not_delivered(clock: FakeClock) -> None:
    sink = ForgetfulSink([], fast_policy(clock, attempts=1))
    batch = findings(3)
    result = send_with_retry(sink, batch)
    assert result.delivered == (finding_id(batch[0]),)
    assert set(result.retry) == {finding_id(f) for f in batch[1:]}
