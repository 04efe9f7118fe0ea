"""The native finding, as the engine builds it (schemas/finding.schema.json).

With `validate=True` each finding is checked against its schema before it leaves, and one of the
wrong shape is reported with the field at fault. That costs ~0.3 ms a finding, so scans trust the
engine's own builder (whose output the test suite validates) and leave it off; tests and
integrations that build findings by hand turn it on."""

from __future__ import annotations

from typing import Any

import orjson
from jsonschema import Draft202012Validator

from engine.formats.base import Finding, Format, FormatError
from engine.formats.registry import register_format
from engine.resources import schema_path


@register_format("native")
class NativeFormat(Format):
    def __init__(self, *, validate: bool = False) -> None:
        self._validator: Draft202012Validator | None = None
        if validate:
            schema = orjson.loads(schema_path("finding.schema.json").read_bytes())
            self._validator = Draft202012Validator(schema)

    def to_record(self, finding: Finding) -> dict[str, Any]:
        record = dict(finding)
        if self._validator is not None:
            problems = sorted(self._validator.iter_errors(record), key=lambda e: list(e.absolute_path))
            if problems:
                first = problems[0]
                where = "/".join(str(p) for p in first.absolute_path) or "(top)"
                raise FormatError(
                    f"finding {record.get('finding_id')!r} does not fit finding.schema.json at {where}: "
                    f"{first.message}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                    hint="this is a bug in the rule engine; please report it with the rule id",
                )
        return record
