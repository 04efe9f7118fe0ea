"""Damaged and hostile inputs: each gives a Skip with the right words, the records before the damage
still come out, and nothing hangs, crashes or lets a RecursionError escape."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from engine.decoding import DecodeLimits, decode_bytes
from tests.decoding.builders import decode, dumps, events_of, json_lines, records, sample_events, skips
from tests.helpers import event

EVENTS = sample_events(7)


def nested(depth: int) -> dict:
    """An event whose requestParameters nest `depth` levels below the event object (depth counted
    from the event, which is level 1)."""
    inner: dict = {"leaf": True}
    for _ in range(depth - 2):
        inner = {"n": inner}
    return event(requestParameters=inner)


def test_truncated_json_lines_keep_the_records_before_the_cut() -> None:
    """A JSON-lines file cut mid-line: every whole line is a record, the last line a truncation skip."""
    data = json_lines(EVENTS)
    cut = data[: len(data) - 40]
    items = decode(cut, "cut.jsonl")
    assert events_of(items) == EVENTS[:-1]
    [skip] = skips(items)
    assert skip.where == f"cut.jsonl (line {len(EVENTS)})"
    assert skip.reason.startswith("truncated JSON: the text ends at column")


def test_a_bad_line_in_the_middle_is_skipped_alone() -> None:
    """Line 3 is broken; lines 1, 2, 4… still count and the skip names line 3 and the column."""
    lines = json_lines(EVENTS).split(b"\n")
    lines[2] = b'{"eventName": "X", oops}'
    items = decode(b"\n".join(lines), "mid.jsonl")
    assert events_of(items) == EVENTS[:2] + EVENTS[3:]
    [skip] = skips(items)
    assert skip.where == "mid.jsonl (line 3)"
    assert skip.reason == "invalid JSON: unexpected character, expected a string key at column 20"


def test_truncated_s3_file_keeps_every_record_before_the_cut() -> None:
    """A pretty-printed document cut short: the records complete before the cut count, and the one
    cut in half is a skip naming its index and saying it is truncated."""
    data = json.dumps({"Records": EVENTS}, indent=2).encode()
    items = decode(data[: len(data) // 2], "half.json")
    found = events_of(items)
    assert 0 < len(found) < len(EVENTS) and found == EVENTS[: len(found)]
    [skip] = skips(items)
    assert skip.where == f"half.json (record {len(found)})"
    assert skip.reason.startswith("truncated JSON: the text ends at column ")


def test_truncated_gzip_keeps_the_lines_inflated_before_the_cut() -> None:
    """A JSON-lines gzip cut in half: the lines inflated so far count, then a skip with byte counts."""
    many = [event(eventID=f"id-{i}", requestID=os.urandom(16).hex()) for i in range(400)]
    data = gzip.compress(json_lines(many))
    items = decode(data[: len(data) // 2], "cut.jsonl.gz")
    found = events_of(items)
    assert 0 < len(found) < len(many)
    assert found == many[: len(found)]
    [skip] = skips(items)
    assert skip.where == "cut.jsonl.gz"
    assert skip.reason.startswith(f"gzip stream truncated after {len(data) // 2:,} bytes (")
    assert f"(after line {len(found):,})" in skip.reason or f"(after line {len(found) + 1:,})" in skip.reason


def test_truncated_gzip_of_an_s3_file_keeps_the_records_inflated_before_the_cut() -> None:
    """An S3 delivery file cut in transfer (the gzip trailer lost): every record inflated before
    the cut counts, and one skip names the file and the truncation."""
    data = gzip.compress(dumps({"Records": EVENTS}))
    items = decode(data[:-9], "AWSLogs/x.json.gz")
    assert events_of(items) == EVENTS
    [skip] = skips(items)
    assert skip.where == "AWSLogs/x.json.gz" and "gzip stream truncated" in skip.reason


def test_csv_is_named_as_csv() -> None:
    """A CSV export handed in by mistake is one skip that quotes its start and calls it CSV."""
    data = b"eventTime,eventName,sourceIPAddress\n2026-11-20T10:00:00Z,CreateCluster,198.51.100.7\n"
    [skip] = decode(data, "export.csv")
    assert skip.reason == "not JSON: it starts with 'eventTime,eventName,sourceIPAddress' (it looks like CSV)"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (os.urandom(4096).replace(b"\x1f\x8b", b"ab"), "binary data"),
        (b"PK\x03\x04" + os.urandom(200), "a zip archive"),
        (b"\x00" * 100, "binary data"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(100), "a PNG image"),
        # binary data holds newlines: a first "line" that reads as text, a number or an opening bracket
        (b"O$\n" + bytes(range(256)) * 4, "binary data"),
        (b"1\n" + bytes(range(256)) * 4, "binary data"),
        (b"[\n" + bytes(range(256)) * 4, "binary data"),
    ],
    ids=["random", "zip", "zeros", "png", "short-text-line", "number-line", "bracket-line"],
)
def test_binary_garbage_is_one_skip_naming_what_it_is(data: bytes, words: str) -> None:
    """Binary input never reaches the JSON parser's error text: the skip says what it looks like."""
    [skip] = decode(data, "blob.bin")
    assert skip.error
    assert skip.reason.startswith("not JSON: ")
    assert words in skip.reason


def test_an_event_nested_200_levels_deep_decodes() -> None:
    """200 levels is deep but legitimate: the record comes out whole, in every layout."""
    deep = nested(200)
    other = {**deep, "eventID": "another"}
    for data in (dumps(deep), dumps({"Records": [deep]}), json_lines([deep, other])):
        items = decode(data)
        assert skips(items) == []
        assert all(e in (deep, other) for e in events_of(items))


@pytest.mark.parametrize("depth", [260, 600, 1100, 100_000])
def test_nesting_beyond_the_limit_is_a_clear_skip(depth: int) -> None:
    """Past 250 levels (orjson cannot write an event that deep into a finding) the input is refused
    with a skip that says so; a 100,000-level bomb is refused just as fast, with no RecursionError."""
    data = b'{"eventName": "X", "a": ' + b"[" * depth + b"]" * depth + b"}"
    [skip] = decode(data, "deep.json")
    assert skip.where == "deep.json"
    assert skip.reason.startswith("nested deeper than 250 levels at column ")


def test_a_deep_line_among_good_lines_is_skipped_alone() -> None:
    """In JSON lines only the deep line is refused."""
    deep = b'{"eventName": "X", "a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    data = json_lines(EVENTS[:2]) + deep + b"\n" + json_lines(EVENTS[2:])
    items = decode(data, "mixed.jsonl")
    assert events_of(items) == EVENTS
    [skip] = skips(items)
    assert skip.where == "mixed.jsonl (line 3)"
    assert "nested deeper than 250 levels" in skip.reason


def test_a_deep_cloudtrail_event_string_is_refused_by_record() -> None:
    """Depth applies to JSON embedded in strings too (LookupEvents `CloudTrailEvent`)."""
    deep_text = '{"eventName": "X", "a": ' + "[" * 300 + "]" * 300 + "}"
    page = {"Events": [{"CloudTrailEvent": json.dumps(EVENTS[0])}, {"CloudTrailEvent": deep_text}]}
    items = decode(dumps(page), "page.json")
    assert events_of(items) == EVENTS[:1]
    [skip] = skips(items)
    assert skip.where == "page.json (record 1)"
    assert skip.reason.startswith("CloudTrailEvent: nested deeper than 250 levels")


def test_a_50_mb_single_line_file_decodes() -> None:
    """One 50 MB line (an S3 delivery file of a busy account) is read whole and every record counts."""
    filler = "x" * 2000
    many = [event(eventID=f"id-{i}", requestParameters={"blob": filler}) for i in range(25_000)]
    data = dumps({"Records": many})
    assert len(data) > 50_000_000
    items = decode(data, "big.json")
    assert skips(items) == []
    assert len(items) == 25_000
    assert items[-1].origin.index == 24_999  # type: ignore[union-attr]


def test_a_line_over_the_size_limit_is_skipped_and_the_next_lines_still_count() -> None:
    """A line longer than max_document_bytes is reported (not held in memory), the stream goes on."""
    limits = DecodeLimits(max_document_bytes=64 * 1024)
    long_line = b'{"eventName": "X", "pad": "' + b"y" * 200_000 + b'"}\n'
    data = json_lines(EVENTS[:1]) + long_line + json_lines(EVENTS[1:])
    items = list(decode_bytes(data, "long.jsonl", limits))
    assert events_of(items) == EVENTS
    [skip] = skips(items)
    assert skip.where == "long.jsonl (line 2)"
    assert skip.reason == "line longer than 65,536 bytes; not read"


def test_a_gzip_bomb_is_refused_without_inflating_it_all() -> None:
    """Zeros that inflate far past the document limit: refused by size, after reading only the limit."""
    limits = DecodeLimits(max_document_bytes=1024 * 1024)
    bomb = gzip.compress(b"[" + b" " * 50_000_000 + b"]")
    assert len(bomb) < 100_000
    items = list(decode_bytes(bomb, "bomb.json.gz", limits))
    [skip] = skips(items)
    assert skip.where == "bomb.json.gz"
    assert "larger than 1,048,576 bytes" in skip.reason


def test_a_huge_array_of_non_events_reports_a_bounded_number_of_skips() -> None:
    """A million numbers: the first 100 problems are listed, the rest counted in one closing skip."""
    data = b"[" + b",".join([b"0"] * 1_000_000) + b"]"
    items = decode(data, "numbers.json")
    assert records(items) == []
    assert len(items) == 101
    assert items[0].where == "numbers.json (record 0)"  # type: ignore[union-attr]
    assert items[-1].reason.startswith("999,900 more lines or records could not be read")  # type: ignore[union-attr]


def test_json_that_is_not_cloudtrail_says_what_it_lacks() -> None:
    """An object without any CloudTrail container or event key is named, with a few of its keys."""
    [skip] = decode(dumps({"AdvancedEventSelectors": [], "TrailARN": "arn"}), "selectors.json")
    assert skip.reason == (
        "not CloudTrail: a JSON object without Records, Events, detail or eventName "
        "(keys: AdvancedEventSelectors, TrailARN)"
    )


def test_records_that_are_not_events_are_skipped_with_their_index() -> None:
    """Inside Records, a non-object and an object without eventName/eventType are skipped alone."""
    items = decode(dumps({"Records": [EVENTS[0], 42, {"foo": 1}, EVENTS[1]]}), "mixed.json")
    assert events_of(items) == EVENTS[:2]
    assert [(s.where, s.reason) for s in skips(items)] == [
        ("mixed.json (record 1)", "a JSON number, not a CloudTrail record"),
        ("mixed.json (record 2)", "a JSON object without eventName or eventType (keys: foo)"),
    ]
    assert [r.origin.index for r in records(items)] == [0, 3]


def test_an_empty_file_is_a_deliberate_skip() -> None:
    """Empty and whitespace-only inputs are passed over, not errors (CloudTrail never writes them, but
    a failed download leaves them)."""
    for data in (b"", b"\n\n  \n"):
        [skip] = decode(data, "empty.json")
        assert (skip.reason, skip.error) == ("empty file", False)


def test_invalid_utf8_is_named_with_the_byte_and_place() -> None:
    """Latin-1 text in a JSON line: the skip gives the offending byte and where it is."""
    data = json_lines(EVENTS[:1]) + b'{"eventName": "caf\xe9"}\n' + json_lines(EVENTS[1:])
    items = decode(data, "latin1.jsonl")
    assert events_of(items) == EVENTS
    [skip] = skips(items)
    assert skip.where == "latin1.jsonl (line 2)"
    assert skip.reason == "invalid JSON: not UTF-8 text (byte 0xe9) at column 19"


def test_json_lines_after_a_bare_number_are_all_read() -> None:
    """The lines read ahead to sniff for binary data (the first line parsed as a number) are read
    again as JSON lines when the input is text after all."""
    lines = [json.dumps(event(eventID=f"e{i}")).encode() for i in range(10)]
    items = decode(b"5\n" + b"\n".join(lines) + b"\n", "x.jsonl")
    assert [r.event["eventID"] for r in records(items)] == [f"e{i}" for i in range(10)]
    assert [s.reason for s in skips(items)] == ["not CloudTrail: a JSON number, not an object or an array"]


def test_a_lone_surrogate_in_documents_written_back_to_back_is_a_skip_not_a_crash() -> None:
    """Firehose-style `{…}{…}` files are read by the standard library, which accepts an escaped
    lone surrogate that no finding could be written with: that document is skipped with a reason,
    the one before it still counts, and the skip names the record."""
    bad = json.dumps({"Records": [event(eventID="bad", userAgent="x\ud800y")]})
    data = (json.dumps({"Records": [event(eventID="good")]}) + bad).encode()
    items = decode(data, "run.json")
    assert [e["eventID"] for e in events_of(items)] == ["good"]
    [skip] = skips(items)
    assert skip.where == "run.json (record 1)" and "surrogate" in skip.reason
