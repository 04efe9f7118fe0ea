"""Fuzzing the decoders: whatever the bytes — every shape, damaged gzip, bad escapes, huge numbers,
deep nesting, invalid UTF-8 — decoding never raises, one bad record never costs another, a cut-off
file keeps every record complete before the cut, and the lean path gives the full one's items."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.decoding import LeanPlan, Record, Skip, decode_bytes
from engine.decoding.context import DUPLICATE
from engine.decoding.lean import BASE_PATHS
from tests.fuzz.campaign import campaign, count
from tests.helpers import event

Items = list[Record | Skip]

# --- inputs ------------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def good_events(n: int) -> list[dict[str, Any]]:
    names = ["CreateCluster", "DeleteRole", "ConsoleLogin", "GetObject", "AssumeRole"]
    return [
        event(eventID=f"fuzz-{i:04d}", eventName=names[i % len(names)], requestID=f"req-{i}")
        for i in range(n)
    ]


def _text(value: Any) -> bytes:
    return json.dumps(value).encode()


HEAD = b'{"eventName": "Bad", "eventTime": "2026-11-20T10:00:00Z", "eventID": "bad", '

# One record that cannot be read, in the ways the issue lists; each costs only itself.
bad_records = st.one_of(
    st.builds(
        lambda s: HEAD + b'"userAgent": "a\\u' + s.encode() + b'b"}',
        st.sampled_from(["d800", "dfff", "dbff"]),
    ),
    st.builds(lambda c: HEAD + b'"userAgent": "a\\' + c.encode() + b'b"}', st.sampled_from(list("qxz0'a "))),
    st.builds(lambda d: HEAD + b'"x": ' + b"[" * d + b"]" * d + b"}", st.integers(251, 20_000)),
    st.builds(lambda d: HEAD + b'"x": ' + b'{"a":' * d + b"1" + b"}" * d + b"}", st.integers(251, 5_000)),
    st.builds(
        lambda b: HEAD + b'"userAgent": "a' + b + b'b"}',
        st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"]),
    ),
    st.builds(lambda e: HEAD + b'"n": 1e' + str(e).encode() + b"}", st.integers(309, 100_000)),
    st.just(HEAD + b'"n": -}'),
    st.just(HEAD + b'"a": tru}'),
)


def delivery(texts: list[bytes]) -> bytes:
    return b'{"Records": [' + b",".join(texts) + b"]}"


def array(texts: list[bytes]) -> bytes:
    return b"[" + b",".join(texts) + b"]"


def pretty_delivery(texts: list[bytes]) -> bytes:
    return b'{\n  "Records": [\n    ' + b",\n    ".join(texts) + b"\n  ]\n}\n"


def pretty_array(texts: list[bytes]) -> bytes:
    return b"[\n  " + b",\n  ".join(texts) + b"\n]\n"


def json_lines(texts: list[bytes]) -> bytes:
    return b"".join(t + b"\n" for t in texts)


LAYOUTS: list[Callable[[list[bytes]], bytes]] = [delivery, array, pretty_delivery, pretty_array, json_lines]
layouts = st.sampled_from(LAYOUTS)


def gzip_members(data: bytes, parts: int) -> bytes:
    """`data` as `parts` concatenated gzip members (Firehose, `cat a.gz b.gz`)."""
    size = max(1, len(data) // parts)
    return b"".join(gzip.compress(data[i : i + size]) for i in range(0, len(data), size))


def project(full: dict[str, Any]) -> dict[str, Any]:
    """What a lean head of `full` holds: the plan's fields present in it, nested as in it."""
    head: dict[str, Any] = {}
    for path in BASE_PATHS:
        source, target = full, head
        for depth, key in enumerate(path):
            if not isinstance(source, dict) or key not in source:
                break
            if depth == len(path) - 1:
                target[key] = source[key]
            elif source[key] is None:
                target[key] = None
                break
            else:
                source = source[key]
                target = target.setdefault(key, {})
    return head


def records_of(items: Items) -> list[dict[str, Any]]:
    return [item.event for item in items if isinstance(item, Record)]


def decode_all(data: bytes, name: str = "fuzz.json", lean: LeanPlan | None = None) -> Items:
    items = list(decode_bytes(data, name, lean=lean))
    assert all(isinstance(item, Record | Skip) for item in items)
    return items


# --- properties --------------------------------------------------------------------------------


@campaign(1.0)
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    count("decoding: arbitrary bytes")
    decode_all(data)
    decode_all(gzip.compress(data))


@campaign(1.0)
@given(value=json_values, layout=layouts)
def test_any_json_in_any_layout_never_raises(value: Any, layout: Callable[[list[bytes]], bytes]) -> None:
    """Wrong types anywhere: a Records that is a number, an event whose eventName is a list…"""
    count("decoding: JSON values in every layout")
    decode_all(layout([_text(value), _text({"eventName": value, "eventTime": value, "Records": value})]))
    decode_all(_text({"Records": value}))
    decode_all(_text({"Events": value, "detail": value, "awslogs": {"data": value}}))


@campaign(1.0)
@given(
    n=st.integers(1, 12),
    at=st.integers(0, 12),
    bad=bad_records,
    layout=layouts,
    compress=st.sampled_from(["plain", "gzip", "members"]),
)
def test_one_bad_record_costs_only_itself(
    n: int, at: int, bad: bytes, layout: Callable[[list[bytes]], bytes], compress: str
) -> None:
    """Every good record comes out, in order, whatever layout holds the bad one and wherever."""
    count("decoding: files with one bad record")
    good = good_events(n)
    texts = [_text(e) for e in good]
    texts.insert(min(at, n), bad)
    data = layout(texts)
    if compress == "gzip":
        data = gzip.compress(data)
    elif compress == "members":
        data = gzip_members(data, 3)
    items = decode_all(data)
    found = records_of(items)
    lost = [e["eventID"] for e in good if e not in found]
    count("decoding: records lost beyond the bad one", len(lost))
    assert found == good, f"lost {lost}"
    assert sum(1 for i in items if isinstance(i, Skip) and i.error) >= 1
    count("decoding: records read around a bad one", len(found))


@campaign(1.0)
@given(n=st.integers(2, 40), fraction=st.floats(0.05, 0.999), layout=layouts)
def test_a_truncated_gzip_keeps_every_record_before_the_cut(
    n: int, fraction: float, layout: Callable[[list[bytes]], bytes]
) -> None:
    count("decoding: truncated gzip files")
    good = good_events(n)
    data = gzip.compress(layout([_text(e) for e in good]), compresslevel=1)
    cut = data[: max(1, int(len(data) * fraction))]
    items = decode_all(cut)
    found = records_of(items)
    assert found == good[: len(found)]
    # every record whose text inflated completely before the cut is read
    inflater = zlib.decompressobj(31)
    inflated = inflater.decompress(cut)
    complete = sum(1 for e in good if _text(e) in inflated and _ends_before(inflated, _text(e)))
    count("decoding: records lost before a cut", max(0, complete - len(found)))
    assert len(found) >= complete - 1  # the one the cut goes through may be complete but for its comma
    assert any(isinstance(i, Skip) and i.error for i in items)


def _ends_before(inflated: bytes, text: bytes) -> bool:
    end = inflated.find(text) + len(text)
    return end < len(inflated)


@campaign(1.0)
@given(
    n=st.integers(1, 10),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
    layout=layouts,
    compress=st.booleans(),
)
def test_byte_damage_never_raises_and_keeps_order(
    n: int, flips: list[tuple[int, int]], layout: Callable[[list[bytes]], bytes], compress: bool
) -> None:
    """Random bytes overwritten in a file (or in its gzip stream): never an exception, and what
    comes out is the original records, in their order, each whole (or a damaged one skipped)."""
    count("decoding: byte-damaged files")
    good = good_events(n)
    data = bytearray(layout([_text(e) for e in good]))
    if compress:
        data = bytearray(gzip.compress(bytes(data)))
    for position, value in flips:
        data[position % len(data)] = value
    items = decode_all(bytes(data))
    ids = [e.get("eventID") for e in records_of(items) if e in good]
    assert ids == sorted(ids)


@campaign(0.5)
@given(
    n=st.integers(1, 10),
    at=st.integers(0, 10),
    bad=bad_records,
    layout=st.sampled_from([delivery, pretty_delivery, array]),
    wants=st.sampled_from(["everything", "nothing", "some"]),
    twice=st.booleans(),
)
def test_lean_decoding_gives_the_full_decoders_items(
    n: int, at: int, bad: bytes, layout: Callable[[list[bytes]], bytes], wants: str, twice: bool
) -> None:
    """Equivalence of the two decoders on damaged files and duplicated records; the one documented
    difference is allowed: a record the full parser refuses (too deep, not UTF-8) for a field no rule
    reads, and that no rule wants, is counted by the lean path on its plan fields."""
    count("decoding: lean against full")
    good = good_events(n)
    texts = [_text(e) for e in good]
    texts.insert(min(at, n), bad)
    if twice:
        texts += texts[:2]
    data = layout(texts)
    choose = {
        "everything": lambda h: True,
        "nothing": lambda h: False,
        "some": lambda h: h.get("eventName") == "DeleteRole",
    }[wants]
    full = decode_all(data)
    lean = decode_all(data, lean=LeanPlan((), choose))
    assert len(full) == len(lean)
    for whole, light in zip(full, lean, strict=True):
        if isinstance(whole, Skip) and whole != light and _only_in_an_unread_field(whole):
            # the documented difference, and its echo: the same record again is then a duplicate
            if isinstance(light, Record):
                assert light.partial and not choose(light.event)
            else:
                assert light.reason == DUPLICATE and light.where == whole.where
            continue
        assert type(whole) is type(light)
        if isinstance(whole, Skip):
            assert whole == light
            continue
        assert isinstance(light, Record) and light.origin == whole.origin
        if light.event != whole.event:
            assert light.partial and light.event == project(whole.event)


def _only_in_an_unread_field(skip: Skip) -> bool:
    """A defect the lean path never sees when it lies in a field no rule reads."""
    reason = skip.reason
    return any(words in reason for words in ("nested deeper", "not UTF-8", "number is infinity"))


@campaign(0.5)
@given(depth=st.integers(1, 100_000), opener=st.sampled_from([b"[", b'{"a":']), layout=layouts)
def test_deep_nesting_never_reaches_a_recursion_error(
    depth: int, opener: bytes, layout: Callable[[list[bytes]], bytes]
) -> None:
    count("decoding: deeply nested documents")
    closer = b"]" if opener == b"[" else b"}"
    deep = opener * depth + b"1" + closer * depth
    decode_all(layout([deep, _text(good_events(1)[0])]))
    decode_all(deep)
