"""The dispatcher: routing, batching, spooling when a sink is down, replay, interrupts, the report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from engine.sinks import Delivery, Dispatcher, Route, Settled, SinkOptions, flush_spool, open_sink
from engine.sinks.base import Finding, Sink, finding_id
from engine.statefile.db import StateDB
from engine.statefile.spool import REJECTED, Spool
from tests.sinks.conftest import FakeClock, fast_policy, findings
from tests.sinks.servers import WebhookReceiver, free_port


def webhook(port: int, clock: FakeClock, **options: object) -> Sink:
    return open_sink(
        f"webhook+http://127.0.0.1:{port}/in",
        options=SinkOptions(retry=fast_policy(clock), **options),  # type: ignore[arg-type]
    )


def test_findings_are_routed_by_minimum_severity(tmp_path: Path) -> None:
    everything, serious = tmp_path / "all.jsonl", tmp_path / "serious.jsonl"
    routes = [Route(open_sink(str(everything))), Route(open_sink(str(serious)), min_severity="high")]
    with StateDB(tmp_path / "state.db") as db:
        dispatcher = Dispatcher(routes, Spool(db))
        for finding in findings(10):  # severities cycle info..critical
            dispatcher.submit(finding)
        report = dispatcher.close()
    assert len(everything.read_text().splitlines()) == 10
    severities = [json.loads(line)["severity"] for line in serious.read_text().splitlines()]
    assert sorted(set(severities)) == ["critical", "high"] and len(severities) == 4
    assert report.exit_code == 0 and [s.delivered for s in report.sinks] == [10, 4]


def test_full_batches_go_out_while_submitting_and_the_rest_on_flush(tmp_path: Path, clock: FakeClock) -> None:
    server = WebhookReceiver().start()
    try:
        with StateDB(tmp_path / "state.db") as db:
            dispatcher = Dispatcher([webhook(server.port, clock, batch_size=4)], Spool(db))
            for finding in findings(10):
                dispatcher.submit(finding)
            assert sum(server.received.values()) == 8
            dispatcher.flush()
            assert sum(server.received.values()) == 10
            dispatcher.close()
    finally:
        server.stop()


def test_a_sink_down_all_run_spools_everything_and_the_next_run_delivers_each_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    port = free_port()  # nothing listens here during the first run
    batch = findings(23)
    state = tmp_path / "state.db"
    with StateDB(state) as db:
        sink = webhook(port, clock, batch_size=5)
        dispatcher = Dispatcher([sink], Spool(db))
        for finding in batch:
            dispatcher.submit(finding)
        report = dispatcher.close()
        assert report.exit_code == 3
        assert report.sinks[0].spooled == 23 and report.sinks[0].pending == 23
        # Only the first batch spent the retry budget; later ones went straight to the spool.
        assert sink.stats.requests == 4
        assert Spool(db).ids(sink.url) == {f["finding_id"] for f in batch}

    server = WebhookReceiver(port=port).start()
    try:
        with StateDB(state) as db:
            report = Dispatcher([webhook(port, clock, batch_size=5)], Spool(db)).close()
            assert Spool(db).count() == 0
        assert report.exit_code == 0 and report.sinks[0].replayed == 23
        assert server.received == {f["finding_id"]: 1 for f in batch}
    finally:
        server.stop()


def test_a_sink_that_comes_back_mid_run_is_probed_and_its_spool_replayed(
    tmp_path: Path, clock: FakeClock
) -> None:
    port = free_port()
    with StateDB(tmp_path / "state.db") as db:
        dispatcher = Dispatcher([webhook(port, clock, batch_size=2)], Spool(db), probe_interval=30)
        for finding in findings(4):
            dispatcher.submit(finding)
        server = WebhookReceiver(port=port).start()
        try:
            dispatcher.submit(findings(1, start=4)[0])
            dispatcher.submit(findings(1, start=5)[0])  # still inside the probe interval: spooled
            assert not server.received
            clock.now += 31
            dispatcher.submit(findings(1, start=6)[0])
            dispatcher.submit(findings(1, start=7)[0])  # probe succeeds, spool replayed
            report = dispatcher.close()
        finally:
            server.stop()
    assert server.received == {f["finding_id"]: 1 for f in findings(8)}
    assert report.exit_code == 3  # findings were spooled during the run, the summary says so
    assert report.sinks[0].pending == 0 and report.sinks[0].replayed == 6


def test_rejected_findings_are_reported_kept_and_sent_again_when_asked(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = WebhookReceiver(secret="the-right-secret-1").start()
    state = tmp_path / "state.db"
    try:
        monkeypatch.setenv("TRAILWARDEN_WEBHOOK_SECRET", "a-wrong-secret-22")
        with StateDB(state) as db:
            dispatcher = Dispatcher([webhook(server.port, clock)], Spool(db))
            for finding in findings(3):
                dispatcher.submit(finding)
            report = dispatcher.close()
            url = report.sinks[0].url
            assert report.exit_code == 3 and report.sinks[0].rejected == 3
            assert Spool(db).count(url, status=REJECTED) == 3
        monkeypatch.setenv("TRAILWARDEN_WEBHOOK_SECRET", "the-right-secret-1")
        assert flush_spool(state, [url]).sinks[0].replayed == 0  # rejected are not re-sent by default
        report = flush_spool(state, [url], include_rejected=True)
        assert report.sinks[0].replayed == 3 and report.exit_code == 0
        assert server.received == {f["finding_id"]: 1 for f in findings(3)}
    finally:
        server.stop()


class InterruptingSink(Sink):
    """Raises KeyboardInterrupt in the middle of its second send, as Ctrl-C would."""

    def __init__(self, inner: Sink) -> None:
        self.__dict__.update(inner.__dict__)
        self.inner = inner
        self.calls = 0

    def send(self, batch: Sequence[Finding]) -> Delivery:
        self.calls += 1
        if self.calls == 2:
            raise KeyboardInterrupt
        return self.inner.send(batch)


def test_ctrl_c_mid_send_spools_the_interrupted_batch_and_the_buffer(
    tmp_path: Path, clock: FakeClock
) -> None:
    server = WebhookReceiver().start()
    try:
        sink = InterruptingSink(webhook(server.port, clock, batch_size=3))
        with StateDB(tmp_path / "state.db") as db:
            dispatcher = Dispatcher([sink], Spool(db))
            submitted: set[str] = set()
            with pytest.raises(KeyboardInterrupt), dispatcher:
                for finding in findings(8):
                    submitted.add(finding["finding_id"])
                    dispatcher.submit(finding)
            assert dispatcher.report is not None and dispatcher.report.interrupted
            delivered = set(server.received)
            spooled = Spool(db).ids(sink.url)
        assert len(submitted) == 6  # the interrupt hit while sending the second batch
        assert delivered | spooled == submitted
    finally:
        server.stop()


def test_every_outcome_is_announced_to_the_pipeline(tmp_path: Path, clock: FakeClock) -> None:
    server = WebhookReceiver(busy=100).start()  # answers 503 to everything
    settled: list[Settled] = []
    try:
        with StateDB(tmp_path / "state.db") as db:
            dispatcher = Dispatcher(
                [webhook(server.port, clock, batch_size=2)], Spool(db), on_settled=settled.append
            )
            for finding in findings(5):
                dispatcher.submit(finding)
            dispatcher.close()
    finally:
        server.stop()
    spooled = [fid for s in settled for fid in s.spooled]
    assert sorted(spooled) == sorted(f["finding_id"] for f in findings(5))


def test_without_state_the_fallback_spool_keeps_the_findings(tmp_path: Path, clock: FakeClock) -> None:
    fallback = tmp_path / "fallback-spool.sqlite"  # TRAILWARDEN_SPOOL, set by conftest
    dispatcher = Dispatcher([webhook(free_port(), clock)], None)
    for finding in findings(2):
        dispatcher.submit(finding)
    report = dispatcher.close()
    assert report.spool_path == str(fallback)
    assert any(str(fallback) in line for line in report.lines())
    assert Spool.at(fallback).count() == 2


def test_a_run_with_nothing_to_spool_creates_no_spool_file(tmp_path: Path) -> None:
    dispatcher = Dispatcher([open_sink(str(tmp_path / "out.jsonl"))])
    dispatcher.submit(findings(1)[0])
    report = dispatcher.close()
    assert report.exit_code == 0 and report.spool_path is None
    assert not (tmp_path / "fallback-spool.sqlite").exists()


def test_the_summary_names_counts_per_sink(tmp_path: Path, clock: FakeClock) -> None:
    with StateDB(tmp_path / "state.db") as db:
        dispatcher = Dispatcher([webhook(free_port(), clock)], Spool(db))
        for finding in findings(3):
            dispatcher.submit(finding)
        report = dispatcher.close()
    assert "0 delivered, 3 spooled, 3 waiting in the spool" in report.lines()[0]
    assert report.totals()["spooled"] == 3 and report.as_dict()["sinks"][0]["pending"] == 3


def test_a_finding_without_an_id_is_refused_loudly() -> None:
    dispatcher = Dispatcher([])
    with pytest.raises(ValueError, match="no finding_id"):
        dispatcher.submit({"rule_id": "x"})


def test_finding_ids_are_what_the_spool_and_sinks_key_on() -> None:
    assert finding_id(findings(1)[0]) == findings(1)[0]["finding_id"]
