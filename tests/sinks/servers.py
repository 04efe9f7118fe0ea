"""Real servers on 127.0.0.1 standing in for the destinations: Splunk HEC, Elastic `_bulk`, a
webhook receiver, and syslog listeners over UDP and TCP. Each records what it received, keyed by
finding id, so tests can say exactly what arrived and how often."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, dict[str, str], bytes]


class HttpServer:
    """A threaded HTTP server whose every POST is answered by `handle(path, headers, body)`."""

    def __init__(self, port: int = 0) -> None:
        outer = self
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with outer.lock:
                    outer.requests.append((self.path, headers, body))
                status, extra, payload = outer.handle(self.path, headers, body)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **extra}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output (and the no-secret log capture) clean

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError

    def start(self) -> HttpServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def posts(self, prefix: str) -> list[tuple[str, dict[str, str], bytes]]:
        with self.lock:
            return [r for r in self.requests if r[0].startswith(prefix)]


def reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    return status, headers or {}, json.dumps(body).encode()


def split_json_objects(data: bytes) -> list[dict[str, Any]]:
    """HEC bodies are JSON objects one after another, whitespace between or not."""
    decoder = json.JSONDecoder()
    text = data.decode("utf-8")
    out: list[dict[str, Any]] = []
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        obj, pos = decoder.raw_decode(text, pos)
        out.append(obj)
    return out


class HecServer(HttpServer):
    """Splunk's HTTP Event Collector as far as a sender can tell.

    `busy` answers 503 that many times first; events whose finding id is in `bad` make a 400 with
    `invalid-event-number`; a missing token is 401, a wrong one 403; with `ack`, answers carry an
    ackId that the ack endpoint confirms after `ack_polls` polls (never, when None)."""

    def __init__(
        self,
        token: str,
        *,
        busy: int = 0,
        bad: set[str] | None = None,
        ack: bool = False,
        ack_polls: int | None = 2,
        wrong_token_status: int = 403,
        port: int = 0,
    ) -> None:
        super().__init__(port)
        self.token = token
        self.wrong_token_status = wrong_token_status
        self.busy = busy
        self.bad = bad or set()
        self.ack = ack
        self.ack_polls = ack_polls
        self.received: Counter[str] = Counter()
        self.envelopes: list[dict[str, Any]] = []
        self.polls: Counter[int] = Counter()
        self.next_ack = 0

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        auth = headers.get("authorization")
        if auth is None:
            return reply(401, {"text": "Token is required", "code": 2})
        if auth != f"Splunk {self.token}":
            if self.wrong_token_status == 401:
                return reply(401, {"text": "Invalid authorization", "code": 3})
            return reply(403, {"text": "Invalid token", "code": 4})
        if path.startswith("/services/collector/ack"):
            return self._ack(path, headers, body)
        if path != "/services/collector/event":
            return reply(404, {"text": "The requested URL was not found on this server.", "code": 404})
        if self.busy > 0:
            self.busy -= 1
            return reply(503, {"text": "Server is busy", "code": 9}, {"Retry-After": "0"})
        events = split_json_objects(body)
        for number, envelope in enumerate(events):
            if _hec_id(envelope) in self.bad:
                return reply(400, {"text": "Invalid data format", "code": 6, "invalid-event-number": number})
        with self.lock:
            for envelope in events:
                self.envelopes.append(envelope)
                self.received[_hec_id(envelope)] += 1
        if self.ack:
            if "x-splunk-request-channel" not in headers:
                return reply(400, {"text": "Data channel is missing", "code": 10})
            with self.lock:
                self.next_ack += 1
                return reply(200, {"text": "Success", "code": 0, "ackId": self.next_ack})
        return reply(200, {"text": "Success", "code": 0})

    def _ack(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        channel = parse_qs(urlsplit(path).query).get("channel", [headers.get("x-splunk-request-channel")])[0]
        if not channel:
            return reply(400, {"text": "Data channel is missing", "code": 10})
        acks = json.loads(body)["acks"]
        answer: dict[str, bool] = {}
        with self.lock:
            for ack_id in acks:
                self.polls[ack_id] += 1
                done = self.ack_polls is not None and self.polls[ack_id] >= self.ack_polls
                answer[str(ack_id)] = done
        return reply(200, {"acks": answer})


def _hec_id(envelope: dict[str, Any]) -> str:
    """The finding id inside an envelope: native `finding_id` or OCSF `finding_info.uid`."""
    event = envelope.get("event") or {}
    return str(event.get("finding_id") or event.get("finding_info", {}).get("uid"))


class ElasticServer(HttpServer):
    """Elasticsearch `_bulk` for one index: documents by `_id` (a second create is 409); ids in
    `throttle` get one 429 then succeed; ids in `mapping_error` always get a 400 mapping error."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        throttle: set[str] | None = None,
        mapping_error: set[str] | None = None,
        down: int = 0,
        port: int = 0,
    ) -> None:
        super().__init__(port)
        self.api_key = api_key
        self.throttle = set(throttle or ())
        self.mapping_error = mapping_error or set()
        self.down = down
        self.docs: dict[str, dict[str, Any]] = {}
        self.creates: Counter[str] = Counter()

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if self.api_key is not None and headers.get("authorization") != f"ApiKey {self.api_key}":
            return reply(401, {"error": {"type": "security_exception", "reason": "unable to authenticate"}})
        if not path.split("?")[0].endswith("/_bulk"):
            return reply(404, {"error": "no handler"})
        if headers.get("content-type") != "application/x-ndjson":
            return reply(406, {"error": "Content-Type header is not supported"})
        if self.down > 0:
            self.down -= 1
            error = {"type": "unavailable_shards_exception", "reason": "primary shard not active"}
            return reply(503, {"error": error})
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        items = []
        with self.lock:
            for action, doc in zip(lines[::2], lines[1::2], strict=True):
                doc_id = action["create"]["_id"]
                self.creates[doc_id] += 1
                items.append({"create": self._create(doc_id, doc)})
        errors = any(item["create"]["status"] >= 300 for item in items)
        return reply(200, {"took": 3, "errors": errors, "items": items})

    def _create(self, doc_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        base: dict[str, Any] = {"_index": "findings", "_id": doc_id}
        if doc_id in self.mapping_error:
            error = {"type": "document_parsing_exception", "reason": "[1:15] failed to parse field [rule.id]"}
            return {**base, "status": 400, "error": error}
        if doc_id in self.throttle:
            self.throttle.discard(doc_id)
            error = {"type": "es_rejected_execution_exception", "reason": "rejected execution of bulk"}
            return {**base, "status": 429, "error": error}
        if doc_id in self.docs:
            reason = f"[{doc_id}]: version conflict, document already exists"
            error = {"type": "version_conflict_engine_exception", "reason": reason}
            return {**base, "status": 409, "error": error}
        self.docs[doc_id] = doc
        return {**base, "status": 201, "result": "created"}


class WebhookReceiver(HttpServer):
    """A receiver that checks `X-Trailwarden-Signature` when it knows the secret, can answer 503
    for the first `busy` posts, and can take `delay` seconds per post (a slow destination)."""

    def __init__(
        self, *, secret: str | None = None, busy: int = 0, delay: float = 0.0, port: int = 0
    ) -> None:
        super().__init__(port)
        self.secret = secret
        self.busy = busy
        self.delay = delay
        self.fail_when: Callable[[int], bool] | None = None  # by request number, from 1
        self.count = 0
        self.received: Counter[str] = Counter()
        self.bad_signatures = 0

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if self.delay:
            time.sleep(self.delay)
        if self.secret is not None:
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(headers.get("x-trailwarden-signature", ""), expected):
                with self.lock:
                    self.bad_signatures += 1
                return reply(401, {"error": "bad signature"})
        with self.lock:
            self.count += 1
            if self.busy > 0:
                self.busy -= 1
                return reply(503, {"error": "busy"})
            if self.fail_when is not None and self.fail_when(self.count):
                return reply(503, {"error": "busy"})
            for record in json.loads(body)["findings"]:
                self.received[record["finding_id"]] += 1
        return reply(200, {"ok": True})


RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[[^\]]*\])+) (?P<msg>.*)$",
    re.DOTALL,
)


def parse_rfc5424(data: bytes) -> dict[str, str]:
    match = RFC5424.match(data.decode("utf-8"))
    assert match, f"not an RFC 5424 message: {data[:200]!r}"
    return match.groupdict()


class UdpListener:
    """A syslog receiver on UDP: every datagram is one message."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.messages: list[bytes] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append(data)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[bytes]:
        return _wait(lambda: len(self.messages) >= count, timeout) or self.messages

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


class TcpListener:
    """A syslog receiver on TCP reading RFC 6587 octet-counted frames (`LEN SP MSG`)."""

    def __init__(self, port: int = 0) -> None:
        self.server = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.server.settimeout(0.2)
        self.port = int(self.server.getsockname()[1])
        self.messages: list[bytes] = []
        self.connections = 0
        self._readers: list[threading.Thread] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            reader = threading.Thread(target=self._read, args=(conn,), daemon=True)
            self._readers.append(reader)
            reader.start()

    def _read(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            conn.settimeout(0.2)
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while True:
                    space = buffer.find(b" ")
                    if space < 0:
                        break
                    length = int(buffer[:space])  # a frame must start with its length
                    if len(buffer) < space + 1 + length:
                        break
                    self.messages.append(buffer[space + 1 : space + 1 + length])
                    buffer = buffer[space + 1 + length :]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[bytes]:
        return _wait(lambda: len(self.messages) >= count, timeout) or self.messages

    def stop(self) -> None:
        """Stop accepting and close every connection before returning, as a stopped daemon has."""
        self._stop.set()
        self.thread.join(timeout=2)
        for reader in self._readers:
            reader.join(timeout=2)
        self.server.close()


def _wait(done: Callable[[], bool], timeout: float) -> list[bytes] | None:
    """Poll until `done` (servers run in other threads); the caller asserts on what arrived."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
