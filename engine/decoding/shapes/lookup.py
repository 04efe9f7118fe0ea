"""LookupEvents results: each entry of `Events` carries the record as a JSON *string* in
`CloudTrailEvent`, beside a few fields copied out of it (`EventName`, `Username`, …).

The string is parsed and the record inside is what the engine sees; the copied fields add nothing
the record lacks. A string that does not parse is skipped on its own, naming the record."""

from __future__ import annotations

from typing import Any

from engine.decoding.context import DecodeContext, Items
from engine.decoding.events import is_event, json_kind
from engine.decoding.jsontext import JSONProblem, loads

KEY = "CloudTrailEvent"


def matches(doc: dict[str, Any]) -> bool:
    return KEY in doc


def expand(doc: dict[str, Any], ctx: DecodeContext, line: int | None) -> Items:
    text = doc[KEY]
    if not isinstance(text, str):
        yield from ctx.bad_item(f"{KEY} is a JSON {json_kind(text)}, not a string of JSON", line)
        return
    try:
        event = loads(text, ctx.limits.max_depth)
    except JSONProblem as problem:
        yield from ctx.bad_item(f"{KEY}: {problem.describe(single_line=True)}", line)
        return
    if is_event(event):
        yield ctx.record(event, line)
    else:
        yield from ctx.bad_item(f"{KEY} holds JSON that is not a CloudTrail record", line)
