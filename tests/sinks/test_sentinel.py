"""Microsoft Sentinel sink against a local Azure (Entra ID token endpoint and Logs Ingestion API
over HTTPS on 127.0.0.1): rows arrive once, throttling and outages are retried, refusals are
rejected with the API's reason, requests stay under 1 MB, and nothing is lost when Azure is down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.errors import UsageError
from engine.sinks import Dispatcher, SinkOptions, open_routes, open_sink
from engine.sinks.base import Sink
from engine.sinks.deliver import send_with_retry
from engine.statefile.db import StateDB
from engine.statefile.spool import Spool
from tests.sinks.conftest import FakeClock, fast_policy, findings
from tests.sinks.sentinel_server import IDENTITY_HEADER, MAX_BODY, AzureServer
from tests.sinks.servers import free_port
from tests.sinks.test_tls import self_signed

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "0c5b8e1c-3f6a-4a53-9a65-0f1f3c2b9d10"
SECRET = "Qx8Q~sentinel-test-secret-4d1e"
RULE = "dcr-0123456789abcdef0123456789abcdef"
STREAM = "Custom-TrailwardenFindings_CL"


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Azure client honours proxy variables; loopback traffic must not go through one."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("azure-tls"))


def azure(cert: tuple[Path, Path], **kwargs: Any) -> AzureServer:
    return AzureServer(
        *cert, tenant=TENANT, client_id=CLIENT, client_secret=SECRET, rule_id=RULE, stream=STREAM, **kwargs
    )


@pytest.fixture
def server(cert: tuple[Path, Path]) -> Iterator[AzureServer]:
    running = azure(cert).start()
    yield running
    running.stop()


def sink_url(port: int, *, rule: str = RULE, stream: str = STREAM) -> str:
    return f"sentinel+https://127.0.0.1:{port}/{rule}/{stream}?tenant_id={TENANT}&client_id={CLIENT}"


def open_sentinel(
    port: int, cert: tuple[Path, Path], clock: FakeClock | None = None, *, secret: str = SECRET, **kwargs: Any
) -> Sink:
    environ = {
        "TRAILWARDEN_SENTINEL_CLIENT_SECRET": secret,
        "TRAILWARDEN_CA_BUNDLE": str(cert[0]),
        "AZURE_AUTHORITY_HOST": f"https://127.0.0.1:{port}",
    }
    options = SinkOptions(environ=environ, retry=fast_policy(clock or FakeClock()), timeout=10, **kwargs)
    return open_sink(sink_url(port), options=options)


def test_rows_arrive_once_with_their_columns_and_one_token(
    server: AzureServer, cert: tuple[Path, Path]
) -> None:
    """Two batches: every finding is one row with its columns; the token is fetched once."""
    batch = findings(30)
    sink = open_sentinel(server.port, cert)
    first, second = sink.send(batch[:20]), sink.send(batch[20:])
    sink.close()
    assert len(first.delivered) + len(second.delivered) == 30 and not first.retry and not second.rejected
    assert server.received == {f["finding_id"]: 1 for f in batch}
    assert server.token_requests == 1
    row = next(r for r in server.rows if r["FindingId"] == batch[3]["finding_id"])
    assert row["TimeGenerated"] == "2026-11-20T10:05:00.000Z" or row["TimeGenerated"].endswith("Z")
    assert (row["RuleId"], row["Severity"], row["Title"]) == (
        batch[3]["rule_id"],
        batch[3]["severity"],
        batch[3]["title"],
    )
    assert row["Event"] == batch[3]["event"] and row["Context"] == batch[3]["context"]
    assert row["Tactics"] == ["Privilege Escalation"] and row["Techniques"] == ["T1078.004"]


def test_429_with_retry_after_is_waited_for_then_delivered(cert: tuple[Path, Path], clock: FakeClock) -> None:
    """Throttled twice with Retry-After: 3, the loop waits 3 s each time and delivers once."""
    server = azure(cert, throttle=2, retry_after="3").start()
    try:
        sink = open_sentinel(server.port, cert, clock)
        result = send_with_retry(sink, findings(5))
        sink.close()
    finally:
        server.stop()
    assert len(result.delivered) == 5 and not result.retry
    assert clock.sleeps == [3.0, 3.0]
    assert server.statuses == {429: 2, 204: 1}
    assert server.received == {f["finding_id"]: 1 for f in findings(5)}


def test_503_is_retried(cert: tuple[Path, Path], clock: FakeClock) -> None:
    server = azure(cert, busy=1).start()
    try:
        sink = open_sentinel(server.port, cert, clock)
        result = send_with_retry(sink, findings(3))
        sink.close()
    finally:
        server.stop()
    assert len(result.delivered) == 3 and server.statuses == {503: 1, 204: 1}


def test_a_batch_over_1mb_goes_in_requests_the_api_accepts(
    server: AzureServer, cert: tuple[Path, Path]
) -> None:
    """Rows worth ~2.5 MB in one send: several requests, none over 1 MB, all rows once."""
    batch = findings(25)
    for finding in batch:
        finding["context"]["padding"] = "x" * 100_000
    sink = open_sentinel(server.port, cert)
    result = sink.send(batch)
    sink.close()
    assert len(result.delivered) == 25
    assert server.uploads >= 3 and 413 not in server.statuses
    assert server.received == {f["finding_id"]: 1 for f in batch}


def test_many_small_rows_never_make_a_request_over_1mb(server: AzureServer, cert: tuple[Path, Path]) -> None:
    """2,000 rows of ~2 KB in one send: cut by the size of the JSON array actually sent (rows and
    the commas between them), so no request passes the API's 1 MB, and none is refused."""
    batch = findings(2000)
    sink = open_sentinel(server.port, cert)
    result = sink.send(batch)
    sink.close()
    assert len(result.delivered) == 2000 and not result.rejected
    assert 413 not in server.statuses and 0 < server.largest <= 1_000_000
    assert server.uploads >= 3


def test_a_row_over_the_limit_is_rejected_with_the_reason_and_the_rest_delivered(
    server: AzureServer, cert: tuple[Path, Path]
) -> None:
    """A finding larger than 1 MB on its own gets 413: rejected, named, never retried."""
    batch = findings(3)
    batch[1]["context"]["padding"] = "y" * (MAX_BODY + 10)
    sink = open_sentinel(server.port, cert)
    result = sink.send(batch)
    sink.close()
    assert set(result.rejected) == {batch[1]["finding_id"]} and not result.retry
    assert "HTTP 413" in result.rejected[batch[1]["finding_id"]]
    assert "batch_bytes" in result.rejected[batch[1]["finding_id"]]
    assert set(result.delivered) == {batch[0]["finding_id"], batch[2]["finding_id"]}


def test_a_wrong_secret_is_rejected_at_once_and_never_logged(
    server: AzureServer, cert: tuple[Path, Path], clock: FakeClock
) -> None:
    """Entra ID's invalid_client answer rejects the batch without retries; the secret is masked."""
    sink = open_sentinel(server.port, cert, clock, secret="not-the-secret-at-all")
    result = send_with_retry(sink, findings(2))
    sink.close()
    assert len(result.rejected) == 2 and not result.retry and clock.sleeps == []
    reason = next(iter(result.rejected.values()))
    assert "AADSTS7000215" in reason and "not-the-secret-at-all" not in reason
    assert server.uploads == 0


def test_an_unknown_rule_or_stream_is_rejected_with_the_apis_reason(
    server: AzureServer, cert: tuple[Path, Path]
) -> None:
    environ = {
        "TRAILWARDEN_SENTINEL_CLIENT_SECRET": SECRET,
        "TRAILWARDEN_CA_BUNDLE": str(cert[0]),
        "AZURE_AUTHORITY_HOST": server.base,
    }
    sink = open_sink(sink_url(server.port, stream="Custom-Other_CL"), options=SinkOptions(environ=environ))
    result = sink.send(findings(1))
    sink.close()
    assert "HTTP 404: NotFound" in next(iter(result.rejected.values()))


def test_azure_down_spools_and_the_next_run_delivers_each_once(
    cert: tuple[Path, Path], tmp_path: Path, clock: FakeClock
) -> None:
    """Nothing listens during the first run: every finding is spooled (exit 3); the next run,
    with Azure back at the same address, sends the spool first and each finding arrives once."""
    port = free_port()
    batch = findings(12)
    with StateDB(tmp_path / "state.db") as db:
        sink = open_sentinel(port, cert, clock, batch_size=5)
        dispatcher = Dispatcher([sink], Spool(db))
        for finding in batch:
            dispatcher.submit(finding)
        report = dispatcher.close()
        assert report.exit_code == 3 and report.sinks[0].spooled == 12
    server = azure(cert, port=port).start()
    try:
        with StateDB(tmp_path / "state.db") as db:
            report = Dispatcher([open_sentinel(port, cert, clock, batch_size=5)], Spool(db)).close()
            assert Spool(db).count() == 0
    finally:
        server.stop()
    assert report.exit_code == 0 and report.sinks[0].replayed == 12
    assert server.received == {f["finding_id"]: 1 for f in batch}


def test_without_a_secret_the_managed_identity_is_used(
    server: AzureServer, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No client secret anywhere: the token comes from the managed identity endpoint (App Service
    and Functions announce it in IDENTITY_ENDPOINT and IDENTITY_HEADER)."""
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{server.base}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    environ = {"TRAILWARDEN_CA_BUNDLE": str(cert[0])}
    sink = open_sink(
        f"sentinel+https://127.0.0.1:{server.port}/{RULE}/{STREAM}", options=SinkOptions(environ=environ)
    )
    result = sink.send(findings(3))
    sink.close()
    assert len(result.delivered) == 3 and server.token_requests == 1
    assert server.received == {f["finding_id"]: 1 for f in findings(3)}


def test_a_sinks_config_names_the_secret_file_and_settings_cannot_hold_it(
    server: AzureServer, cert: tuple[Path, Path], tmp_path: Path
) -> None:
    """`secret_file:` in a sinks config file is read like any sink's; a `client_secret` written in
    its settings is refused without being echoed."""
    secret_file = tmp_path / "sentinel-secret"
    secret_file.write_text(SECRET + "\n")
    config = tmp_path / "sinks.yml"
    config.write_text(f"sinks:\n  - url: {sink_url(server.port)}\n    secret_file: {secret_file}\n")
    environ = {"TRAILWARDEN_CA_BUNDLE": str(cert[0]), "AZURE_AUTHORITY_HOST": server.base}
    (route,) = open_routes(config=config, defaults=SinkOptions(environ=environ))
    assert len(route.sink.send(findings(2)).delivered) == 2
    route.sink.close()
    config.write_text(
        f"sinks:\n  - url: {sink_url(server.port)}\n    settings: {{client_secret: zz9-plural-z}}\n"
    )
    with pytest.raises(UsageError) as caught:
        open_routes(config=config, defaults=SinkOptions(environ=environ))
    assert "zz9-plural-z" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"sentinel+https://dce.example/{RULE}", r"expected sentinel\+https://"),
        (f"sentinel+https://dce.example/{RULE}/{STREAM}?client_secret=abc123", "never goes in the URL"),
        (f"sentinel+https://dce.example/{RULE}/{STREAM}", "needs the app's tenant_id and client_id"),
    ],
)
def test_bad_urls_and_settings_are_usage_errors(url: str, message: str) -> None:
    environ = {"TRAILWARDEN_SENTINEL_CLIENT_SECRET": SECRET}
    with pytest.raises(UsageError, match=message) as caught:
        open_sink(url, options=SinkOptions(environ=environ))
    assert "abc123" not in str(caught.value)


def test_only_sentinel_rows_are_accepted() -> None:
    with pytest.raises(UsageError, match="does not fit"):
        open_sink(f"sentinel+https://dce.example/{RULE}/{STREAM}?format=ecs")
