"""Splunk HEC sink against a local HEC: batching, retries, refusals, bad events, acknowledgement."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import UsageError
from engine.sinks import SinkOptions, open_sink
from engine.sinks.deliver import send_with_retry
from tests.sinks.conftest import TOKEN, FakeClock, fast_policy, findings
from tests.sinks.servers import HecServer, free_port


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAILWARDEN_HEC_TOKEN", TOKEN)


@pytest.fixture
def hec() -> Iterator[HecServer]:
    server = HecServer(TOKEN).start()
    yield server  # type: ignore[misc]
    server.stop()


def url(server: HecServer, query: str = "") -> str:
    return f"splunk+http://127.0.0.1:{server.port}" + (f"?{query}" if query else "")


def test_a_batch_is_one_post_of_concatenated_envelopes(hec: HecServer) -> None:
    sink = open_sink(url(hec, "index=security&sourcetype=trailwarden:finding"))
    result = sink.send(findings(4))
    sink.close()
    assert len(result.delivered) == 4
    assert len(hec.posts("/services/collector/event")) == 1
    assert hec.received == {f["finding_id"]: 1 for f in findings(4)}
    assert {e["index"] for e in hec.envelopes} == {"security"}
    assert {e["sourcetype"] for e in hec.envelopes} == {"trailwarden:finding"}
    assert all(isinstance(e["time"], int | float) for e in hec.envelopes)


def test_503_then_200_is_delivered_after_backoff(clock: FakeClock) -> None:
    server = HecServer(TOKEN, busy=2).start()
    try:
        sink = open_sink(url(server), options=SinkOptions(retry=fast_policy(clock)))
        result = send_with_retry(sink, findings(3))
        assert len(result.delivered) == 3 and not result.retry
        assert len(server.posts("/services/collector/event")) == 3
        assert server.received == {f["finding_id"]: 1 for f in findings(3)}
        assert len(clock.sleeps) == 2
    finally:
        server.stop()


def test_an_invalid_event_is_rejected_alone_and_the_rest_resent(clock: FakeClock) -> None:
    batch = findings(5)
    bad = batch[2]["finding_id"]
    server = HecServer(TOKEN, bad={bad}).start()
    try:
        sink = open_sink(url(server), options=SinkOptions(retry=fast_policy(clock)))
        result = send_with_retry(sink, batch)
        assert set(result.rejected) == {bad}
        assert "Invalid data format (code 6)" in result.rejected[bad]
        assert sorted(result.delivered) == sorted(f["finding_id"] for f in batch if f["finding_id"] != bad)
        assert set(server.received) == set(result.delivered)
        assert clock.sleeps == []  # re-sending the rest is not a retry after failure
    finally:
        server.stop()


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_reported_and_never_retried(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    server = HecServer(TOKEN, wrong_token_status=status).start()
    try:
        monkeypatch.setenv("TRAILWARDEN_HEC_TOKEN", "wrong-token-0000")
        sink = open_sink(url(server), options=SinkOptions(retry=fast_policy(clock)))
        result = send_with_retry(sink, findings(3))
        assert len(result.rejected) == 3 and not result.retry and not result.delivered
        assert f"HTTP {status}" in next(iter(result.rejected.values()))
        assert len(server.requests) == 1
    finally:
        server.stop()


def test_with_ack_a_batch_counts_only_once_the_indexers_confirm(clock: FakeClock, hec: HecServer) -> None:
    hec.ack = True
    hec.ack_polls = 3
    sink = open_sink(url(hec, "ack=true"), options=SinkOptions(retry=fast_policy(clock)))
    result = sink.send(findings(2))
    assert len(result.delivered) == 2
    posts = hec.posts("/services/collector/event")
    channel = posts[0][1]["x-splunk-request-channel"]
    acks = hec.posts("/services/collector/ack")
    assert len(acks) == 3 and all(f"channel={channel}" in path for path, _, _ in acks)
    assert hec.polls == {1: 3}


def test_an_ack_that_never_comes_is_a_retryable_failure_within_a_bounded_wait(
    clock: FakeClock, hec: HecServer
) -> None:
    hec.ack = True
    hec.ack_polls = None
    sink = open_sink(url(hec, "ack=true&ack_timeout=10"), options=SinkOptions(retry=fast_policy(clock)))
    result = sink.send(findings(2))
    assert len(result.retry) == 2 and "not acknowledged within 10s" in next(iter(result.retry.values()))
    assert sum(clock.sleeps) == pytest.approx(10.0)


def test_hec_down_is_a_retryable_failure() -> None:
    sink = open_sink(f"splunk+http://127.0.0.1:{free_port()}")
    result = sink.send(findings(2))
    assert len(result.retry) == 2 and "HEC unreachable" in next(iter(result.retry.values()))


def test_the_token_can_come_from_a_file(
    hec: HecServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TRAILWARDEN_HEC_TOKEN")
    token_file = tmp_path / "hec-token"
    token_file.write_text(TOKEN + "\n")
    monkeypatch.setenv("TRAILWARDEN_HEC_TOKEN_FILE", str(token_file))
    assert len(open_sink(url(hec)).send(findings(1)).delivered) == 1


def test_no_token_is_a_usage_error_naming_both_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAILWARDEN_HEC_TOKEN")
    with pytest.raises(UsageError, match="no HEC token") as caught:
        open_sink("splunk+https://splunk.example.com:8088")
    assert "TRAILWARDEN_HEC_TOKEN_FILE" in str(caught.value)


def test_another_format_fills_the_envelopes_event(hec: HecServer) -> None:
    sink = open_sink(url(hec, "format=ocsf"))
    sink.send(findings(1))
    assert hec.envelopes[0]["event"]["class_uid"] == 2004
