"""Cut findings into batches by count and by encoded size: one piece every sink shares."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


def chunk(
    items: Sequence[T], *, max_count: int, max_bytes: int, size: Callable[[T], int]
) -> Iterator[list[T]]:
    """Yield consecutive batches of at most `max_count` items and `max_bytes` bytes.

    An item larger than `max_bytes` on its own still gets a batch of one: whether it is too large
    for the destination is the sink's call (it rejects it with a reason), never a silent drop."""
    batch: list[T] = []
    total = 0
    for item in items:
        item_size = size(item)
        if batch and (len(batch) >= max_count or total + item_size > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += item_size
    if batch:
        yield batch


class Batcher(Generic[T]):
    """A buffer that says when it holds a full batch; items leave it only when `drop` is called,
    so a batch interrupted mid-send is still there to be spooled."""

    def __init__(self, max_count: int, max_bytes: int) -> None:
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.items: list[T] = []
        self.sizes: list[int] = []
        self.nbytes = 0

    def add(self, item: T, size: int) -> bool:
        """Buffer one item; True when the buffer has reached a batch's count or size."""
        self.items.append(item)
        self.sizes.append(size)
        self.nbytes += size
        return self.full()

    def full(self) -> bool:
        return len(self.items) >= self.max_count or self.nbytes >= self.max_bytes

    def peek(self) -> list[T]:
        """The next batch to send, without removing it."""
        count, total = 0, 0
        for size in self.sizes:
            if count and (count >= self.max_count or total + size > self.max_bytes):
                break
            count += 1
            total += size
        return self.items[:count]

    def drop(self, count: int) -> None:
        """Remove the first `count` items, once their outcome is settled."""
        self.nbytes -= sum(self.sizes[:count])
        del self.items[:count]
        del self.sizes[:count]

    def __len__(self) -> int:
        return len(self.items)
