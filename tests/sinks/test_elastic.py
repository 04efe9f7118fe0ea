"""Elastic `_bulk` sink against a local `_bulk` endpoint: item-by-item outcomes, idempotent re-sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import UsageError
from engine.sinks import Dispatcher, SinkOptions, open_sink
from engine.sinks.deliver import send_with_retry
from engine.statefile.db import StateDB
from engine.statefile.spool import REJECTED, Spool
from tests.sinks.conftest import FakeClock, fast_policy, findings
from tests.sinks.servers import ElasticServer, basic, free_port

API_KEY = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="


@pytest.fixture
def elastic(monkeypatch: pytest.MonkeyPatch) -> Iterator[ElasticServer]:
    monkeypatch.setenv("TRAILWARDEN_ELASTIC_API_KEY", API_KEY)
    server = ElasticServer(api_key=API_KEY).start()
    yield server  # type: ignore[misc]
    server.stop()


def url(server: ElasticServer) -> str:
    return f"elastic+http://127.0.0.1:{server.port}/trailwarden-findings"


def test_findings_become_create_actions_with_the_finding_id_and_ecs_documents(elastic: ElasticServer) -> None:
    sink = open_sink(url(elastic))
    result = sink.send(findings(3))
    assert len(result.delivered) == 3
    path, headers, _ = elastic.requests[0]
    assert path == "/trailwarden-findings/_bulk" and headers["authorization"] == f"ApiKey {API_KEY}"
    assert set(elastic.docs) == {f["finding_id"] for f in findings(3)}
    doc = elastic.docs[findings(1)[0]["finding_id"]]
    assert doc["event"]["kind"] == "alert" and "@timestamp" in doc


def test_partial_failures_409_delivered_429_retried_400_rejected(
    clock: FakeClock, elastic: ElasticServer
) -> None:
    batch = findings(4)
    already, throttled, broken, fresh = (f["finding_id"] for f in batch)
    elastic.docs[already] = {"from": "an earlier run"}
    elastic.throttle = {throttled}
    elastic.mapping_error = {broken}
    sink = open_sink(url(elastic), options=SinkOptions(retry=fast_policy(clock)))
    result = send_with_retry(sink, batch)
    assert sorted(result.delivered) == sorted([already, throttled, fresh])
    assert set(result.rejected) == {broken}
    assert "document_parsing_exception" in result.rejected[broken]
    assert not result.retry
    assert elastic.creates[throttled] == 2 and elastic.creates[fresh] == 1  # only the 429 item went again
    assert sink.stats.retried == 1


def test_sending_everything_twice_leaves_one_document_per_finding(elastic: ElasticServer) -> None:
    sink = open_sink(url(elastic))
    first, second = sink.send(findings(5)), sink.send(findings(5))
    assert len(first.delivered) == len(second.delivered) == 5
    assert len(elastic.docs) == 5


def test_a_whole_request_503_is_retried(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    server = ElasticServer(down=1).start()
    try:
        sink = open_sink(url(server), options=SinkOptions(retry=fast_policy(clock)))
        assert len(send_with_retry(sink, findings(2)).delivered) == 2
        assert len(server.requests) == 2
    finally:
        server.stop()


def test_a_bad_api_key_rejects_the_batch_and_keeps_it_in_the_spool(
    tmp_path: Path, clock: FakeClock, elastic: ElasticServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAILWARDEN_ELASTIC_API_KEY", "bm90LXRoZS1rZXk6bm9wZQ==")
    with StateDB(tmp_path / "state.db") as db:
        sink = open_sink(url(elastic), options=SinkOptions(retry=fast_policy(clock)))
        dispatcher = Dispatcher([sink], Spool(db))
        for finding in findings(2):
            dispatcher.submit(finding)
        report = dispatcher.close()
        assert report.sinks[0].rejected == 2 and report.exit_code == 3
        assert Spool(db).count(sink.url, status=REJECTED) == 2
    assert len(elastic.requests) == 1


def test_basic_auth_from_env_when_no_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAILWARDEN_ELASTIC_USERNAME", "trailwarden")
    monkeypatch.setenv("TRAILWARDEN_ELASTIC_PASSWORD", "pw-0123456789")
    server = ElasticServer().start()
    try:
        open_sink(url(server)).send(findings(1))
        assert server.requests[0][1]["authorization"] == basic("trailwarden", "pw-0123456789")
    finally:
        server.stop()


def test_elastic_down_all_run_then_back_gets_every_finding_once(tmp_path: Path, clock: FakeClock) -> None:
    port = free_port()
    target = f"elastic+http://127.0.0.1:{port}/trailwarden-findings"
    with StateDB(tmp_path / "state.db") as db:
        dispatcher = Dispatcher([open_sink(target, options=SinkOptions(retry=fast_policy(clock)))], Spool(db))
        for finding in findings(12):
            dispatcher.submit(finding)
        assert dispatcher.close().sinks[0].pending == 12
    server = ElasticServer(port=port).start()
    try:
        with StateDB(tmp_path / "state.db") as db:
            report = Dispatcher(
                [open_sink(target, options=SinkOptions(retry=fast_policy(clock)))], Spool(db)
            ).close()
        assert report.exit_code == 0 and report.sinks[0].replayed == 12
        assert server.creates == {f["finding_id"]: 1 for f in findings(12)}
    finally:
        server.stop()


def test_an_index_is_required() -> None:
    with pytest.raises(UsageError, match="<index>"):
        open_sink("elastic+https://es.example.com:9200")
