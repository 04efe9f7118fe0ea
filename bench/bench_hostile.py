"""Hostile input, timed: how fast a hostile rule is refused, a huge list compiles, a refused document
is cut into its records, and what the duplicate check costs a record (issue 17's "< 1 s" targets;
tests pin the behaviour, this prints the figures).

Run:  .venv/bin/python bench/bench_hostile.py [--events 100000]"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from engine.decoding import LeanPlan, decode_bytes
from engine.decoding.context import DecodeContext
from engine.decoding.limits import DEFAULT_LIMITS
from engine.decoding.salvage import split
from engine.rules.expressions import ExpressionError, compile_search

HOSTILE = {
    "500 !": "!" * 500 + "a",
    "300 [": "[" * 300 + "a" + "]" * 300,
    "500 (": "(" * 500 + "a" + ")" * 500,
    "300 not_null(": "not_null(" * 300 + "a" + ")" * 300,
    "3,000 &&": "&&".join(["a"] * 3000),
    "3,000 |": "|".join(["a"] * 3000),
    "cidr_match, 1 argument": "cidr_match(sourceIPAddress)",
}


def best(run: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def refuse(expression: str) -> None:
    try:
        compile_search(expression, {})
    except ExpressionError:
        return
    raise SystemExit(f"not refused: {expression[:40]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    print("hostile conditions, refused by compile_search:")
    for name, expression in HOSTILE.items():
        print(f"  {name:<24} {best(lambda e=expression: refuse(e)) * 1000:8.2f} ms")
    values = tuple(f"value-{i}" for i in range(190_000))
    seconds = best(lambda: compile_search("contains($big, eventName)", {"big": values}))
    print(f"a list of 190,000 values, compiled:  {seconds * 1000:8.1f} ms")

    record = {
        "eventName": "GetObject",
        "eventTime": "2026-11-20T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
    }
    texts = [json.dumps({**record, "eventID": f"id-{i}"}).encode() for i in range(args.events)]
    bad = b'{"eventName": "Bad", "eventTime": "2026-11-20T10:00:00Z", "userAgent": "\\ud800"}'
    document = b'{"Records": [' + b",".join([*texts[:10], bad, *texts[10:]]) + b"]}"
    seconds = best(lambda: split(document))
    print(f"cutting a refused document of {args.events:,} records: {seconds:6.3f} s")
    seconds = best(lambda: sum(1 for _ in decode_bytes(document, "f.json")))
    print(f"decoding it (all but the bad record):  {seconds:6.3f} s")
    good = b'{"Records": [' + b",".join(texts) + b"]}"
    seconds = best(lambda: sum(1 for _ in decode_bytes(good, "f.json")))
    print(f"decoding the same without the bad one: {seconds:6.3f} s (full parse)")
    lean = LeanPlan((), lambda head: False)
    seconds = best(lambda: sum(1 for _ in decode_bytes(good, "f.json", lean=lean)))
    print(f"  lean, no record wanted:              {seconds:6.3f} s")
    ids = [f"id-{i}" for i in range(args.events)]

    def check() -> None:
        repeated = DecodeContext("f", DEFAULT_LIMITS).repeated
        for event_id in ids:
            repeated(event_id)

    print(f"duplicate check per record:            {best(check) / args.events * 1e9:6.0f} ns")


if __name__ == "__main__":
    main()
