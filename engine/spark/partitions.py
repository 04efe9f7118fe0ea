"""Group input files into partitions of roughly equal compressed size, so no task holds the job
up: the biggest files are placed first, each on the lightest partition so far (the classic
longest-processing-time rule, within 4/3 of the best split). Within a partition files keep the
listing order, so a task meets them as the local scan would."""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

from engine.spark.inputs import InputFile

# A default partition holds about this much compressed input: CloudTrail gzip expands 10 to 20 times, so
# a task scans a few GB of JSON — long enough to amortise its start, short enough to retry.
TARGET_BYTES = 64 * 1024 * 1024


def default_count(files: Sequence[InputFile], parallelism: int) -> int:
    """Two partitions per core (stragglers even out), more when the input is large."""
    if not files:
        return 1
    by_size = math.ceil(sum(f.size for f in files) / TARGET_BYTES)
    return max(1, min(len(files), max(2 * parallelism, by_size)))


def plan_partitions(files: Sequence[InputFile], count: int) -> list[list[InputFile]]:
    """`count` partitions (fewer when there are fewer files; never an empty one)."""
    if count < 1:
        raise ValueError("a job needs at least one partition")
    count = max(1, min(count, len(files)))
    order = {f.name: i for i, f in enumerate(files)}
    heap = [(0, i) for i in range(count)]  # (bytes so far, partition): ties go to the lower index
    bins: list[list[InputFile]] = [[] for _ in range(count)]
    for file in sorted(files, key=lambda f: (-f.size, order[f.name])):
        load, index = heapq.heappop(heap)
        bins[index].append(file)
        heapq.heappush(heap, (load + max(file.size, 1), index))
    return [sorted(b, key=lambda f: order[f.name]) for b in bins if b]
