"""The deprecated Sigma aggregations (`selection | count() by field > 5` with a `timeframe`),
which pySigma refuses, run as what they mean: a trailwarden threshold — N matching events within
the timeframe, per group. Only that form is taken; anything else after the pipe (`count(field)`,
`near`, `<`) is refused with its line and the advice to write a Sigma correlation."""

from __future__ import annotations

import re
from typing import Any

from engine.errors import RuleError
from engine.rules.yaml_source import Document
from engine.sigma.values import field_path

_COUNT = re.compile(
    r"\s*count\(\s*\)\s*(?:by\s+(?P<by>[\w.@-]+(?:\s*,\s*[\w.@-]+)*)\s*)?(?P<op>>=|>)\s*(?P<n>\d{1,9})\s*\Z"
)
_DURATION = re.compile(r"[1-9][0-9]*[smhd]\Z")


def split_aggregation(doc: Document) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the document pySigma should parse, the native `threshold`, or None without a pipe)."""
    data: dict[str, Any] = doc.data
    detection = data.get("detection")
    condition = detection.get("condition") if isinstance(detection, dict) else None
    if not isinstance(condition, str) or "|" not in condition:
        return data, None
    assert isinstance(detection, dict)
    base, _, tail = condition.partition("|")
    where = doc.locate(("detection", "condition"))
    found = _COUNT.match(tail)
    if found is None:
        raise RuleError(
            f"the deprecated aggregation '|{tail}' is not supported; `| count() [by field] > N` runs as a threshold",
            where,
            "write it as a Sigma correlation (event_count, value_count, temporal)",
        )
    timeframe = detection.get("timeframe", data.get("timeframe"))
    if not isinstance(timeframe, str) or not _DURATION.match(timeframe):
        raise RuleError(
            f"an aggregation needs a timeframe such as 10m, not {timeframe!r}",
            doc.locate(
                ("detection", "timeframe") if "timeframe" in detection else ("detection", "condition")
            ),
        )
    count = int(found["n"]) + (1 if found["op"] == ">" else 0)
    threshold: dict[str, Any] = {"count": max(count, 1), "window": timeframe}
    if found["by"]:
        threshold["group_by"] = [field_path(name.strip()) for name in found["by"].split(",")]
    stripped = {key: value for key, value in detection.items() if key != "timeframe"}
    stripped["condition"] = base.strip()
    return {key: value for key, value in data.items() if key != "timeframe"} | {
        "detection": stripped
    }, threshold
