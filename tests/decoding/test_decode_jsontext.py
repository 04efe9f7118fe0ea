"""The JSON layer: the nesting limit is exact on every path, errors carry their place, and a run of
documents is split without being mistaken for a fragment."""

from __future__ import annotations

import pytest

from engine.decoding.jsontext import JSONProblem, iter_documents, loads


def arrays(depth: int, padding: int = 0) -> bytes:
    """`depth` nested arrays; `padding` bytes of a string first, to push the text past the size at
    which the parser stops counting brackets and always wraps."""
    filler = b'"' + b"x" * padding + b'", ' if padding else b""
    return b"[" + filler + b"[" * (depth - 1) + b"]" * depth


@pytest.mark.parametrize("padding", [0, 100_000], ids=["small", "large"])
def test_the_depth_limit_is_exact(padding: int) -> None:
    """Depth 250 parses and 251 is refused, both for short texts and for large ones."""
    assert isinstance(loads(arrays(250, padding), 250), list)
    with pytest.raises(JSONProblem, match="nested deeper than 250 levels") as caught:
        loads(arrays(251, padding), 250)
    assert caught.value.too_deep


def test_the_depth_limit_applies_to_str_input() -> None:
    """JSON embedded in strings (CloudTrailEvent, log messages) is parsed under the same limit."""
    assert loads(arrays(40).decode(), 40) == loads(arrays(40), 40)
    with pytest.raises(JSONProblem, match="nested deeper than 40 levels"):
        loads(arrays(41).decode(), 40)


def test_a_large_wrapped_document_comes_back_unchanged() -> None:
    """Wrapping and unwrapping leaves the document exactly as a plain parse gives it."""
    text = b'{"Records": [' + b",".join([b'{"eventName": "X", "a": [1, {"b": null}]}'] * 5000) + b"]}"
    assert len(text) > 32 * 1024
    assert loads(text, 250) == {"Records": [{"eventName": "X", "a": [1, {"b": None}]}] * 5000}


def test_errors_carry_line_and_column() -> None:
    """A syntax error on line 3 is reported at line 3 with its column."""
    with pytest.raises(JSONProblem) as caught:
        loads(b'{\n  "a": 1,\n  "b": tru\n}', 250)
    assert (caught.value.line, caught.value.column) == (3, 8)
    assert caught.value.describe() == "invalid JSON: invalid literal, expected 'true' at line 3, column 8"
    assert caught.value.describe(single_line=True).endswith(" at column 8")


def test_truncation_is_named_as_such() -> None:
    """A text that ends inside a value says it is truncated, not merely invalid."""
    with pytest.raises(JSONProblem) as caught:
        loads(b'{"a": [1, 2', 250)
    assert caught.value.truncated
    assert caught.value.describe().startswith("truncated JSON: the text ends at line 1, column ")


def test_documents_back_to_back_are_split() -> None:
    """`{…}{…}`, `{…}\\n[…]` and `{…}  {…}` are runs of documents."""
    assert list(iter_documents(b'{"a":1}{"b":2}\n[3] {"c":{}}', 250)) == [{"a": 1}, {"b": 2}, [3], {"c": {}}]


def test_a_fragment_is_not_split_into_scalars() -> None:
    """`"key": "value", …` is a piece of an object, reported at its first stray character."""
    with pytest.raises(JSONProblem) as caught:
        list(iter_documents(b'"eventVersion": "1.05",\n"eventName": "X"', 250))
    assert caught.value.trailing
    assert caught.value.column == 15


def test_each_document_of_a_run_is_held_to_the_depth_limit() -> None:
    """A deep document after a good one is refused; the good one has already been yielded."""
    documents = iter_documents(b'{"a": 1}' + arrays(300), 250)
    assert next(documents) == {"a": 1}
    with pytest.raises(JSONProblem, match="nested deeper than 250 levels"):
        next(documents)


def test_a_run_ending_in_a_cut_document_reports_truncation() -> None:
    """The last document of a run cut short: the earlier ones stand, then a truncation."""
    documents = iter_documents(b'{"a": 1}{"b": [1, 2', 250)
    assert next(documents) == {"a": 1}
    with pytest.raises(JSONProblem) as caught:
        next(documents)
    assert caught.value.truncated


def test_runs_of_documents_read_numbers_and_constants_as_orjson_does() -> None:
    """The standard-library path refuses NaN and turns a 5,000-digit integer into a float instead of
    raising (or spending quadratic time on) an int conversion."""
    assert list(iter_documents(b'{}{"a": 12345678901234567890123, "b": -5}', 250))[1] == {
        "a": 1.2345678901234568e22,
        "b": -5,
    }
    assert list(iter_documents(b"{}{" + b'"a": ' + b"1" * 5000 + b"}", 250))[1]["a"] == float("inf")
    with pytest.raises(JSONProblem, match="NaN is not a JSON value"):
        list(iter_documents(b'{}{"a": NaN}', 250))


@pytest.mark.parametrize("where", ['{"a": "x\\ud800y"}', '{"\\udc00": 1}', '[["\\ud83d"]]'])
def test_runs_of_documents_refuse_a_lone_surrogate_as_orjson_does(where: str) -> None:
    """The standard library reads an escaped lone surrogate into a str no sink can write (the scan
    used to crash writing the finding); like orjson on one document, a run refuses that document."""
    with pytest.raises(JSONProblem, match="surrogate in string"):
        loads(where.encode(), 250)
    documents = iter_documents(b'{"a": 1}' + where.encode(), 250)
    assert next(documents) == {"a": 1}
    with pytest.raises(JSONProblem, match="lone surrogate in string"):
        next(documents)


def test_runs_of_documents_keep_surrogate_pairs_and_escaped_backslashes() -> None:
    """A pair is one character (an emoji), and `\\\\ud800` is a backslash and text: both are read."""
    first, second = iter_documents(b'{"a": "\\ud83d\\ude00"}{"b": "\\\\ud800"}', 250)
    assert first == {"a": "\U0001f600"} and second == {"b": "\\ud800"}
