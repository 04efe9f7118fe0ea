"""Lean decoding: build Python objects only for the records some rule can match.

Parsing a record into dicts and lists costs more than everything else a scan does with it, and on
a busy trail nine records in ten meet no rule at all (the index can tell from a handful of fields).
So an S3 delivery file (`{"Records": [...]}`, the bulk of every archive) is read by msgspec in two
light passes that build almost nothing: one finds where each record starts and ends (`Raw`), one
reads only the plan's fields from a record (a generated TypedDict; every other field is skipped
without being built). The plan's `wants` — the rule index — then decides: a record some rule may
match is parsed in full by the usual parser; any other becomes a Record whose event holds only the
plan's fields, which is all that the scope, the duplicate check and the event-time watermark read.

Whatever this path cannot read exactly as the full decoder would — a document that is not a
Records envelope, a record that is not a plain event, a field of an unexpected type, any msgspec
error — goes to the full decoder instead, so the records, skips and findings are the same. The one
difference: a record no rule can match is not parsed, so a defect the full parser would reject in
a field the plan does not read (nesting past the depth limit, bytes that are not UTF-8, a number
beyond a double) makes it a partial record here and a skip there (and so its repeat a duplicate
here); every other record of its file comes out the same from both."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypedDict

import msgspec

from engine.decoding.context import DecodeContext, Items
from engine.decoding.dispatch import expand_items
from engine.decoding.jsontext import JSONProblem, loads
from engine.types import Origin, Record

Path = tuple[str, ...]
Head = dict[str, Any]

# Read from every record: what the index, the scope (--since/--until/--accounts/--regions), the
# duplicate check and the stateful watermark look at. Rules may add more (RuleIndex.key_paths).
BASE_PATHS: tuple[Path, ...] = (
    ("eventSource",),
    ("eventName",),
    ("eventType",),
    ("eventTime",),
    ("eventID",),
    ("awsRegion",),
    ("recipientAccountId",),
    ("userIdentity", "accountId"),
)
_UNSET = msgspec.UNSET
_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError)


class _Delivery(msgspec.Struct):
    """An S3 delivery file. `eventName`/`eventType` are read only to send a document that is also
    an event (which the full decoder treats as one event) down the full path."""

    Records: list[msgspec.Raw]
    eventName: Any = _UNSET
    eventType: Any = _UNSET


@dataclass(frozen=True)
class LeanPlan:
    """Which fields to read from every record, and which records to parse in full."""

    paths: tuple[Path, ...]
    wants: Callable[[Head], bool]
    _decode_head: Callable[[Any], Head] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        head_type = _head_type(_tree(BASE_PATHS + self.paths), "Head")
        object.__setattr__(self, "_decode_head", msgspec.json.Decoder(head_type).decode)

    def head(self, raw: Any) -> Head | None:
        """The plan's fields of one record, present ones only; None when the record is not a
        plain event with a time, or does not read as expected — the full decoder takes it then."""
        try:
            head = self._decode_head(raw)
        except _ERRORS:
            return None
        if "eventTime" not in head or ("eventName" not in head and "eventType" not in head):
            return None  # a Logstash event (timed by @timestamp), an envelope, or not an event
        return head

    def delivery(self, document: bytes) -> list[msgspec.Raw] | None:
        """The records of an S3 delivery document, unparsed; None when the full decoder must read it."""
        try:
            delivery = _DECODE_DELIVERY(document)
        except _ERRORS:
            return None
        if delivery.eventName is not _UNSET or delivery.eventType is not _UNSET or not delivery.Records:
            return None  # the document is itself an event, or holds nothing to save work on
        first = self.head(delivery.Records[0])
        if first is None or first.get("eventSource") == "aws:s3":
            return None  # S3 event notifications also come as Records: the full decoder tells them apart
        return delivery.Records

    def records(self, raws: list[msgspec.Raw], ctx: DecodeContext, line: int | None) -> Items:
        """Each record in order, taking the indexes the full decoder would give them."""
        source, head_of, wants = ctx.source, self.head, self.wants
        ids, most = ctx.ids, ctx.limits.max_remembered_ids  # ctx.repeated, inlined below
        max_depth = ctx.limits.max_depth
        for raw in raws:
            head = head_of(raw)
            if head is not None and not wants(head):
                event_id = head.get("eventID")
                if event_id.__class__ is str:
                    if event_id in ids:
                        yield ctx.duplicate(line)
                        continue
                    ids.add(event_id)
                    if len(ids) > most:
                        ids.clear()
                yield Record(head, Origin(source, ctx.index, line), True)
                ctx.index += 1
                continue
            try:
                item = loads(bytes(raw), max_depth)
            except JSONProblem as problem:
                yield from ctx.bad_item(problem.describe(single_line=True), line)
                continue
            yield from expand_items([item], ctx, line)


_DECODE_DELIVERY = msgspec.json.Decoder(_Delivery).decode


def _tree(paths: Iterable[Path]) -> dict[str, Any]:
    """Paths as a nested dict, None marking a field read whole:
    {"userIdentity": {"accountId": None, "type": None}, "eventName": None}. A field read whole
    stays whole when a longer path also runs through it."""
    tree: dict[str, Any] = {}
    for path in paths:
        node: dict[str, Any] | None = tree
        for key in path[:-1]:
            assert node is not None
            if key in node and node[key] is None:
                node = None  # already read whole
                break
            node = node.setdefault(key, {})
        if node is not None:
            node[path[-1]] = None
    return tree


def _head_type(tree: dict[str, Any], name: str) -> Any:
    """A TypedDict of the tree's fields for msgspec: it decodes to a plain dict holding the fields
    present (absent ones are left out, as in the full decoder's dict) and skips every other field
    without building it. A field with children must be an object or null; anything else is a
    ValidationError, and the record goes to the full decoder."""
    fields: dict[str, Any] = {}
    for number, (key, children) in enumerate(tree.items()):
        fields[key] = Any if children is None else _head_type(children, f"{name}_{number}") | None
    return TypedDict(name, fields, total=False)  # type: ignore[operator]
