"""Azure as a Sentinel sender sees it, on 127.0.0.1 over HTTPS: the Microsoft Entra ID endpoints of
the client-credentials flow (the tenant's OpenID configuration and its token endpoint) and the
Azure Monitor Logs Ingestion API (`POST /dataCollectionRules/{id}/streams/{stream}?api-version=…`).

The ingestion side keeps the API's contract as documented: a bearer token from the token endpoint
is required (401 otherwise), the rule id and stream must be the configured ones (404), the body is
a JSON array, gzip-compressed when `Content-Encoding: gzip` says so, at most 1 MB once inflated
(413), each row must have `TimeGenerated` (400); success is 204 with no body. `throttle` answers
429 with `Retry-After` that many times first, `busy` answers 503. Rows are recorded by FindingId."""

from __future__ import annotations

import gzip
import json
import secrets
import ssl
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2023-01-01"
MAX_BODY = 1024 * 1024
SCOPE = "https://monitor.azure.com/.default"
IDENTITY_HEADER = "managed-identity-test-header"


class AzureServer:
    def __init__(
        self,
        cert: Path,
        key: Path,
        *,
        tenant: str,
        client_id: str,
        client_secret: str,
        rule_id: str,
        stream: str,
        throttle: int = 0,
        busy: int = 0,
        retry_after: str = "0",
        port: int = 0,
    ) -> None:
        outer = self
        self.tenant, self.client_id, self.client_secret = tenant, client_id, client_secret
        self.rule_id, self.stream = rule_id, stream
        self.throttle, self.busy, self.retry_after = throttle, busy, retry_after
        self.lock = threading.Lock()
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.uploads = 0
        self.rows: list[dict[str, Any]] = []
        self.received: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.largest = 0  # the largest body received, inflated

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                self._answer(*outer.get(self.path, headers))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                self._answer(*outer.post(self.path, headers, body))

            def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = int(self.httpd.server_address[1])
        self.base = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> AzureServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- Microsoft Entra ID --------------------------------------------------------------

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if urlsplit(path).path == "/msi/token":
            return self._managed_identity(parse_qs(urlsplit(path).query), headers)
        if urlsplit(path).path == f"/{self.tenant}/v2.0/.well-known/openid-configuration":
            issuer = f"{self.base}/{self.tenant}/v2.0"
            return _json(
                200,
                {
                    "issuer": issuer,
                    "token_endpoint": f"{self.base}/{self.tenant}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{self.base}/{self.tenant}/oauth2/v2.0/authorize",
                    "device_authorization_endpoint": f"{self.base}/{self.tenant}/oauth2/v2.0/devicecode",
                    "tenant_region_scope": "EU",
                },
            )
        return _json(404, {"error": "not_found"})

    def _token(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        with self.lock:
            self.token_requests += 1
        if form.get("grant_type") != "client_credentials" or form.get("scope") != SCOPE:
            return _json(400, {"error": "invalid_request", "error_description": f"AADSTS900144: {form}"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            description = "AADSTS7000215: Invalid client secret provided."
            return _json(
                401, {"error": "invalid_client", "error_description": description, "error_codes": [7000215]}
            )
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return _json(
            200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    def _managed_identity(
        self, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """The managed identity endpoint of App Service and Functions (IDENTITY_ENDPOINT)."""
        with self.lock:
            self.token_requests += 1
        if headers.get("x-identity-header") != IDENTITY_HEADER:
            return _json(401, {"statusCode": 401, "message": "Unauthorized"})
        if query.get("resource") != [SCOPE.removesuffix("/.default")]:
            return _json(400, {"statusCode": 400, "message": f"bad resource {query.get('resource')}"})
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        expires = str(int(time.time()) + 3600)
        return _json(
            200,
            {
                "access_token": token,
                "expires_on": expires,
                "resource": query["resource"][0],
                "token_type": "Bearer",
            },
        )

    # -- Logs Ingestion API ----------------------------------------------------------------

    def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        if parts.path == f"/{self.tenant}/oauth2/v2.0/token":
            return self._token(body)
        status, extra, payload = self._ingest(parts.path, parse_qs(parts.query), headers, body)
        with self.lock:
            self.statuses[status] += 1
        return status, extra, payload

    def _ingest(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _error(401, "InvalidToken", "The access token is missing or invalid.")
        if query.get("api-version") != [API_VERSION]:
            return _error(
                400, "InvalidApiVersion", f"api-version {query.get('api-version')} is not supported"
            )
        if path != f"/dataCollectionRules/{self.rule_id}/streams/{self.stream}":
            return _error(404, "NotFound", f"Data collection rule or stream not found: {path}")
        with self.lock:
            self.uploads += 1
            if self.throttle > 0:
                self.throttle -= 1
                return _error(
                    429, "TooManyRequests", "Rate limit exceeded.", {"Retry-After": self.retry_after}
                )
            if self.busy > 0:
                self.busy -= 1
                return _error(503, "ServiceUnavailable", "Try again.", {"Retry-After": self.retry_after})
        data = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
        with self.lock:
            self.largest = max(self.largest, len(data))
        if len(data) > MAX_BODY:
            return _error(
                413, "ContentLengthLimitExceeded", f"Maximum allowed content length: {MAX_BODY} bytes"
            )
        try:
            rows = json.loads(data)
        except ValueError:
            return _error(400, "InvalidContent", "The body is not valid JSON.")
        if not isinstance(rows, list) or not all(isinstance(r, dict) and "TimeGenerated" in r for r in rows):
            return _error(400, "InvalidContent", "Each record must be an object with TimeGenerated.")
        with self.lock:
            for row in rows:
                self.rows.append(row)
                self.received[row.get("FindingId")] += 1
        return 204, {}, b""


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    status, base, payload = _json(status, {"error": {"code": code, "message": message}})
    return status, {**base, **(headers or {})}, payload
