"""HEC, Elastic and webhook sinks against destinations that misbehave on 127.0.0.1 (500 then
recovery, 429 with Retry-After, accept-then-reset, never answering, a 200 HTML proxy page, 401,
Elastic's partial bulk failure), through the dispatcher and a real spool: every finding made ends
delivered, spooled or rejected, exactly one of them, and what the summary says matches what the
destination holds and what the spool holds."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine.sinks import Dispatcher, Settled, SinkOptions, open_sink
from engine.sinks.dispatch import SinkReport
from engine.statefile.db import StateDB
from engine.statefile.spool import PENDING, REJECTED, Spool
from tests.sinks.conftest import TOKEN, FakeClock, fast_policy, findings
from tests.sinks.misbehaving import Misbehaving
from tests.sinks.servers import ElasticServer, HecServer, HttpServer, WebhookReceiver

KINDS = ("hec", "elastic", "webhook")
MADE = 12
BATCH = 5  # 12 findings make batches of 5, 5 and 2: faults hit the first one


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAILWARDEN_HEC_TOKEN", TOKEN)


def destination(kind: str) -> HttpServer:
    if kind == "hec":
        return HecServer(TOKEN)
    if kind == "elastic":
        return ElasticServer()
    return WebhookReceiver()


def received(server: HttpServer) -> Counter[str]:
    """How many times the destination took each finding (Elastic: create actions, 409s included)."""
    if isinstance(server, ElasticServer):
        return server.creates
    assert isinstance(server, HecServer | WebhookReceiver)
    return server.received


def sink_url(kind: str, port: int) -> str:
    return {
        "hec": f"splunk+http://127.0.0.1:{port}",
        "elastic": f"elastic+http://127.0.0.1:{port}/findings",
        "webhook": f"webhook+http://127.0.0.1:{port}/in",
    }[kind]


@dataclass
class Outcome:
    report: SinkReport
    delivered: set[str] = field(default_factory=set)
    spooled: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    pending_in_spool: set[str] = field(default_factory=set)
    rejected_in_spool: set[str] = field(default_factory=set)
    received: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)


def run(
    kind: str,
    faults: list[str],
    clock: FakeClock,
    tmp_path: Path,
    *,
    then: str = "ok",
    inner: HttpServer | None = None,
    timeout: float = 5.0,
) -> Outcome:
    """Send MADE findings through a dispatcher to a misbehaving `kind` destination; account for each."""
    inner = inner or destination(kind)
    server = Misbehaving(inner, faults, then=then).start()
    settled: list[Settled] = []
    try:
        sink = open_sink(
            sink_url(kind, server.port),
            options=SinkOptions(retry=fast_policy(clock), batch_size=BATCH, timeout=timeout),
        )
        with StateDB(tmp_path / "state.db") as db:
            dispatcher = Dispatcher([sink], Spool(db), on_settled=settled.append)
            for finding in findings(MADE):
                dispatcher.submit(finding)
            report = dispatcher.close().sinks[0]
            spool = Spool(db)
            outcome = Outcome(
                report,
                pending_in_spool=spool.ids(sink.url, status=PENDING),
                rejected_in_spool=spool.ids(sink.url, status=REJECTED),
            )
    finally:
        server.stop()
    for event in settled:
        outcome.delivered.update(event.delivered)
        outcome.spooled.update(event.spooled)
        outcome.rejected.update(event.rejected)
    outcome.received = received(inner)
    outcome.faults = server.seen
    assert_accounted(outcome)
    return outcome


def assert_accounted(outcome: Outcome) -> None:
    """delivered + spooled + rejected = made, finding by finding, in the report and in the spool."""
    made = {f["finding_id"] for f in findings(MADE)}
    report = outcome.report
    assert report.delivered + report.spooled + report.rejected == MADE
    assert (len(outcome.delivered), len(outcome.spooled), len(outcome.rejected)) == (
        report.delivered,
        report.spooled,
        report.rejected,
    )
    assert outcome.delivered | outcome.spooled | outcome.rejected == made
    assert not (outcome.delivered & outcome.spooled or outcome.delivered & outcome.rejected)
    assert not outcome.spooled & outcome.rejected
    assert outcome.pending_in_spool == outcome.spooled and report.pending == len(outcome.spooled)
    assert outcome.rejected_in_spool == outcome.rejected


def all_ids() -> set[str]:
    return {f["finding_id"] for f in findings(MADE)}


@pytest.mark.parametrize("kind", KINDS)
def test_500_twice_then_recovery_delivers_each_finding_once(
    kind: str, clock: FakeClock, tmp_path: Path
) -> None:
    outcome = run(kind, ["500", "500"], clock, tmp_path)
    assert outcome.delivered == all_ids() and outcome.report.ok
    assert outcome.received == Counter(dict.fromkeys(all_ids(), 1))
    assert outcome.report.stats["retried"] == 2 * BATCH and outcome.report.resent == 0
    assert outcome.faults["500"] == 2


@pytest.mark.parametrize("kind", KINDS)
def test_429_waits_at_least_retry_after_then_delivers(kind: str, clock: FakeClock, tmp_path: Path) -> None:
    outcome = run(kind, ["429"], clock, tmp_path)
    assert outcome.delivered == all_ids()
    assert clock.sleeps and clock.sleeps[0] >= 3.0  # Retry-After: 3 is a floor (fast policy: 0.5 s)
    assert outcome.received == Counter(dict.fromkeys(all_ids(), 1))


@pytest.mark.parametrize("kind", KINDS)
def test_accept_then_reset_resends_the_batch_and_counts_the_resends(
    kind: str, clock: FakeClock, tmp_path: Path
) -> None:
    outcome = run(kind, ["reset"], clock, tmp_path)
    assert outcome.delivered == all_ids()
    # The destination took the first batch twice (at least once); the summary says so.
    assert sum(outcome.received.values()) == MADE + BATCH
    assert outcome.report.resent == BATCH == outcome.report.stats["resent"]
    assert f"{BATCH} re-sent after no answer" in outcome.report.line()
    assert outcome.report.ok  # a re-send is not a failure


@pytest.mark.parametrize("kind", KINDS)
def test_a_destination_that_never_answers_times_out_and_the_batch_is_resent(
    kind: str, clock: FakeClock, tmp_path: Path
) -> None:
    outcome = run(kind, ["hang"], clock, tmp_path, timeout=1.5)
    assert outcome.delivered == all_ids()
    assert outcome.received == Counter(dict.fromkeys(all_ids(), 1))  # the hung request was not taken
    assert outcome.report.resent == BATCH  # but the sender cannot know that


@pytest.mark.parametrize("kind", ["hec", "elastic"])
def test_a_200_html_proxy_page_is_not_a_delivery(kind: str, clock: FakeClock, tmp_path: Path) -> None:
    outcome = run(kind, [], clock, tmp_path, then="html")
    assert outcome.delivered == set() and outcome.spooled == all_ids()
    assert not outcome.received and not outcome.report.ok


def test_a_webhook_2xx_is_its_receipt_whatever_the_body(clock: FakeClock, tmp_path: Path) -> None:
    """A webhook has no agreed success body: 2xx is its contract, so an HTML 200 counts as taken."""
    outcome = run("webhook", [], clock, tmp_path, then="html")
    assert outcome.delivered == all_ids() and not outcome.received


@pytest.mark.parametrize("kind", KINDS)
def test_401_rejects_without_retrying_and_keeps_the_findings(
    kind: str, clock: FakeClock, tmp_path: Path
) -> None:
    outcome = run(kind, [], clock, tmp_path, then="401")
    assert outcome.rejected == all_ids() and outcome.delivered == set()
    assert outcome.report.stats["retried"] == 0 and outcome.faults["401"] == 3  # one post per batch
    assert not clock.sleeps


@pytest.mark.parametrize("kind", KINDS)
def test_500_for_good_spools_everything(kind: str, clock: FakeClock, tmp_path: Path) -> None:
    outcome = run(kind, [], clock, tmp_path, then="500")
    assert outcome.spooled == all_ids() and outcome.report.pending == MADE
    assert outcome.faults["500"] == 4  # the first batch spent the retry budget; the rest waited


def test_elastic_partial_bulk_failure_retries_throttled_items_and_rejects_bad_ones(
    clock: FakeClock, tmp_path: Path
) -> None:
    ids = [f["finding_id"] for f in findings(MADE)]
    inner = ElasticServer(throttle={ids[0], ids[1], ids[7]}, mapping_error={ids[2], ids[9]})
    outcome = run("elastic", [], clock, tmp_path, inner=inner)
    assert outcome.rejected == {ids[2], ids[9]}
    assert outcome.delivered == all_ids() - outcome.rejected and outcome.spooled == set()
    assert set(inner.docs) == outcome.delivered
    assert outcome.report.stats["retried"] == 3  # only the throttled items went again


class Canned(HttpServer):
    """Answers every POST with one fixed reply."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        super().__init__()
        self.answer = (status, {"Content-Type": content_type}, body)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        return self.answer


JSON = "application/json"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected", "reason"),
    [
        (200, b'{"text":"Success","code":0}', JSON, "delivered", ""),
        (200, b"<html><body>Sign in</body></html>", "text/html", "retry", "HTTP 200 (text/html) but not HEC"),
        (200, b"", "text/plain", "retry", "no body"),
        (200, b'{"status":"ok"}', JSON, "retry", "not HEC's answer"),
        (200, b'{"text":"Invalid data format","code":6}', JSON, "retry", "code 6, not success"),
        (500, b'{"text":"Internal server error","code":8}', JSON, "retry", "code 8"),
        (503, b'{"text":"Server is busy","code":9}', JSON, "retry", "Server is busy"),
        (503, b'{"text":"HEC is unhealthy, queues are full","code":18}', JSON, "retry", "code 18"),
        (502, b"<html>Bad Gateway</html>", "text/html", "retry", "HTTP 502"),
        (503, b'{"code":503,"message":"no healthy upstream"}', JSON, "retry", "HTTP 503"),
        (200, b'{"code":0}', JSON, "delivered", ""),
        (200, b'{"text":"Success","code":false}', JSON, "retry", "not HEC's answer"),
        (400, b'{"text":"Incorrect index","code":7}', JSON, "rejected", "Incorrect index (code 7)"),
        (400, b'{"text":"Data channel is missing","code":10}', JSON, "rejected", "code 10"),
        (403, b'{"text":"Token disabled","code":1}', JSON, "rejected", "Token disabled"),
        (404, b"<html>Not Found</html>", "text/html", "rejected", "HTTP 404"),
    ],
)
def test_hec_answers_are_judged_by_hecs_own_code(
    status: int, body: bytes, content_type: str, expected: str, reason: str
) -> None:
    server = Canned(status, body, content_type).start()
    try:
        sink = open_sink(f"splunk+http://127.0.0.1:{server.port}")
        result = sink.send(findings(2))
        sink.close()
    finally:
        server.stop()
    outcomes: dict[str, Any] = {
        "delivered": result.delivered,
        "retry": result.retry,
        "rejected": result.rejected,
    }
    assert len(outcomes[expected]) == 2, outcomes
    if reason:
        assert reason in next(iter(outcomes[expected].values()))


class OutOfOrder(ElasticServer):
    """Answers `_bulk` with its items reversed: an item must not vouch for another document."""

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        status, extra, payload = super().handle(path, headers, body)
        answer = json.loads(payload)
        answer["items"].reverse()
        return status, extra, json.dumps(answer).encode()


def test_an_elastic_item_answering_for_another_id_is_not_a_delivery() -> None:
    server = OutOfOrder().start()
    try:
        sink = open_sink(f"elastic+http://127.0.0.1:{server.port}/findings")
        batch = [f["finding_id"] for f in findings(3)]
        result = sink.send(findings(3))
        sink.close()
    finally:
        server.stop()
    assert result.delivered == (batch[1],)  # the middle item stays in its place
    assert set(result.retry) == {batch[0], batch[2]} and "in its place" in result.retry[batch[0]]
