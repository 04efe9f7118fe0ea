"""Garbage-collector settings for reading one input.

Decoding a CloudTrail file makes tens of thousands of dicts and lists that live until the file is
done and are then freed by reference counting: they never form cycles. With CPython's defaults (a
young collection every 700 new containers, a full one whenever the survivors grow by a quarter) the
collector walks those objects, and every long-lived object of the process — modules, compiled
rules, the stateful windows — again and again: about 30 % of a scan's time on the benchmark corpus
(bench/bench.py; README, "Performance").

So, while one input is read: what already exists is frozen (left out of every collection), and the
young generation holds more before it is collected, so a file's objects are mostly freed by
reference counting before the collector looks at them. Cycles are still collected, only less often;
the settings are put back afterwards, and nothing is changed when the collector is switched off."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000  # measured against 700 (the default), 10,000, 100,000 and 200,000


@contextmanager
def scan_collector(young: int = YOUNG_THRESHOLD) -> Iterator[None]:
    if not gc.isenabled():
        yield
        return
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(young, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
