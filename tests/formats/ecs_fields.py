"""Fields of an ECS document as Elasticsearch counts them, and Elastic's AWS integration's own
CloudTrail field list (vendored in `tests/formats/data/`, Elastic License 2.0, see the LICENSE
there) to check our `aws.cloudtrail` names and types against."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from engine.formats.ecs_template import FIELDS

INTEGRATION_FIELDS = Path(__file__).parent / "data" / "elastic-aws-cloudtrail-fields.yml"


def leaves(document: dict[str, Any], *, flattened: frozenset[str] | None = None) -> dict[str, list[Any]]:
    """Every leaf path of `document` with its values. An array adds no path of its own (its
    objects' keys are fields of the array's path, as in Elasticsearch); a `flattened` field of the
    template is one field, however deep its object."""
    stop = flattened if flattened is not None else _flattened()
    out: dict[str, list[Any]] = {}

    def walk(value: Any, path: str) -> None:
        if path in stop or not isinstance(value, dict | list):
            if value not in ({}, []):
                out.setdefault(path, []).append(value)
            return
        if isinstance(value, list):
            for item in value:
                walk(item, path)
            return
        for key, item in value.items():
            walk(item, f"{path}.{key}" if path else key)

    walk(document, "")
    return out


@cache
def _flattened() -> frozenset[str]:
    return frozenset(path for path, kind in FIELDS.items() if kind == "flattened")


@cache
def integration_fields() -> dict[str, str]:
    """`fields.yml` of the integration's cloudtrail data stream as {dotted name: type}."""
    out: dict[str, str] = {}

    def walk(entries: list[dict[str, Any]], prefix: str) -> None:
        for entry in entries:
            name = f"{prefix}{entry['name']}"
            if entry.get("type") == "group":
                walk(entry.get("fields") or [], name + ".")
            else:
                out[name] = str(entry.get("type"))

    walk(yaml.safe_load(INTEGRATION_FIELDS.read_text(encoding="utf-8")), "")
    return out
