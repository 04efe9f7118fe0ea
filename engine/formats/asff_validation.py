"""Check an ASFF record the way Security Hub would, before a batch is spent on it: against
botocore's Security Hub service model (shape `AwsSecurityFinding`: members, types, required
members, enums, patterns and lengths where the model declares them) and against the limits the
ASFF documentation adds (asff_limits)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, Shape, StructureShape

from engine.formats import asff_limits as limits
from engine.formats.base import dump_json


@cache
def _finding_shape() -> StructureShape:
    """Security Hub's model is large; load it once, on first use."""
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.shape_for("AwsSecurityFinding")
    assert isinstance(shape, StructureShape)
    return shape


@cache
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text)
    except re.error:  # a construct Python's re lacks: leave that pattern to the service
        return None


def validate_asff(record: Mapping[str, Any]) -> list[str]:
    """Every problem with `record` as a Security Hub finding, each as `path: what is wrong`;
    an empty list when Security Hub should accept it."""
    problems = list(_walk(record, _finding_shape(), "finding"))
    problems.extend(_documented(record))
    return problems


def _walk(value: Any, shape: Shape, path: str) -> Iterator[str]:
    kind = shape.type_name
    if kind == "structure":
        yield from _structure(value, shape, path)
    elif kind == "list":
        yield from _list(value, shape, path)
    elif kind == "map":
        yield from _map(value, shape, path)
    elif kind == "string":
        yield from _string(value, shape, path)
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            yield f"{path}: must be an integer, not {type(value).__name__}"
        else:
            yield from _range(value, shape, path)
    elif kind in ("double", "float"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            yield f"{path}: must be a number, not {type(value).__name__}"
    elif kind == "boolean" and not isinstance(value, bool):
        yield f"{path}: must be true or false, not {type(value).__name__}"


def _structure(value: Any, shape: Shape, path: str) -> Iterator[str]:
    assert isinstance(shape, StructureShape)
    if not isinstance(value, Mapping):
        yield f"{path}: must be an object, not {type(value).__name__}"
        return
    for name in shape.required_members:
        if name not in value:
            yield f"{path}.{name}: required by the Security Hub model"
    for key, item in value.items():
        member = shape.members.get(key)
        if member is None:
            yield f"{path}.{key}: not a member of {shape.name}"
        else:
            yield from _walk(item, member, f"{path}.{key}")
    if shape.metadata.get("union") and len(value) != 1:
        yield f"{path}: {shape.name} takes exactly one member, found {len(value)}"


def _list(value: Any, shape: Shape, path: str) -> Iterator[str]:
    assert isinstance(shape, ListShape)
    if not isinstance(value, list):
        yield f"{path}: must be a list, not {type(value).__name__}"
        return
    yield from _range(len(value), shape, path, "items")
    for index, item in enumerate(value):
        yield from _walk(item, shape.member, f"{path}[{index}]")


def _map(value: Any, shape: Shape, path: str) -> Iterator[str]:
    assert isinstance(shape, MapShape)
    if not isinstance(value, Mapping):
        yield f"{path}: must be an object, not {type(value).__name__}"
        return
    for key, item in value.items():
        yield from _walk(key, shape.key, f"{path} key {key!r}")
        yield from _walk(item, shape.value, f"{path}[{key!r}]")


def _string(value: Any, shape: Shape, path: str) -> Iterator[str]:
    if not isinstance(value, str):
        yield f"{path}: must be a string, not {type(value).__name__}"
        return
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        yield f"{path}: {_short(value)} is not one of {', '.join(enum)}"
    pattern = shape.metadata.get("pattern")
    compiled = _pattern(pattern) if pattern else None
    if compiled is not None and not compiled.search(value):
        yield f"{path}: {_short(value)} does not match the model's pattern {pattern!r}"
    yield from _range(len(value), shape, path, "characters")


def _range(size: int, shape: Shape, path: str, unit: str = "") -> Iterator[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    suffix = f" {unit}" if unit else ""
    if low is not None and size < low:
        yield f"{path}: {size}{suffix}, the model's minimum is {low}"
    if high is not None and size > high:
        yield f"{path}: {size}{suffix}, the model's maximum is {high}"


def _documented(record: Mapping[str, Any]) -> Iterator[str]:
    for name in limits.REQUIRED:
        if name not in record:
            yield f"finding.{name}: required by the ASFF documentation"
    if "SchemaVersion" in record and record["SchemaVersion"] != limits.SCHEMA_VERSION:
        yield f"finding.SchemaVersion: must be {limits.SCHEMA_VERSION}"
    for name, limit in limits.MAX_LENGTH.items():
        value = record.get(name)
        if isinstance(value, str) and len(value) > limit:
            yield f"finding.{name}: {len(value)} characters, Security Hub takes at most {limit}"
    yield from _identity(record)
    yield from _types(record.get("Types"))
    yield from _resources(record.get("Resources"))
    yield from _timestamps(record)
    yield from _product_fields(record.get("ProductFields"))
    severity = record.get("Severity")
    if isinstance(severity, Mapping) and "Label" not in severity and "Normalized" not in severity:
        yield "finding.Severity: needs a Label"
    size = len(dump_json(dict(record)))
    if size > limits.MAX_FINDING_BYTES:
        yield f"finding: {size} bytes, Security Hub takes at most {limits.MAX_FINDING_BYTES} per finding"


def _identity(record: Mapping[str, Any]) -> Iterator[str]:
    account = record.get("AwsAccountId")
    if isinstance(account, str) and not limits.ACCOUNT_ID.match(account):
        yield f"finding.AwsAccountId: {_short(account)} is not a 12-digit AWS account id"
    arn = record.get("ProductArn")
    if isinstance(arn, str) and not limits.PRODUCT_ARN.match(arn):
        yield f"finding.ProductArn: {_short(arn)} is not a Security Hub product ARN"


def _types(types: Any) -> Iterator[str]:
    if not isinstance(types, list):
        return
    if not 1 <= len(types) <= limits.MAX_TYPES:
        yield f"finding.Types: {len(types)} types, Security Hub takes 1 to {limits.MAX_TYPES}"
    for index, value in enumerate(types):
        if not isinstance(value, str):
            continue
        parts = value.split("/")
        categories = limits.TYPE_TAXONOMY.get(parts[0])
        if categories is None:
            known = ", ".join(limits.TYPE_TAXONOMY)
            yield f"finding.Types[{index}]: {_short(value)} has no ASFF namespace ({known})"
        elif len(parts) > 1 and parts[1] not in categories:
            yield f"finding.Types[{index}]: {parts[1]!r} is not a category of {parts[0]!r}"


def _resources(resources: Any) -> Iterator[str]:
    if not isinstance(resources, list):
        return
    if not 1 <= len(resources) <= limits.MAX_RESOURCES:
        yield f"finding.Resources: {len(resources)} resources, Security Hub takes 1 to {limits.MAX_RESOURCES}"
    for index, resource in enumerate(resources):
        if not isinstance(resource, Mapping):
            continue
        for key, limit in (("Type", limits.MAX_RESOURCE_TYPE), ("Id", limits.MAX_RESOURCE_ID)):
            value = resource.get(key)
            if isinstance(value, str) and len(value) > limit:
                yield f"finding.Resources[{index}].{key}: {len(value)} characters, at most {limit}"


def _timestamps(record: Mapping[str, Any]) -> Iterator[str]:
    action = record.get("Action")
    call = action.get("AwsApiCallAction") if isinstance(action, Mapping) else None
    places: list[tuple[str, Any]] = [(f"finding.{n}", record.get(n)) for n in limits.TIMESTAMP_FIELDS]
    if isinstance(call, Mapping):
        places += [(f"finding.Action.AwsApiCallAction.{n}", call.get(n)) for n in ("FirstSeen", "LastSeen")]
    for path, value in places:
        if isinstance(value, str) and not limits.TIMESTAMP.match(value):
            yield f"{path}: {_short(value)} is not an RFC 3339 date-time"


def _product_fields(fields: Any) -> Iterator[str]:
    if not isinstance(fields, Mapping):
        return
    if len(fields) > limits.MAX_PRODUCT_FIELDS:
        yield f"finding.ProductFields: {len(fields)} pairs, at most {limits.MAX_PRODUCT_FIELDS}"
    for key, value in fields.items():
        if isinstance(key, str) and len(key) > limits.MAX_PRODUCT_FIELD_KEY:
            yield f"finding.ProductFields key {_short(key)}: {len(key)} characters, at most 128"
        if isinstance(value, str) and len(value) > limits.MAX_PRODUCT_FIELD_VALUE:
            yield f"finding.ProductFields[{_short(key)}]: {len(value)} characters, at most 2048"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
