"""Events per second reading a trail from S3 — a local moto server on 127.0.0.1 — through the
`s3://` source: listing, the prefetching download pool, decoding, and a full scan with the bundled
rules; the same corpus scanned from local disk gives the baseline.

Run:  .venv/bin/python bench/bench_s3.py [--events 100000] [--seed 7] [--repeat 3]

The corpus is bench/corpus.py's generated one (a seeded mix of services and identities, ~1.5 KB per
event, 100 to 2,000 events per gzip file, 0.1 % risky events), uploaded under the CloudTrail key
layout. moto runs in its own process, so the figures are the client's — bounded by moto, a
single Python process answering on the same 2 cores, which is slower per request than S3."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import structlog

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from corpus import Corpus, Plan, build, risky_templates  # noqa: E402

from engine.decoding import decode_blob  # noqa: E402
from engine.detection.build import load_ruleset  # noqa: E402
from engine.pipeline import Scanner  # noqa: E402
from engine.sources import SourceOptions, open_source  # noqa: E402
from engine.sources.s3 import S3Reader  # noqa: E402
from engine.types import Blob, Record  # noqa: E402

BUCKET = "bench-trail"


@contextmanager
def moto_server() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("moto_server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def client(url: str) -> Any:
    return boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def upload(s3: Any, corpus: Corpus) -> None:
    s3.create_bucket(Bucket=BUCKET)
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda name: s3.put_object(Bucket=BUCKET, Key=name, Body=(corpus.root / name).read_bytes()),
                corpus.files,
            )
        )


def fetch_only(s3: Any) -> tuple[int, int]:
    files = size = 0
    for item in S3Reader(s3, BUCKET, "").blobs():
        if isinstance(item, Blob):
            with item.open() as stream:
                size += len(stream.read())
            files += 1
    return files, size


def fetch_and_decode(s3: Any) -> int:
    events = 0
    for item in S3Reader(s3, BUCKET, "").blobs():
        if isinstance(item, Blob):
            events += sum(1 for r in decode_blob(item) if isinstance(r, Record))
    return events


def scan(items: Callable[[], Iterator[Any]], rules: Any) -> tuple[int, int]:
    findings = 0

    def emit(finding: dict[str, Any]) -> None:
        nonlocal findings
        findings += 1

    scanner = Scanner(rules, emit)
    scanner.scan_blobs(items())
    stats = scanner.finish()
    return stats.events, findings


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure; the best is shown")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    ruleset = load_ruleset()
    rules = ruleset.selected()
    root = Path(tempfile.mkdtemp(prefix="bench-s3-"))
    try:
        corpus = build(root, Plan("generated", args.seed, args.events, risky=risky_templates(ruleset)))
        print(corpus.describe())
        with moto_server() as url:
            s3 = client(url)
            started = time.perf_counter()
            upload(s3, corpus)
            print(f"uploaded to moto in {time.perf_counter() - started:.1f}s ({os.cpu_count()} cores shared)")
            rows = []
            seconds, (files, size) = best(args.repeat, lambda: fetch_only(s3))
            rows.append(
                (
                    "list + download",
                    seconds,
                    corpus.events,
                    f"{files / seconds:,.0f} files/s, {size / seconds / 2**20:,.1f} MiB/s gzip",
                )
            )
            seconds, events = best(args.repeat, lambda: fetch_and_decode(s3))
            rows.append(("list + download + decode", seconds, events, ""))
            seconds, (events, findings) = best(
                args.repeat, lambda: scan(lambda: S3Reader(s3, BUCKET, "").blobs(), rules)
            )
            rows.append(
                (f"full scan from S3 ({len(rules)} rules)", seconds, events, f"{findings:,} findings")
            )
        seconds, (events, findings) = best(
            args.repeat, lambda: scan(lambda: open_source(str(corpus.root), SourceOptions()), rules)
        )
        rows.append(("full scan from local disk", seconds, events, f"{findings:,} findings"))
        print(f"\n{'what':<34} {'seconds':>8} {'events/s':>10}")
        for what, secs, events, note in rows:
            print(f"{what:<34} {secs:>8.2f} {events / secs:>10,.0f}  {note}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
