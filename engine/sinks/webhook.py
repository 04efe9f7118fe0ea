"""Webhooks: `webhook+https://host/path` (`webhook+http://` for a lab) receives JSON batches.

The body is `{"findings": [record, …]}` in the chosen format (native by default). With a secret in
env `TRAILWARDEN_WEBHOOK_SECRET` (or the file named by `TRAILWARDEN_WEBHOOK_SECRET_FILE`), each POST
carries `X-Trailwarden-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body bytes, so the
receiver can check it came from us unaltered. 2xx is delivered; 408, 429 and 5xx are retried
(honouring Retry-After); any other answer rejects the batch with the receiver's reason.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from engine.errors import UsageError
from engine.formats import dump_json
from engine.sinks.base import Delivery, Finding, Sink, SinkOptions, register_sink
from engine.sinks.http import HttpClient, TransportError, retryable_status
from engine.sinks.url import SinkURL

SECRET_ENV = "TRAILWARDEN_WEBHOOK_SECRET"
SIGNATURE_HEADER = "X-Trailwarden-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for `body`: what a receiver recomputes and compares."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@register_sink("webhook+https", "webhook+http")
class WebhookSink(Sink):
    allowed_formats = frozenset({"native", "ocsf", "ecs", "asff", "hec", "cef"})
    default_batch_size = 100
    default_batch_bytes = 1024 * 1024

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        if url.transport not in ("http", "https") or not url.host:
            raise UsageError(f"sink {self.url}: expected webhook+https://host/path")
        self.secret_value = self.secret("secret", SECRET_ENV)
        self.path = (url.path or "/") + _query(url.raw)
        self.client = HttpClient(url.base(), timeout=options.timeout, environ=options.env())

    def send(self, batch: Sequence[Finding]) -> Delivery:
        records, refused = self.encode_each(batch, self.format.to_record)
        if not records:
            return refused
        return refused + self._post(
            [fid for fid, _ in records], dump_json({"findings": [r for _, r in records]})
        )

    def _post(self, ids: list[str], body: bytes) -> Delivery:
        headers = {"Content-Type": "application/json"}
        if self.secret_value:
            headers[SIGNATURE_HEADER] = sign(self.secret_value, body)
        try:
            resp = self.client.post(self.path, body, headers)
        except TransportError as exc:
            return Delivery.failed(
                ids, f"webhook unreachable: {exc}", nbytes=len(body), unanswered=exc.unanswered
            )
        if 200 <= resp.status < 300:
            return Delivery.ok(ids, len(body))
        reason = f"webhook answered HTTP {resp.status}: {resp.excerpt() or 'no body'}"
        if retryable_status(resp.status):
            return Delivery.failed(ids, reason, nbytes=len(body), retry_after=resp.retry_after())
        return Delivery.refused(ids, reason, nbytes=len(body))

    def close(self) -> None:
        self.client.close()


def _query(raw: str) -> str:
    """The URL's query string, passed on to the receiver as written."""
    _, sep, query = raw.partition("?")
    return f"?{query}" if sep and query else ""
