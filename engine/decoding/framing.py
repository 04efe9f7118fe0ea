"""How the documents of one input are laid out: one JSON document (read whole), or JSON lines
(read line by line, in constant memory), told apart by the first lines.

- The first line parses and nothing follows: one document — an S3 delivery file is one line.
- The first line parses and more lines follow: JSON lines; each line is a document of any shape
  (an event, an EventBridge event, a LookupEvents page…), and a bad line is skipped on its own.
- The first line is incomplete (`{`, `{"Records": [`): a pretty-printed document, read whole.
- The first line is broken mid-way: JSON lines with a damaged first line if the second line is a
  JSON object; otherwise the input is not JSON, and one skip says what it looks like.

A line may hold several documents back to back (Firehose without a delimiter)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Any

from engine.decoding import salvage
from engine.decoding.context import DecodeContext, Items
from engine.decoding.dispatch import expand, expand_items
from engine.decoding.jsontext import TRUNCATED, JSONProblem, iter_documents, loads
from engine.decoding.reader import ChunkReader
from engine.decoding.sniffing import describe_binary, text_hint
from engine.errors import DecodeError
from engine.types import Origin, Record

_BOM = b"\xef\xbb\xbf"
Line = tuple[int, bytes | None]  # (1-based number, content) — None: longer than the limit


def decode_stream(stream: ChunkReader, ctx: DecodeContext) -> Items:
    """The records and skips of one (already inflated) input stream. When the stream itself is
    damaged (a truncated gzip), what came before the damage is read — every complete record of a
    document cut short too — and one skip says what happened."""
    yield from _decode_stream(stream, ctx)
    if stream.failure is not None:
        yield ctx.whole(stream.failure.message)


def _decode_stream(stream: ChunkReader, ctx: DecodeContext) -> Items:
    lines = _content_lines(stream, ctx.limits.max_document_bytes)
    first = next(lines, None)
    if first is None:
        if stream.failure is None:  # else nothing came before the damage, which decode_stream reports
            yield ctx.whole("empty file", error=False)
        return
    number, line = first
    if line is None:
        # no line break within the limit: one huge document (or a bomb) — refuse it before inflating more
        limit = ctx.limits.max_document_bytes
        yield ctx.whole(f"the first line or document is larger than {limit:,} bytes, the most read at once")
        return
    if line.startswith(_BOM):
        line = line[len(_BOM) :]
    lean = ctx.lean
    raws = None if lean is None else lean.delivery(line)
    if lean is not None and raws is not None:
        after = next(lines, None)
        yield from lean.records(raws, ctx, None if after is None else number)
        if after is not None:
            yield from _lines_mode(after, lines, ctx)
        return
    documents, problem = _parse_documents(line, ctx)
    if not documents and problem is not None:
        yield from _after_bad_first_line(stream, number, line, problem, lines, ctx)
        return
    after = next(lines, None)
    if after is not None and not any(isinstance(doc, dict | list) for doc in documents):
        # a bare number or string on the first line of binary data parses; what follows says what it is
        peeked = _peek(after, lines)
        binary = describe_binary(_head(line, peeked))
        if binary is not None:
            yield ctx.whole(f"not JSON: {binary}")
            return
        lines = chain(peeked[1:], lines)  # JSON lines after all: every line read ahead is still read
    at = None if after is None else number  # one document: no line to cite
    yield from _documents(line, documents, problem, ctx, at)
    if after is not None:
        yield from _lines_mode(after, lines, ctx)


def _after_bad_first_line(
    stream: ChunkReader,
    number: int,
    line: bytes,
    problem: JSONProblem,
    lines: Iterator[Line],
    ctx: DecodeContext,
) -> Items:
    if problem.truncated:
        limit = ctx.limits.max_document_bytes
        data = stream.read_rest(limit, what=f"the JSON document of {ctx.source}", prefix=line)
        lean = ctx.lean
        raws = None if lean is None else lean.delivery(data)
        if lean is not None and raws is not None:  # a pretty-printed delivery file
            yield from lean.records(raws, ctx, None)
            return
        documents, problem_of_whole = _parse_documents(data, ctx)
        binary = None if documents else describe_binary(data[:1024])
        if binary is not None:  # binary data that happens to open with `[` or `{` and a newline
            yield ctx.whole(f"not JSON: {binary}")
            return
        yield from _documents(data, documents, problem_of_whole, ctx, None)
        return
    second = next(lines, None)
    if second is not None and _is_object_line(second[1], ctx):
        yield from _bad_line(number, line, problem, ctx)
        yield from _lines_mode(second, lines, ctx)
        return
    binary = describe_binary(_head(line, [] if second is None else _peek(second, lines)))
    pieces = salvage.split(line) if binary is None and second is None else None
    if binary is not None:
        yield ctx.whole(f"not JSON: {binary}")
    elif pieces is not None:
        yield from _pieces(pieces, ctx, None)
    elif problem.column == 1:
        yield ctx.whole(f"not JSON: it starts with {_snippet(line)}{text_hint(line)}")
    else:
        yield ctx.whole(problem.describe(single_line=second is None) + text_hint(line))


def _peek(first: Line, lines: Iterator[Line], most: int = 1024) -> list[Line]:
    """`first` and the lines after it up to `most` bytes, taken from `lines`: binary data holds
    newlines, so a first line alone can be a few bytes that look like text."""
    peeked = [first]
    size = len(first[1] or b"")
    while size < most and (following := next(lines, None)) is not None:
        peeked.append(following)
        size += len(following[1] or b"")
    return peeked


def _head(line: bytes, peeked: list[Line], most: int = 1024) -> bytes:
    """The first `most` bytes of a stream, for sniffing what it is."""
    return b"".join([line, *(content for _, content in peeked if content is not None)])[:most]


def _snippet(line: bytes, most: int = 40) -> str:
    text = line[: most * 4].decode("utf-8", "replace").strip()
    return repr(text[:most] + "…" if len(text) > most else text)


def _lines_mode(current: Line, lines: Iterator[Line], ctx: DecodeContext) -> Items:
    """JSON lines from `current` on. Records before a damaged line or a cut-off stream still count."""
    number = current[0]
    try:
        yield from _line(current, ctx)
        for number, line in lines:
            yield from _line((number, line), ctx)
    except DecodeError as exc:
        yield ctx.whole(f"{exc.message} (after line {number:,})")


def _line(current: Line, ctx: DecodeContext) -> Items:
    number, line = current
    if line is None:
        yield from ctx.part(f"line longer than {ctx.limits.max_document_bytes:,} bytes; not read", number)
        return
    try:
        doc = loads(line, ctx.limits.max_depth)
    except JSONProblem as problem:
        if not problem.trailing:
            yield from _bad_line(number, line, problem, ctx)
            return
        documents, late = _parse_documents(line, ctx)  # several documents on one line
        yield from _documents(line, documents, late, ctx, number)
        return
    if type(doc) is dict and ("eventName" in doc or "eventType" in doc) and "eventTime" in doc:
        if ctx.repeated(doc.get("eventID")):
            yield ctx.duplicate(number)
            return
        yield Record(doc, Origin(ctx.source, ctx.index, number))  # the per-line fast path of ctx.record
        ctx.index += 1
    else:
        yield from expand(doc, ctx, number)


def _documents(
    data: bytes, documents: list[Any], problem: JSONProblem | None, ctx: DecodeContext, line: int | None
) -> Items:
    """The records of `data`, parsed into `documents` up to `problem`: when there is one, the
    records are cut out of the text instead, so one bad record costs only itself."""
    pieces = None if problem is None else salvage.split(data)
    if pieces is not None:
        yield from _pieces(pieces, ctx, line)
        return
    for doc in documents:
        yield from expand(doc, ctx, line)
    if problem is not None:
        yield from _problem_skip(problem, ctx, line)


def _bad_line(number: int, line: bytes, problem: JSONProblem, ctx: DecodeContext) -> Items:
    """A line of JSON lines that does not parse: its records when it holds a list of them, else a skip."""
    pieces = salvage.split(line)
    if pieces is not None:
        yield from _pieces(pieces, ctx, number)
    else:
        yield from ctx.part(problem.describe(single_line=True), number)


def _pieces(pieces: salvage.Pieces, ctx: DecodeContext, line: int | None) -> Items:
    """Records cut out of a refused document (engine.decoding.salvage), each parsed on its own;
    a document that ends before it closes is reported, unless its last record already says so."""
    last_failed = False
    for piece in pieces.texts:
        try:
            item = loads(piece, ctx.limits.max_depth)
        except JSONProblem as problem:
            yield from ctx.bad_item(problem.describe(single_line=True), line)
            last_failed = problem.truncated
            continue
        last_failed = False
        yield from expand_items([item], ctx, line)
    if pieces.cut and not last_failed:
        yield from _problem_skip(JSONProblem(TRUNCATED), ctx, line)


def _parse_documents(data: bytes, ctx: DecodeContext) -> tuple[list[Any], JSONProblem | None]:
    """Every document of `data` up to the first problem, and that problem (None when all parsed)."""
    documents: list[Any] = []
    try:
        documents.extend(iter_documents(data, ctx.limits.max_depth))
    except JSONProblem as problem:
        return documents, problem
    return documents, None


def _problem_skip(problem: JSONProblem, ctx: DecodeContext, line: int | None) -> Items:
    if line is None:
        yield ctx.whole(problem.describe())
    else:
        yield from ctx.part(problem.describe(single_line=True), line)


def _is_object_line(line: bytes | None, ctx: DecodeContext) -> bool:
    if line is None:
        return False
    try:
        return isinstance(loads(line, ctx.limits.max_depth), dict)
    except JSONProblem:
        return False


def _content_lines(stream: ChunkReader, limit: int) -> Iterator[Line]:
    """Non-blank lines with their numbers; a line over `limit` bytes is reported, not held.

    When the stream is damaged (stream.failure), a line it cuts is not read — unless it is the first,
    a document then, which is read for what it holds. The failure is raised here only once JSON
    lines are being read (two lines or more handed out, so _lines_mode says after which line);
    otherwise it is left for decode_stream to report once the first line's records are out."""
    readline = stream.readline
    number = handed = 0
    while line := readline(limit + 1):
        number += 1
        if stream.failure is not None and not line.endswith(b"\n"):
            if number == 1:
                yield number, line
            break
        if len(line) > limit and not line.endswith(b"\n"):
            _discard_rest_of_line(stream)
            yield number, None
            handed += 1
        elif not line.isspace():
            yield number, line
            handed += 1
    if stream.failure is not None and handed > 1:
        failure, stream.failure = stream.failure, None
        raise failure


def _discard_rest_of_line(stream: ChunkReader, chunk: int = 1 << 20) -> None:
    while (piece := stream.readline(chunk)) and not piece.endswith(b"\n"):
        pass
