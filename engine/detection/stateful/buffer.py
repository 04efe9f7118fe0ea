"""The reorder buffer: matching events wait here until the watermark passes them, then leave in
event-time order. This is what makes stateful findings independent of file order and chunking —
every operator sees one sorted sequence, whatever order the events arrived in within the lateness.

Order is (time, rank, event identity): `rank` lets a temporal_ordered correlation put events of
an earlier step first when CloudTrail gives two steps the same second, and the identity makes
ties deterministic. A record delivered twice (CloudTrail does, and a re-read file does) sorts
next to its twin and is passed over, so it is never counted twice."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator

from engine.detection.stateful.window import Hit


class ReorderBuffer:
    """`floor` is the time of the last hit released: an operator has moved past it, so a hit older
    than that can no longer be taken in order (the stage counts it as late)."""

    __slots__ = ("_heap", "_last", "_seq", "duplicates", "floor")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, int, Hit]] = []
        self._seq = 0  # the final tie-break: tuples never fall through to comparing Hits
        self._last: tuple[float, int, str] | None = None
        self.duplicates = 0
        self.floor = -math.inf

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, hit: Hit, rank: int) -> None:
        heapq.heappush(self._heap, (hit.time, rank, hit.key, self._seq, hit))
        self._seq += 1

    def release(self, before: float) -> Iterator[Hit]:
        """Hits older than `before`, oldest first, each event once."""
        heap = self._heap
        while heap and heap[0][0] < before:
            hit = self._pop()
            if hit is not None:
                yield hit

    def release_over(self, cap: int) -> Iterator[Hit]:
        """The oldest hits while more than `cap` wait: memory stays bounded when a flood of matches
        arrives within the lateness, at the price of taking the next ones in order only if newer."""
        while len(self._heap) > cap:
            hit = self._pop()
            if hit is not None:
                yield hit

    def _pop(self) -> Hit | None:
        time, rank, key, _, hit = heapq.heappop(self._heap)
        mark = (time, rank, key)
        if mark == self._last:
            self.duplicates += 1
            return None
        self._last = mark
        self.floor = time
        return hit

    def pending(self) -> list[tuple[Hit, int]]:
        """What is still waiting, with ranks (for the state file), in release order."""
        return [(entry[4], entry[1]) for entry in sorted(self._heap)]
