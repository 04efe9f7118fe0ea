"""Batches by count and by bytes, shared by every sink and the dispatcher's buffers."""

from __future__ import annotations

from engine.sinks.batching import Batcher, chunk


def test_chunk_cuts_by_count() -> None:
    assert list(chunk(list(range(7)), max_count=3, max_bytes=10**6, size=lambda _: 1)) == [
        [0, 1, 2],
        [3, 4, 5],
        [6],
    ]


def test_chunk_cuts_by_bytes_before_an_item_would_overflow() -> None:
    sizes = {"a": 40, "b": 40, "c": 30, "d": 10}
    assert list(chunk(list("abcd"), max_count=100, max_bytes=100, size=sizes.__getitem__)) == [
        ["a", "b"],
        ["c", "d"],
    ]


def test_an_item_larger_than_a_batch_gets_a_batch_of_its_own_not_dropped() -> None:
    sizes = {"small": 1, "huge": 500}
    assert list(chunk(["small", "huge", "small"], max_count=10, max_bytes=100, size=sizes.__getitem__)) == [
        ["small"],
        ["huge"],
        ["small"],
    ]


def test_batcher_says_when_full_and_keeps_items_until_dropped() -> None:
    batcher: Batcher[int] = Batcher(max_count=3, max_bytes=1000)
    assert not batcher.add(1, 10)
    assert not batcher.add(2, 10)
    assert batcher.add(3, 10)
    assert batcher.peek() == [1, 2, 3]
    assert len(batcher) == 3  # peeking does not remove: an interrupted send leaves them buffered
    batcher.drop(2)
    assert batcher.items == [3] and batcher.nbytes == 10


def test_batcher_is_full_by_bytes_and_peeks_a_batch_that_fits() -> None:
    batcher: Batcher[str] = Batcher(max_count=100, max_bytes=100)
    batcher.add("a", 60)
    assert batcher.add("b", 60)
    assert batcher.peek() == ["a"]
