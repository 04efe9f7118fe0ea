"""Fuzzing what the engine reads of a record: every field the index, the rules, the finding builder,
the state file and the formats look at, given a value of any JSON type — never an exception, and
every format writes the finding as one line that injection cannot split."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.detection.build import load_ruleset
from engine.detection.compiled_rule import CompiledRule
from engine.detection.evaluator import Evaluator
from engine.findings.builder import build_finding
from engine.formats import format_names, get_format
from engine.formats.base import FormatError
from engine.statefile.seen_events import SeenEvents
from engine.types import Origin
from tests.fuzz.campaign import campaign, count
from tests.fuzz.test_fuzz_decoding import json_values
from tests.helpers import ROOT_IDENTITY, event

# The paths the engine reads: the index, the scope, the builder, the formats, the bundled rules' usual fields.
FIELDS: list[tuple[str, ...]] = [
    ("eventSource",),
    ("eventName",),
    ("eventType",),
    ("eventTime",),
    ("eventID",),
    ("awsRegion",),
    ("recipientAccountId",),
    ("sourceIPAddress",),
    ("userAgent",),
    ("errorCode",),
    ("errorMessage",),
    ("readOnly",),
    ("requestParameters",),
    ("responseElements",),
    ("userIdentity",),
    ("userIdentity", "type"),
    ("userIdentity", "arn"),
    ("userIdentity", "principalId"),
    ("userIdentity", "userName"),
    ("userIdentity", "accountId"),
    ("userIdentity", "sessionContext"),
    ("userIdentity", "sessionContext", "sessionIssuer"),
    ("userIdentity", "sessionContext", "sessionIssuer", "userName"),
    ("requestParameters", "name"),
    ("requestParameters", "policyArn"),
    ("additionalEventData",),
    ("tlsDetails",),
]

hostile_text = st.text(
    alphabet=st.sampled_from(
        ["a", "|", "=", "\\", "\n", "\r", "\x00", "\x1b", "[", "\u2028", "\u0085", "\x7f", "\ud800", "é", '"']
    ),
    max_size=12,
)
field_values = st.one_of(json_values, hostile_text)


@cache
def _engine() -> tuple[Evaluator, tuple[CompiledRule, ...]]:
    ruleset = load_ruleset([], bundled=True)
    return Evaluator(ruleset.rules), tuple(ruleset.rules)


def _set(record: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node: Any = record
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value


@campaign(1.0)
@given(changes=st.lists(st.tuples(st.sampled_from(FIELDS), field_values), min_size=1, max_size=6))
def test_wrong_types_anywhere_never_raise(changes: list[tuple[tuple[str, ...], Any]]) -> None:
    count("engine: records with wrong-typed fields")
    evaluator, rules = _engine()
    record = event(userIdentity=copy.deepcopy(ROOT_IDENTITY), eventName="CreateCluster")
    for path, value in changes:
        _set(record, path, value)
    hits = evaluator.evaluate(record)
    seen = SeenEvents()
    seen.first_time(str(record.get("eventID")), record.get("eventTime"))
    # every rule's finding, as if it had matched: the builder and the formats take any record
    for rule in (*hits, *rules[:3]):
        finding = build_finding(rule, record, Origin("fuzz.json", 0))
        for name in format_names():
            try:
                line = get_format(name).to_line(finding)
            except FormatError:  # refused with its reason (ASFF without a region): the sink reports it
                count("engine: findings a format refused, with a reason")
                continue
            count("engine: findings written")
            assert b"\n" not in line.rstrip(b"\n"), name  # one record per line, never split or forged
