"""A real moto server on 127.0.0.1 (one per test session) and boto3 clients pointed at it.

Clients get the endpoint explicitly; tests that go through a source's own opener (which builds its
clients from the standard chain) set the environment with `aws_env` for that test only. The
fixtures are imported by tests/sources/conftest.py and by tests/test_aws_lambda.py."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def aws_client(moto_url: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=moto_url, **CREDENTIALS)  # type: ignore[call-overload]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_url: str, tmp_path: Any) -> str:
    """The environment a user's shell would give boto3's standard chain, pointed at moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return moto_url
