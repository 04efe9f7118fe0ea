"""HTTP for the HTTP sinks: one urllib3 pool per sink, TLS verified, no retries of its own.

Retrying is the shared delivery loop's job (`engine.sinks.deliver`), so urllib3's own retries are
off. Certificates are verified against the system store; `TRAILWARDEN_CA_BUNDLE` adds a CA (a
private Splunk or Elastic) without turning verification off.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import urllib3

from engine.errors import UsageError
from engine.sinks.redact import redact

CA_BUNDLE_ENV = "TRAILWARDEN_CA_BUNDLE"
USER_AGENT = "trailwarden"


class TransportError(Exception):
    """The request did not get an HTTP answer (refused, reset, timed out, TLS failure).

    `unanswered` is True when the request may have reached the destination (a reset or a timeout
    after the connection was made), False when it surely did not (refused, no route, TLS
    handshake, name resolution): only the former makes the next attempt a possible duplicate."""

    def __init__(self, message: str, *, unanswered: bool = False) -> None:
        super().__init__(message)
        self.unanswered = unanswered


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (a proxy's HTML error page)."""
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None

    def excerpt(self, limit: int = 300) -> str:
        """The start of the body for an error message, secrets masked."""
        text = self.body[:limit].decode("utf-8", "replace").strip()
        return redact(text)

    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def retryable_status(status: int) -> bool:
    """Worth another try: the server is busy, throttling, or failed on its side."""
    return status in (408, 429) or status >= 500


class HttpClient:
    """A connection pool to one base URL (`https://host:port`)."""

    def __init__(self, base_url: str, *, timeout: float, environ: Mapping[str, str]) -> None:
        self.base_url = base_url.rstrip("/")
        kwargs: dict[str, Any] = {
            "timeout": urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
            "retries": False,
            "maxsize": 2,
            "headers": {"User-Agent": USER_AGENT},
        }
        if self.base_url.startswith("https://"):
            kwargs["ssl_context"] = _ssl_context(environ.get(CA_BUNDLE_ENV))
        self.pool = urllib3.PoolManager(**kwargs)

    def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> Response:
        """POST `body`; raises TransportError (message redacted) when no HTTP answer came back."""
        try:
            resp = self.pool.request(
                "POST", self.base_url + path, body=body, headers=dict(headers), redirect=False
            )
        except urllib3.exceptions.HTTPError as exc:
            raise TransportError(redact(_describe(exc)), unanswered=_maybe_received(exc)) from None
        return Response(
            status=resp.status,
            headers={k.lower(): v for k, v in resp.headers.items()},
            body=resp.data or b"",
        )

    def close(self) -> None:
        self.pool.clear()


def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"{CA_BUNDLE_ENV}={ca_bundle}: cannot load CA bundle: {exc}") from None
    return context


def _maybe_received(exc: urllib3.exceptions.HTTPError) -> bool:
    """Whether the request may have got through: every failure but one to connect at all."""
    reason = getattr(exc, "reason", None) or exc
    never_sent = (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.SSLError)
    return not isinstance(reason, never_sent)


def _describe(exc: urllib3.exceptions.HTTPError) -> str:
    """A short cause: urllib3 wraps the interesting error in MaxRetryError.reason."""
    reason = getattr(exc, "reason", None) or exc
    return f"{type(reason).__name__}: {reason}"
