"""A window's finding: the native finding of its representative event, with the window's count,
first and last times, event ids and a `window` object saying what kind of window it was, for
which group and when. The finding id digests the rule id and the window (its group and start),
so re-running over the same events gives the same id and a sink that upserts keeps one finding."""

from __future__ import annotations

from typing import Any

import orjson

from engine.detection.stateful.clock import iso
from engine.detection.stateful.operator import Operator
from engine.detection.stateful.window import Window, event_dict
from engine.findings.builder import build_finding


def window_finding(operator: Operator, window: Window, *, evidence: bool) -> dict[str, Any]:
    spec = operator.spec
    distinct = spec.kind == "value_count"
    finding = build_finding(
        operator.rule,
        event_dict(window.event),
        window.origin,
        evidence=evidence,
        window_key=operator.window_id(window),
        count=max(1, window.distinct if distinct else window.count),
        first_seen=iso(window.first),
        last_seen=iso(window.last),
        window=_describe(operator, window),
    )
    finding["event_ids"] = list(window.ids)
    return finding


def _describe(operator: Operator, window: Window) -> dict[str, Any]:
    spec = operator.spec
    out: dict[str, Any] = {
        "kind": spec.kind,
        "group": spec.group.labels(window.group),
        "start": iso(window.start),
        "end": iso(window.end),
        "events": window.count,
    }
    if spec.condition is not None:
        out["condition"] = spec.condition.describe()
    if spec.kind != "dedup" and spec.kind != "threshold":
        out["rules"] = list(spec.members)
    if spec.value_expr is not None:
        out["field"] = spec.value_expr
        out["values"] = [orjson.loads(value) for value in window.values]
        out["distinct"] = window.distinct
    if window.truncated:
        out["truncated"] = True  # more events (or values) than the finding lists
    return out
