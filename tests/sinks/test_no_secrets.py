"""No token, key or secret reaches a log line, an error message or the summary, even when a
destination echoes the credentials it was sent."""

from __future__ import annotations

import io
import json
import logging
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from engine.errors import UsageError
from engine.sinks import Dispatcher, Route, SinkOptions, install_redaction, load_sink_config, open_sink
from engine.statefile.db import StateDB
from engine.statefile.spool import Spool
from tests.sinks.conftest import FakeClock, fast_policy, findings
from tests.sinks.servers import HttpServer, Reply, free_port, reply

HEC_TOKEN = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
ELASTIC_KEY = "c2VjcmV0LWlkOnNlY3JldC1rZXktdmFsdWUtOTg3"
WEBHOOK_SECRET = "whsec-9c8b7a6f5e4d3c2b1a"
SECRETS = (HEC_TOKEN, ELASTIC_KEY, WEBHOOK_SECRET)


class EchoingServer(HttpServer):
    """A destination (or a proxy in front of one) that refuses and echoes every header it got."""

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        echoed = "; ".join(f"{k}: {v}" for k, v in headers.items())
        if path.startswith("/services/collector"):
            return reply(403, {"text": f"Invalid token ({echoed})", "code": 4})
        if "_bulk" in path:
            return reply(
                401, {"error": {"type": "security_exception", "reason": f"bad credentials {echoed}"}}
            )
        return reply(503, {"error": f"overloaded, you sent {echoed}"})


@pytest.fixture
def captured(capfd: pytest.CaptureFixture[str]) -> Iterator[io.StringIO]:
    """All log output in one buffer: structlog at debug (JSON lines, as the command line writes
    them) and everything stdlib logging emits at DEBUG (urllib3, botocore…); stdout and stderr are
    caught by capfd besides."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    saved = structlog.get_config()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        logger_factory=structlog.PrintLoggerFactory(file=buffer),
        cache_logger_on_first_use=False,
    )
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        structlog.configure(**saved)


def run_failing_sinks(tmp_path: Path, clock: FakeClock, port: int) -> list[str]:
    """Splunk, Elastic and a webhook that refuse and echo; a Splunk that is not there at all."""
    options = SinkOptions(retry=fast_policy(clock, attempts=2))
    urls = [
        f"splunk+http://127.0.0.1:{port}?ack=true",
        f"elastic+http://127.0.0.1:{port}/findings",
        f"webhook+http://127.0.0.1:{port}/hook",
        f"splunk+http://127.0.0.1:{free_port()}",
    ]
    with StateDB(tmp_path / "state.db") as db:
        dispatcher = Dispatcher([Route(open_sink(u, options=options)) for u in urls], Spool(db))
        for finding in findings(4):
            dispatcher.submit(finding)
        report = dispatcher.close()
        reasons = [row[0] for row in db.conn.execute("SELECT reason FROM spool")]
    assert report.exit_code == 3
    return [*report.lines(), json.dumps(report.as_dict()), *reasons]


def usage_errors(tmp_path: Path) -> list[str]:
    config = tmp_path / "sinks.yml"
    config.write_text(
        textwrap.dedent(
            f"""
            sinks:
              - url: splunk+https://splunk.example.com:8088
                token: {HEC_TOKEN}
                settings: {{secret: {WEBHOOK_SECRET}}}
            """
        )
    )
    texts = []
    for attempt in (
        lambda: load_sink_config(config),
        lambda: open_sink(f"elastic+https://elastic:{ELASTIC_KEY}@es.example.com:9200/x"),
        lambda: open_sink(f"webhook+https://hooks.example.com/x?secret={WEBHOOK_SECRET}"),
    ):
        with pytest.raises(UsageError) as caught:
            attempt()
        texts.append(str(caught.value))
    return texts


def assert_clean(texts: list[str]) -> None:
    everything = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in everything
    # Not even the halves of a basic-auth pair or the base64 of the key's parts.
    assert "secret-key-value" not in everything


def test_secrets_never_appear_in_logs_errors_or_the_summary_by_default(
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    captured: io.StringIO,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TRAILWARDEN_HEC_TOKEN", HEC_TOKEN)
    monkeypatch.setenv("TRAILWARDEN_ELASTIC_API_KEY", ELASTIC_KEY)
    monkeypatch.setenv("TRAILWARDEN_WEBHOOK_SECRET", WEBHOOK_SECRET)
    server = EchoingServer().start()
    try:
        texts = run_failing_sinks(tmp_path, clock, server.port)
    finally:
        server.stop()
    texts += usage_errors(tmp_path)
    out, err = capfd.readouterr()
    logs = captured.getvalue()
    assert "sink.rejected" in logs and "sink.spooled" in logs  # the capture did see the failures
    assert "Invalid token" in logs and "POST /hook" in logs  # ours and urllib3's
    assert_clean([*texts, logs, out, err])


def test_installed_redaction_masks_secrets_that_other_code_logs(
    monkeypatch: pytest.MonkeyPatch, captured: io.StringIO, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRAILWARDEN_HEC_TOKEN", HEC_TOKEN)
    install_redaction()
    logger: Any = structlog.get_logger()
    logger.warning("careless", header=f"Authorization: Splunk {HEC_TOKEN}", nested={"k": [HEC_TOKEN]})
    try:
        raise RuntimeError(f"boom with {HEC_TOKEN}")
    except RuntimeError:
        logger.exception("failed")
    logging.getLogger("urllib3.connectionpool").debug("headers %s", {"Authorization": f"Splunk {HEC_TOKEN}"})
    out, err = capfd.readouterr()
    logs = captured.getvalue()
    assert "careless" in logs and "boom with" in logs and "headers" in logs
    assert_clean([out, err, logs])
