"""Security Hub sink against moto's server: imports land, re-imports upsert, calls stay in limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from engine.errors import UsageError
from engine.sinks import Dispatcher, open_sink
from engine.statefile.db import StateDB
from engine.statefile.spool import Spool
from tests.sinks.conftest import findings
from tests.sinks.servers import free_port

REGION = "eu-west-1"
MOTO_ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, moto: str, tmp_path: Path) -> str:
    """Each test gets its own account's Security Hub state by resetting moto first."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto}/moto-api/reset", method="POST")).read()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SECURITYHUB", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    return moto


def imported(moto: str) -> list[dict[str, Any]]:
    client = boto3.client("securityhub", region_name=REGION, endpoint_url=moto)
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = client.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        out.extend(page["Findings"])
        token = page.get("NextToken")
        if not token:
            return out


def test_imported_findings_are_returned_by_get_findings(aws: str) -> None:
    sink = open_sink(f"securityhub://{REGION}")
    batch = findings(5)
    result = sink.send(batch)
    sink.close()
    assert len(result.delivered) == 5 and not result.rejected
    found = imported(aws)
    assert len(found) == 5
    assert {f["AwsAccountId"] for f in found} == {MOTO_ACCOUNT}  # the calling account, learnt from STS
    assert {f["ProductArn"] for f in found} == {
        f"arn:aws:securityhub:{REGION}:{MOTO_ACCOUNT}:product/{MOTO_ACCOUNT}/default"
    }
    assert all(any(fid in f["Id"] for fid in result.delivered) for f in found)


def test_importing_the_same_findings_again_does_not_duplicate_them(aws: str) -> None:
    for _ in range(2):
        sink = open_sink(f"securityhub://{REGION}?account={MOTO_ACCOUNT}")
        assert len(sink.send(findings(4)).delivered) == 4
    assert len(imported(aws)) == 4


def test_a_large_batch_is_split_into_calls_of_at_most_100(aws: str) -> None:
    sink = open_sink(f"securityhub://{REGION}", options=None)
    sizes: list[int] = []
    sink.client.meta.events.register(  # type: ignore[attr-defined]
        "provide-client-params.securityhub.BatchImportFindings",
        lambda params, **_: sizes.append(len(params["Findings"])),
    )
    result = sink.send(findings(230))
    assert len(result.delivered) == 230
    assert sizes == [100, 100, 30]
    assert len(imported(aws)) == 230


def test_the_service_specific_endpoint_variable_is_honoured(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", aws)
    sink = open_sink(f"securityhub://{REGION}?account={MOTO_ACCOUNT}")
    assert len(sink.send(findings(2)).delivered) == 2
    assert len(imported(aws)) == 2


def test_an_unreachable_endpoint_spools_rather_than_loses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with StateDB(tmp_path / "state.db") as db:
        from engine.sinks import SinkOptions
        from engine.sinks.retry import RetryPolicy

        sink = open_sink(
            f"securityhub://{REGION}?account={MOTO_ACCOUNT}",
            options=SinkOptions(retry=RetryPolicy(attempts=1), timeout=2),
        )
        dispatcher = Dispatcher([sink], Spool(db))
        for finding in findings(3):
            dispatcher.submit(finding)
        report = dispatcher.close()
        assert report.sinks[0].spooled == 3 and Spool(db).count(sink.url) == 3


def test_a_region_that_is_not_one_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="securityhub://<region>"):
        open_sink("securityhub://not_a_region")


@pytest.mark.parametrize(
    ("code", "retried"),
    [
        ("TooManyRequestsException", True),
        ("ThrottlingException", True),
        ("InternalException", True),
        ("ServiceUnavailable", True),
        ("InvalidInput", False),
        ("AccessDeniedException", False),
        ("InvalidAccessException", False),
    ],
)
def test_only_throttling_and_service_side_errors_are_retried(code: str, retried: bool) -> None:
    from engine.sinks.securityhub import _retryable

    assert _retryable(code) is retried
