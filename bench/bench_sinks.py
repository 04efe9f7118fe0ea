"""Throughput of each sink through the Dispatcher against local servers on 127.0.0.1.

Run:  .venv/bin/python bench/bench_sinks.py [--count 5000] [--securityhub-count 1000]

The servers are the test stand-ins (tests/sinks/servers.py: a Python http.server HEC, `_bulk` and
webhook receiver, socket syslog listeners) and moto for Security Hub, all in this process on the
same 2 cores, so the figures bound the client side from below: a real Splunk or Elastic answers
faster than a Python test server. Findings are native findings of ~2 KB each with evidence.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.sinks import Dispatcher, SinkOptions, open_sink
from engine.statefile.db import StateDB
from engine.statefile.spool import Spool
from tests.sinks.conftest import make_finding
from tests.sinks.servers import (
    ElasticServer,
    HecServer,
    TcpListener,
    UdpListener,
    WebhookReceiver,
    free_port,
)

TOKEN = "bench-token-0123456789"


@contextmanager
def http(server: Any) -> Iterator[int]:
    server.start()
    try:
        yield server.port
    finally:
        server.stop()


@contextmanager
def listener(server: Any) -> Iterator[int]:
    try:
        yield server.port
    finally:
        server.stop()


@contextmanager
def moto() -> Iterator[int]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench"
    )
    try:
        yield port
    finally:
        server.stop()


def measure(name: str, url: str, count: int, options: SinkOptions, state: Path) -> None:
    findings = [make_finding(n) for n in range(count)]
    with StateDB(state) as db:
        dispatcher = Dispatcher([open_sink(url, options=options)], Spool(db))
        started = time.perf_counter()
        for finding in findings:
            dispatcher.submit(finding)
        report = dispatcher.close()
        elapsed = time.perf_counter() - started
    line = report.sinks[0]
    stats = line.stats
    print(
        f"{name:<26} {count / elapsed:>9,.0f} findings/s  delivered {line.delivered:>6}  "
        f"requests {stats['requests']:>5}  {int(stats['bytes']) / elapsed / 1e6:>6.1f} MB/s"
        + (f"  spooled {line.spooled} rejected {line.rejected}" if not line.ok else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--securityhub-count", type=int, default=1000)
    args = parser.parse_args()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    os.environ["TRAILWARDEN_HEC_TOKEN"] = TOKEN
    work = Path(tempfile.mkdtemp(prefix="bench-sinks-"))
    options = SinkOptions()
    cases: list[tuple[str, Callable[[], Any], Callable[[int], str], int]] = [
        ("file", lambda: listener(_Nothing()), lambda _: str(work / "out.jsonl"), args.count),
        (
            "webhook",
            lambda: http(WebhookReceiver()),
            lambda p: f"webhook+http://127.0.0.1:{p}/in",
            args.count,
        ),
        ("splunk hec", lambda: http(HecServer(TOKEN)), lambda p: f"splunk+http://127.0.0.1:{p}", args.count),
        (
            "splunk hec + ack",
            lambda: http(HecServer(TOKEN, ack=True, ack_polls=1)),
            lambda p: f"splunk+http://127.0.0.1:{p}?ack=true",
            args.count,
        ),
        (
            "elastic _bulk",
            lambda: http(ElasticServer()),
            lambda p: f"elastic+http://127.0.0.1:{p}/findings",
            args.count,
        ),
        (
            "syslog udp (cef)",
            lambda: listener(UdpListener()),
            lambda p: f"syslog+udp://127.0.0.1:{p}",
            args.count,
        ),
        (
            "syslog tcp (cef)",
            lambda: listener(TcpListener()),
            lambda p: f"syslog+tcp://127.0.0.1:{p}",
            args.count,
        ),
        ("security hub (moto)", moto, lambda _: "securityhub://eu-west-1", args.securityhub_count),
    ]
    print(f"{args.count} findings per sink ({args.securityhub_count} for Security Hub), default batching")
    for index, (name, server, url, count) in enumerate(cases):
        with server() as port:
            measure(name, url(port), count, options, work / f"state-{index}.db")


class _Nothing:
    port = 0

    def stop(self) -> None:
        pass


if __name__ == "__main__":
    main()
