"""What every finding format is: configured once, then a cheap mapping per finding (structlog's
processor habit), giving a record (a dict, or a str for text formats) and one serialized line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import orjson

from engine.errors import TrailwardenError

Finding = Mapping[str, Any]

_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


class FormatError(TrailwardenError):
    """One finding cannot be written in the chosen format (e.g. ASFF without any account id).

    Permanent for that finding: retrying will not help, so callers report it and go on with the rest."""

    exit_code = 3


class Format:
    """Base of the registered formats. Subclasses take their options as keyword-only arguments of
    `__init__`, do the expensive work there, and implement `to_record`."""

    name: ClassVar[str] = ""

    def to_record(self, finding: Finding) -> Any:
        raise NotImplementedError

    def to_line(self, finding: Finding) -> bytes:
        """One serialized record, without a trailing newline."""
        return dump_json(self.to_record(finding))


def dump_json(value: Any) -> bytes:
    """Compact UTF-8 JSON. orjson first; the standard library when orjson refuses the value (an
    integer beyond 64 bits, a lone surrogate from a hostile user agent) so no finding is lost."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=str, allow_nan=False)
        return text.encode("ascii")
