"""Webhook sink against a real receiver on 127.0.0.1: JSON batches, HMAC signature, retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.sinks import SinkOptions, open_sink
from engine.sinks.deliver import send_with_retry
from engine.sinks.webhook import sign
from tests.sinks.conftest import FakeClock, fast_policy, findings
from tests.sinks.servers import WebhookReceiver, free_port

SECRET = "whsec-2f7a9c1e5b3d"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(secret=SECRET).start()
    yield server  # type: ignore[misc]
    server.stop()


def test_signed_batches_pass_the_receivers_hmac_check(
    receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAILWARDEN_WEBHOOK_SECRET", SECRET)
    sink = open_sink(f"webhook+http://127.0.0.1:{receiver.port}/hooks/trailwarden")
    result = sink.send(findings(5))
    sink.close()
    assert len(result.delivered) == 5
    assert receiver.bad_signatures == 0
    assert set(receiver.received) == {f["finding_id"] for f in findings(5)}
    path, headers, body = receiver.requests[0]
    assert path == "/hooks/trailwarden"
    assert headers["x-trailwarden-signature"] == sign(SECRET, body)


def test_the_secret_can_come_from_a_file(
    receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    secret_file = Path(str(tmp_path)) / "webhook-secret"
    secret_file.write_text(SECRET + "\n")
    monkeypatch.setenv("TRAILWARDEN_WEBHOOK_SECRET_FILE", str(secret_file))
    sink = open_sink(f"webhook+http://127.0.0.1:{receiver.port}/")
    assert len(sink.send(findings(1)).delivered) == 1


def test_a_wrong_secret_is_refused_by_the_receiver_and_reported_not_retried(
    receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAILWARDEN_WEBHOOK_SECRET", "not-the-right-secret")
    sink = open_sink(f"webhook+http://127.0.0.1:{receiver.port}/")
    result = sink.send(findings(2))
    assert len(result.rejected) == 2 and not result.retry
    assert "HTTP 401" in next(iter(result.rejected.values()))
    assert receiver.bad_signatures == 1


def test_unsigned_when_no_secret_is_set() -> None:
    server = WebhookReceiver().start()
    try:
        sink = open_sink(f"webhook+http://127.0.0.1:{server.port}/")
        sink.send(findings(1))
        assert "x-trailwarden-signature" not in server.requests[0][1]
    finally:
        server.stop()


def test_503_is_retried_until_the_receiver_takes_the_batch(clock: FakeClock) -> None:
    server = WebhookReceiver(busy=2).start()
    try:
        sink = open_sink(
            f"webhook+http://127.0.0.1:{server.port}/", options=SinkOptions(retry=fast_policy(clock))
        )
        result = send_with_retry(sink, findings(3))
        assert len(result.delivered) == 3 and len(server.requests) == 3
        assert sink.stats.retried == 6
    finally:
        server.stop()


def test_a_receiver_that_is_not_listening_is_a_retryable_failure() -> None:
    sink = open_sink(f"webhook+http://127.0.0.1:{free_port()}/")
    result = sink.send(findings(2))
    assert len(result.retry) == 2
    assert "unreachable" in next(iter(result.retry.values()))
