"""One bad record cannot blind a file: a document the parser refuses is cut into its records, the bad
one is skipped by its index and every other one still counts — in every layout of a document, cut
short or not, lean or full — and the scan goes on with exit 3."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.decoding import LeanPlan, decode_bytes
from engine.decoding.salvage import split
from tests.cli.conftest import findings, run
from tests.decoding.builders import dumps, events_of, sample_events, skips
from tests.decoding.test_decode_lean import assert_lean_matches, everything, nothing
from tests.helpers import ROOT_IDENTITY, event, write_rules

EVENTS = sample_events(7)
BAD = {
    "lone-surrogate": b'"userAgent": "\\ud800"',
    "invalid-escape": b'"userAgent": "a\\qb"',
    "deep-10000": b'"requestParameters": ' + b"[" * 10_000 + b"]" * 10_000,
}


def bad_record(kind: str) -> bytes:
    return b'{"eventName": "Bad", "eventTime": "2026-11-20T10:00:00Z", ' + BAD[kind] + b"}"


def _join(items: list[bytes], sep: bytes = b",") -> bytes:
    return b"[" + sep.join(items) + b"]"


def delivery(texts: list[bytes]) -> bytes:
    return b'{"Records": ' + _join(texts) + b"}"


def array(texts: list[bytes]) -> bytes:
    return _join(texts)


def pretty_delivery(texts: list[bytes]) -> bytes:
    return b'{\n  "Records": [\n    ' + b",\n    ".join(texts) + b'\n  ],\n  "x": 1\n}\n'


def pretty_array(texts: list[bytes]) -> bytes:
    return b"[\n" + b",\n".join(texts) + b"\n]\n"


LAYOUTS: list[Callable[[list[bytes]], bytes]] = [delivery, array, pretty_delivery, pretty_array]


def with_bad(kind: str, at: int = 2) -> list[bytes]:
    texts = [dumps(e) for e in EVENTS]
    texts.insert(at, bad_record(kind))
    return texts


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("layout", LAYOUTS, ids=[f.__name__ for f in LAYOUTS])
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_one_bad_record_costs_only_itself(
    layout: Callable[[list[bytes]], bytes], kind: str, compress: bool
) -> None:
    """All the other records, in order, with their own indexes; one skip naming record 2."""
    data = layout(with_bad(kind))
    items = list(decode_bytes(gzip.compress(data) if compress else data, "f.json"))
    assert events_of(items) == EVENTS
    [skip] = skips(items)
    assert skip.where == "f.json (record 2)" and skip.error
    indexes = [i.origin.index for i in items if not hasattr(i, "reason")]  # type: ignore[union-attr]
    assert indexes == [0, 1, 3, 4, 5, 6, 7]


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("layout", LAYOUTS, ids=[f.__name__ for f in LAYOUTS])
def test_lean_decoding_agrees_on_a_file_with_a_bad_record(
    layout: Callable[[list[bytes]], bytes], kind: str
) -> None:
    """Equivalence: whether a rule wants every record or none, the lean path gives the full
    decoder's items (msgspec refuses these documents too, and hands them to the full decoder)."""
    data = layout(with_bad(kind))
    full = list(decode_bytes(data, "f.json"))
    for wants in (everything, nothing):
        assert_lean_matches(full, list(decode_bytes(data, "f.json", lean=LeanPlan((), wants))), wants)


def _distinct(n: int) -> list[dict]:
    return [event(eventID=f"id-{i}", requestID=os.urandom(16).hex()) for i in range(n)]


@pytest.mark.parametrize("layout", LAYOUTS, ids=[f.__name__ for f in LAYOUTS])
@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9])
def test_a_truncated_gzip_keeps_every_record_complete_before_the_cut(
    layout: Callable[[list[bytes]], bytes], fraction: float
) -> None:
    """The records inflated before the cut count, the one the cut goes through is skipped by its
    index, and one more skip names the truncated gzip stream."""
    many = _distinct(300)
    data = gzip.compress(layout([dumps(e) for e in many]))
    cut = data[: int(len(data) * fraction)]
    items = list(decode_bytes(cut, "cut.json.gz"))
    found = events_of(items)
    assert 0 < len(found) < len(many) and found == many[: len(found)]
    *cut_record, gzip_skip = skips(items)
    assert gzip_skip.where == "cut.json.gz"
    assert gzip_skip.reason.startswith(f"gzip stream truncated after {len(cut):,} bytes")
    [cut_skip] = cut_record  # the record the cut goes through, or the document when it falls between two
    assert cut_skip.where in (f"cut.json.gz (record {len(found)})", "cut.json.gz")
    assert cut_skip.reason.startswith("truncated JSON")
    full, lean = items, list(decode_bytes(cut, "cut.json.gz", lean=LeanPlan((), nothing)))
    assert_lean_matches(full, lean, nothing)


def test_the_cutter_never_recurses_and_keeps_strings_whole() -> None:
    """Brackets, commas and quotes inside strings do not cut; a 100,000-deep record is one text."""
    tricky = b'{"eventName": "a,]}\\"[{", "k": "\\\\"}'
    deep = b"[" * 100_000 + b"]" * 100_000
    whole = split(b'{"Records": [' + tricky + b", " + deep + b"]}")
    assert whole is not None and whole.texts == [tricky, deep] and not whole.cut
    cut = split(b"[1, 2, [3, 4]")
    assert cut is not None and cut.texts == [b"1", b"2", b"[3, 4]"] and cut.cut
    assert split(b'{"eventName": "x"}') is None  # one event that does not parse: nothing to cut
    assert split(b"]]") is None


RULES = """
id: t-root
title: Root acts
description: Any call by root.
severity: critical
match: {userIdentity.type: Root}
condition: eventName != null
"""


def test_through_the_command_a_bad_record_costs_only_itself_and_exits_3(tmp_path: Path) -> None:
    """A gzip delivery with a lone-surrogate record among good files: every other record's finding
    comes out, the summary names the skipped record, and the exit code is 3 (a crash was 1)."""
    write_rules(tmp_path, "rules/t.yml", RULES)
    data = tmp_path / "data"
    data.mkdir()
    roots = [dumps(event(eventID=f"r{i}", userIdentity=ROOT_IDENTITY)) for i in range(4)]
    (data / "a.json").write_bytes(delivery(roots[:1]))
    texts = roots[1:]
    texts.insert(1, bad_record("lone-surrogate"))
    (data / "b.json.gz").write_bytes(gzip.compress(delivery(texts)))
    (data / "c.json").write_bytes(
        pretty_array([bad_record("deep-10000"), dumps(event(eventID="r9", userIdentity=ROOT_IDENTITY))])
    )
    result = run("scan", "--no-bundled", "--rules", str(tmp_path / "rules"), str(data))
    stderr = result.stderr.decode()
    assert result.returncode == 3, stderr
    assert sorted(f["event_id"] for f in findings(result)) == ["r0", "r1", "r2", "r3", "r9"]
    assert "b.json.gz (record 1)" in stderr and "c.json (record 0)" in stderr
    assert "Traceback" not in stderr and "RecursionError" not in stderr
    assert json.loads(json.dumps(findings(result)))  # every finding is valid JSON


@pytest.mark.parametrize(
    "tail", [b"", b'{"eventName": "Cut', b"{"], ids=["at-a-line-end", "mid-line", "one-brace"]
)
def test_a_gzip_cut_after_the_first_line_keeps_that_line(tail: bytes) -> None:
    """Found by the fuzz campaign: JSON lines whose gzip stream ends after the first line (and
    perhaps part of the second) lost the first line's record too."""
    first = dumps(EVENTS[0]) + b"\n"
    whole = gzip.compress(first + tail + b'"}\n' + dumps(EVENTS[1]) + b"\n")
    inflater = zlib.decompressobj(31)
    for size in range(len(whole)):  # the shortest cut that inflates the first line and the tail
        if inflater.copy().decompress(whole[:size]).startswith(first + tail):
            break
    items = list(decode_bytes(whole[:size], "cut.jsonl.gz"))
    assert events_of(items)[:1] == [EVENTS[0]]
    assert any(s.reason.startswith("gzip stream truncated") for s in skips(items))
