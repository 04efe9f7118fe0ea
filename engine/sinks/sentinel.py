"""Microsoft Sentinel through the Azure Monitor Logs Ingestion API:
`sentinel+https://<data-collection-endpoint>/<dcr-immutable-id>/<stream>`, for example
`sentinel+https://trail-abcd.westeurope-1.ingest.monitor.azure.com/dcr-0123456789abcdef0123456789abcdef/Custom-TrailwardenFindings_CL`.

Findings are rows of the `sentinel` format (`engine.formats.sentinel`; `trailwarden template
sentinel` prints the table and the data collection rule that take them), sent with Microsoft's
`azure-monitor-ingestion` client (`pip install 'trailwarden[sentinel]'`), gzipped, a batch cut into
requests of at most 1 MB of JSON (the API's limit; the client's own cutting underestimates the
separators between rows and can exceed it by a few hundred bytes).

Credentials come from `azure-identity`, never from the URL or the command line: with a client
secret (env `TRAILWARDEN_SENTINEL_CLIENT_SECRET`, a file named by `…_FILE`, Azure's own
`AZURE_CLIENT_SECRET`, or a sinks config file's `secret_env:` / `secret_file:`), the
client-credentials flow of the app `client_id` in tenant `tenant_id`; without one, the managed
identity of the VM, container or function (user-assigned when `client_id` is given). `tenant_id`,
`client_id` and `authority_host` (a sovereign cloud's Entra endpoint) are URL settings, or
`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_AUTHORITY_HOST`.

What the answers mean here: 204 is delivered; 429 and 5xx (honouring Retry-After) and network
errors are retried by the shared delivery loop (the client's own retries are off); 413 and other
4xx reject the rows of that request with the API's code and message; Microsoft Entra ID refusing
the credentials (an `AADSTS…` answer) rejects the batch, an unreachable token endpoint retries it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from isal import igzip

from engine.errors import UsageError
from engine.formats import dump_json
from engine.sinks.base import Delivery, Finding, Sink, SinkOptions, register_sink
from engine.sinks.batching import chunk
from engine.sinks.http import CA_BUNDLE_ENV, USER_AGENT, parse_retry_after, retryable_status
from engine.sinks.url import SinkURL

SECRET_ENV = "TRAILWARDEN_SENTINEL_CLIENT_SECRET"
AZURE_SECRET_ENV = "AZURE_CLIENT_SECRET"
TENANT_ENV = "AZURE_TENANT_ID"
CLIENT_ENV = "AZURE_CLIENT_ID"
AUTHORITY_ENV = "AZURE_AUTHORITY_HOST"
# The API takes at most 1 MB a call; rows are cut into requests of at most this much JSON.
MAX_REQUEST_BYTES = 1_000_000
# Microsoft Entra hosts that azure-identity knows; any other authority is a private endpoint
# whose instance discovery (a call to the public cloud) must be skipped.
_KNOWN_AUTHORITIES = (
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
)


@register_sink("sentinel+https")
class SentinelSink(Sink):
    default_format = "sentinel"
    allowed_formats = frozenset({"sentinel"})
    default_batch_size = 500
    # One request's worth (MAX_REQUEST_BYTES); a larger batch is sent as several requests.
    default_batch_bytes = 1_000_000

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        parts = url.path.strip("/").split("/")
        if url.transport != "https" or not url.host or len(parts) != 2 or not all(parts):
            raise UsageError(
                f"sink {self.url}: expected sentinel+https://<data-collection-endpoint>/<dcr-immutable-id>/<stream>"
            )
        if "client_secret" in self.params:  # the URL's query or a config file's settings
            raise UsageError(
                f"sink {url.raw.partition('?')[0]}: a client secret never goes in the URL",
                hint=f"set {SECRET_ENV} or {SECRET_ENV}_FILE (a file holding it)",
            )
        self.rule_id, self.stream = parts
        try:
            from azure.monitor.ingestion import LogsIngestionClient
        except ImportError as exc:
            raise UsageError(
                f"sink {self.url}: the Sentinel sink needs the {exc.name} package",
                hint="pip install 'trailwarden[sentinel]'",
            ) from None
        transport = self._transport()
        self.credential = self._credential(transport)
        self.client = LogsIngestionClient(url.base(), self.credential, **transport)

    def _transport(self) -> dict[str, Any]:
        """Settings for both Azure pipelines: no retries of their own (the delivery loop retries),
        this sink's timeout, and TRAILWARDEN_CA_BUNDLE for a private CA."""
        settings: dict[str, Any] = {
            "retry_total": 0,
            "connection_timeout": min(self.options.timeout, 10.0),
            "read_timeout": self.options.timeout,
            "user_agent": USER_AGENT,
        }
        ca_bundle = self.options.env().get(CA_BUNDLE_ENV)
        if ca_bundle:
            settings["connection_verify"] = ca_bundle
        return settings

    def _credential(self, transport: dict[str, Any]) -> Any:
        from azure.identity import ClientSecretCredential, ManagedIdentityCredential

        env = self.options.env()
        tenant = self.param("tenant_id") or env.get(TENANT_ENV)
        client = self.param("client_id") or env.get(CLIENT_ENV)
        # "secret": what a config file's `secret_env:` / `secret_file:` refer to.
        secret = self.secret("secret", SECRET_ENV) or self.secret("secret", AZURE_SECRET_ENV)
        if not secret:
            return ManagedIdentityCredential(client_id=client, **transport)
        if not tenant or not client:
            raise UsageError(
                f"sink {self.url}: a client secret needs the app's tenant_id and client_id",
                hint=f"add ?tenant_id=…&client_id=… to the URL, or set {TENANT_ENV} and {CLIENT_ENV}",
            )
        settings = dict(transport)
        authority = self.param("authority_host") or env.get(AUTHORITY_ENV)
        if authority:
            settings["authority"] = authority
            host = authority.split("://")[-1].split("/")[0]
            settings["disable_instance_discovery"] = host not in _KNOWN_AUTHORITIES
        return ClientSecretCredential(tenant, client, secret, **settings)

    def encode(self, finding: Finding) -> bytes:
        return dump_json(self.format.to_record(finding))

    def send(self, batch: Sequence[Finding]) -> Delivery:
        """Rows cut into requests of at most MAX_REQUEST_BYTES of JSON, each gzipped and sent on
        its own; each request's answer settles its rows. A row too large on its own still goes,
        alone, and the API's 413 rejects it with its reason."""
        rows, refused = self.encode_each(batch, self.encode)
        parts = [refused]
        for request in chunk(rows, max_count=max(1, len(rows)), max_bytes=MAX_REQUEST_BYTES, size=_row_size):
            parts.append(self._upload(request))
        return Delivery.combine(parts)

    def _upload(self, rows: list[tuple[str, bytes]]) -> Delivery:
        from azure.core.exceptions import AzureError

        ids = [fid for fid, _ in rows]
        body = igzip.compress(b"[" + b",".join(data for _, data in rows) + b"]")
        try:
            # A readable stream is sent as it is (the client's own cutting is for lists), and
            # its gzip magic bytes make the client say Content-Encoding: gzip.
            self.client.upload(self.rule_id, self.stream, io.BytesIO(body))
        except AzureError as exc:
            return _failure(ids, exc, len(body))
        return Delivery.ok(ids, len(body))

    def close(self) -> None:
        self.client.close()
        self.credential.close()


def _row_size(row: tuple[str, bytes]) -> int:
    return len(row[1]) + 1  # the row and the comma (or bracket) beside it


def _failure(ids: list[str], error: BaseException, nbytes: int) -> Delivery:
    """What one failed request means for its rows."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    if isinstance(error, ClientAuthenticationError) and getattr(error, "status_code", None) is None:
        text = str(error)
        if "AADSTS" in text:
            return Delivery.refused(ids, f"Microsoft Entra ID refused the credentials: {text}", nbytes=nbytes)
        return Delivery.failed(ids, f"Microsoft Entra ID unreachable: {text}", nbytes=nbytes)
    if isinstance(error, HttpResponseError) and error.status_code is not None:
        status = int(error.status_code)
        code = getattr(error.error, "code", None) or error.reason
        message = getattr(error.error, "message", None) or ""
        reason = f"Logs Ingestion answered HTTP {status}: {code}: {message}".rstrip(": ")
        if retryable_status(status):
            headers = getattr(error.response, "headers", None) or {}
            retry_after = parse_retry_after(headers.get("Retry-After"))
            return Delivery.failed(ids, reason, nbytes=nbytes, retry_after=retry_after)
        if status == 413:
            reason += " (lower batch_bytes for this sink)"
        return Delivery.refused(ids, reason, nbytes=nbytes)
    return Delivery.failed(ids, f"Logs Ingestion unreachable: {type(error).__name__}: {error}", nbytes=nbytes)
