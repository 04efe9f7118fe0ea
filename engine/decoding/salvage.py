"""The records of a document that cannot be parsed whole, found without parsing it.

One bad record — an escaped lone surrogate, an invalid escape, nesting past the depth limit — makes
the parser refuse the whole `{"Records": [...]}` file, JSON array or pretty-printed document it is
in, and a truncated file ends before its closing brackets. Anyone who can write into a logged field
could then hide the rest of a delivery. So when a document is refused, its text is cut into the
texts of its records, each parsed on its own: the bad one is skipped by its index, the others
count, and a cut-off file keeps every record that is complete before the cut.

The cutting reads only the text's structure — strings (skipped whole, escapes and all), brackets,
commas and colons — with one regular expression and a depth counter: no recursion, no nesting limit,
linear in the text. It runs only on a document the parser already refused."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A string (its end, or the end of a cut-off text), or one structural character. Possessive
# quantifiers: a string that never closes is matched once to the end of the text, not retried.
_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\Z)|[\[\]{},:]', re.DOTALL)
_LISTS = (b'"Records"', b'"Events"')  # the keys whose array holds the records of an envelope
_QUOTE, _COLON, _COMMA = ord('"'), ord(":"), ord(",")
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")


@dataclass(frozen=True, slots=True)
class Pieces:
    """The texts of the records of a document, and whether the document ends before it closes."""

    texts: list[bytes]
    cut: bool


def split(data: bytes) -> Pieces | None:
    """The texts of the records of `data`, in order: the items of a top-level array or of the
    `Records` / `Events` array of a top-level object; a top-level object without one (documents
    written back to back) is one text. The last text is cut short when `data` is.

    None when there is nothing to gain over one skip for the whole text: no list of records in it
    and no more than one document."""
    pieces: list[bytes] = []
    lists = 0  # record lists found
    documents = 0
    depth = 0
    container = 0  # the depth of the list being cut, 0 outside one
    start = 0  # where the current record's text starts
    document_start = 0
    document_has_list = False
    key_is_list = False  # the last string at depth 1 of an object was "Records" or "Events"
    expect_list = False  # ... and a colon followed it
    top = 0
    for match in _TOKEN.finditer(data):
        at = match.start()
        char = data[at]
        if char == _QUOTE:
            key_is_list = depth == 1 and top == ord("{") and match.group() in _LISTS
            expect_list = False
            continue
        if char == _COLON:
            expect_list = key_is_list
            key_is_list = False
            continue
        key_is_list = False
        if char in _OPEN:
            depth += 1
            if depth == 1:
                top, document_start, document_has_list = char, at, False
                documents += 1
                if char == ord("["):
                    container, start = 1, match.end()
            elif expect_list and depth == 2 and char == ord("[") and not document_has_list:
                container, start, document_has_list = 2, match.end(), True
            expect_list = False
            continue
        expect_list = False
        if char == _COMMA:
            if depth == container:
                _add(pieces, data[start:at])
                start = match.end()
            continue
        # a closing bracket
        if depth == container:
            _add(pieces, data[start:at])
            container = 0
            lists += 1
        depth -= 1
        if depth < 0:
            return None  # more closed than opened: not a document we can cut
        if depth == 0 and top == ord("{") and not document_has_list:
            pieces.append(data[document_start : match.end()])
    if container:
        _add(pieces, data[start:])  # cut off inside the list: the last record is incomplete
        lists += 1
    elif depth > 0 and top == ord("{") and not document_has_list:
        pieces.append(data[document_start:])
    if lists == 0 and documents <= 1:
        return None
    return Pieces(pieces, depth > 0)


def _add(pieces: list[bytes], text: bytes) -> None:
    text = text.strip()
    if text:
        pieces.append(text)
