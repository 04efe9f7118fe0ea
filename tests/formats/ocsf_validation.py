"""Validate an OCSF record against the published schema that the `ocsf-json-schema` package ships,
for the record's own class and declared profiles. Importable by any test:

    from tests.formats.ocsf_validation import validate_ocsf
    validate_ocsf(record)   # AssertionError listing every violation, with its path
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

from engine.formats.ocsf import OCSF_VERSION


@cache
def _embedded(version: str) -> OcsfJsonSchemaEmbedded:
    return OcsfJsonSchemaEmbedded(get_ocsf_schema(version))


@cache
def _validator(version: str, class_uid: int, profiles: tuple[str, ...]) -> Draft202012Validator:
    schema = _embedded(version)
    class_name = schema.lookup_class_name_from_uid(class_uid)
    return Draft202012Validator(schema.get_class_schema(class_name, list(profiles)))


def validate_ocsf(record: dict[str, Any]) -> None:
    """Raise AssertionError with every problem when `record` is not valid OCSF for its class."""
    metadata = record.get("metadata") or {}
    version = metadata.get("version")
    assert version == OCSF_VERSION, f"metadata.version is {version!r}, expected {OCSF_VERSION!r}"
    class_uid = record.get("class_uid")
    assert isinstance(class_uid, int), f"class_uid is {class_uid!r}"
    activity = record.get("activity_id")
    assert record.get("type_uid") == class_uid * 100 + activity, (
        f"type_uid {record.get('type_uid')!r} is not class_uid * 100 + activity_id ({class_uid}, {activity})"
    )
    profiles = tuple(sorted(metadata.get("profiles") or ()))
    validator = _validator(version, class_uid, profiles)
    problems = sorted(validator.iter_errors(record), key=lambda e: [str(p) for p in e.absolute_path])
    if problems:
        lines = [
            f"  {'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message[:300]}" for e in problems
        ]
        raise AssertionError(
            f"not valid OCSF {version} (class {class_uid}, profiles {profiles}):\n" + "\n".join(lines)
        )
