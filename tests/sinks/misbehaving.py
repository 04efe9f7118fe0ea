"""A destination that misbehaves on 127.0.0.1: it answers each POST with the next fault of a
script, then (or for good) as the real destination it wraps (one of `servers.py`'s HEC, Elastic or
webhook servers) would.

Faults, by name: `500` (an internal error), `429` (throttled, `Retry-After: 3`), `401` (a refused
token), `html` (a proxy's `200 text/html` login page), `reset` (the destination takes the request,
then resets the connection before answering: at-least-once makes the next attempt a duplicate),
`hang` (the request is read and never answered: the sender times out), and `ok` (the real answer).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.sinks.servers import HttpServer, Reply

HTML = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in.</body></html>"
CANNED: dict[str, Reply] = {
    "500": (500, {}, json.dumps({"text": "Internal server error", "code": 8}).encode()),
    "429": (429, {"Retry-After": "3"}, json.dumps({"text": "Server is busy", "code": 9}).encode()),
    "401": (401, {}, json.dumps({"text": "Invalid authorization", "code": 3}).encode()),
    "html": (200, {"Content-Type": "text/html; charset=utf-8"}, HTML),
}
FAULTS = frozenset({*CANNED, "reset", "hang", "ok"})


class Misbehaving:
    """`inner` (not started: only its `handle` is used) behind a script of faults."""

    def __init__(self, inner: HttpServer, faults: Iterable[str] = (), *, then: str = "ok") -> None:
        self.inner = inner
        self.script = list(faults)
        self.then = then
        unknown = {*self.script, then} - FAULTS
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}")
        self.lock = threading.Lock()
        self.seen: Counter[str] = Counter()  # faults played, by name
        self.released = threading.Event()  # lets hung requests go when the test ends
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                fault = outer.next_fault()
                if fault == "hang":
                    outer.released.wait(30)
                    self.close_connection = True
                    return
                if fault in CANNED:
                    self.answer(CANNED[fault])
                    return
                answer = outer.inner.handle(self.path, headers, body)  # the destination takes it
                if fault == "reset":
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()  # RST, no answer
                    return
                self.answer(answer)

            def answer(self, reply: Reply) -> None:
                status, extra, payload = reply
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **extra}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def next_fault(self) -> str:
        with self.lock:
            fault = self.script.pop(0) if self.script else self.then
            self.seen[fault] += 1
            return fault

    def start(self) -> Misbehaving:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
