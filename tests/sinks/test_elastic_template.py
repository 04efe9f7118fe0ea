"""`elastic+https://…/<index>?install_template=true`: the ECS index template is put before the
first `_bulk`, once; a refusal (a key without the privilege) rejects the batch with Elastic's
reason rather than letting an unmapped index be created, and a busy cluster is retried."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.errors import UsageError
from engine.formats.ecs_template import FIELDS
from engine.sinks import SinkOptions, open_sink
from engine.sinks.deliver import send_with_retry
from tests.formats.ecs_fields import leaves
from tests.sinks.conftest import FakeClock, fast_policy, findings
from tests.sinks.servers import ElasticServer, Reply, reply


class TemplatingElastic(ElasticServer):
    """Elastic `_bulk` plus `_index_template/<name>`: answers `template_status` (200 by default)
    and keeps the templates it accepted."""

    def __init__(self, template_status: list[int] | None = None) -> None:
        super().__init__()
        self.template_status = list(template_status or [])
        self.templates: dict[str, dict[str, Any]] = {}

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path.startswith("/_index_template/"):
            status = self.template_status.pop(0) if self.template_status else 200
            if status != 200:
                error = {
                    "type": "security_exception",
                    "reason": "action [indices:admin/index_template/put] is unauthorized",
                }
                return reply(status, {"error": error, "status": status})
            self.templates[path.rsplit("/", 1)[1]] = json.loads(body)
            return reply(200, {"acknowledged": True})
        return super().handle(path, headers, body)


def url(server: ElasticServer, query: str = "install_template=true") -> str:
    return f"elastic+http://127.0.0.1:{server.port}/findings-2026.12?{query}"


def test_the_template_goes_first_and_once_and_maps_every_field_sent() -> None:
    server = TemplatingElastic().start()
    try:
        sink = open_sink(url(server))
        assert len(sink.send(findings(3)).delivered) == 3
        assert len(sink.send(findings(2, start=3)).delivered) == 2
        sink.close()
    finally:
        server.stop()
    paths = [path for path, _, _ in server.requests]
    assert paths[0] == "/_index_template/trailwarden-sink-findings-2026.12"
    assert paths[1:] == ["/findings-2026.12/_bulk"] * 2
    template = server.templates["trailwarden-sink-findings-2026.12"]
    assert template["index_patterns"] == ["findings-2026.12"] and template["priority"] == 201
    assert template["template"]["mappings"]["dynamic"] is False
    for doc in server.docs.values():
        assert set(leaves(doc)) <= set(FIELDS)


def test_a_refused_template_rejects_the_batch_with_elastics_reason(clock: FakeClock) -> None:
    server = TemplatingElastic(template_status=[403]).start()
    try:
        sink = open_sink(url(server), options=SinkOptions(retry=fast_policy(clock)))
        result = send_with_retry(sink, findings(2))
        sink.close()
    finally:
        server.stop()
    assert len(result.rejected) == 2 and not server.docs and clock.sleeps == []
    assert "security_exception" in next(iter(result.rejected.values()))


def test_a_busy_cluster_is_retried_then_the_template_and_documents_go(clock: FakeClock) -> None:
    server = TemplatingElastic(template_status=[503]).start()
    try:
        sink = open_sink(url(server), options=SinkOptions(retry=fast_policy(clock)))
        result = send_with_retry(sink, findings(2))
        sink.close()
    finally:
        server.stop()
    assert len(result.delivered) == 2 and len(clock.sleeps) == 1 and len(server.docs) == 2


def test_install_template_is_for_ecs_documents() -> None:
    with pytest.raises(UsageError, match="install_template is for format=ecs"):
        open_sink("elastic+http://127.0.0.1:9/findings?install_template=true&format=native")
