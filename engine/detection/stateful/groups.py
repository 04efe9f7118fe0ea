"""A bounded table of groups: insertion-ordered (so the oldest is at the front, where expiry and
eviction look), capped at `cap` entries. Past the cap the front entry is evicted through the
operator's callback, which reports what it can and counts the eviction — state never grows
without bound, and never shrinks silently."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupTable(Generic[T]):
    __slots__ = ("_items", "cap", "on_evict")

    def __init__(self, cap: int, on_evict: Callable[[str, T], None]) -> None:
        self._items: OrderedDict[str, T] = OrderedDict()
        self.cap = cap
        self.on_evict = on_evict

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def add(self, key: str, value: T) -> None:
        """Insert a new group at the back, evicting from the front first when the table is full."""
        items = self._items
        while len(items) >= self.cap:
            old_key, old = items.popitem(last=False)
            self.on_evict(old_key, old)
        items[key] = value

    def touch(self, key: str) -> None:
        """Move a group to the back: for tables ordered by last activity."""
        self._items.move_to_end(key)

    def pop(self, key: str) -> T | None:
        return self._items.pop(key, None)

    def front(self) -> tuple[str, T] | None:
        for key, value in self._items.items():
            return key, value
        return None

    def items(self) -> Iterator[tuple[str, T]]:
        return iter(list(self._items.items()))
