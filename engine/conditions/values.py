"""What the code generator knows about a generated value: where it is, and how to test its truth."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from engine.conditions.runtime import is_truthy


class Kind(enum.Enum):
    """How much the generator knows about a value's truth, so it can skip JMESPath's truth test."""

    BOOL = "always a bool"
    PLAIN = "Python's truth is JMESPath's (never a number zero)"
    ANY = "anything"


BOOL = Kind.BOOL
PLAIN = Kind.PLAIN
ANY = Kind.ANY


@dataclass(frozen=True, slots=True)
class Value:
    """A generated value: ``code`` is an atom (a local, a constant's name or a Python literal)."""

    code: str
    kind: Kind


def literal_kind(value: Any) -> Kind:
    if value.__class__ is bool:
        return BOOL
    return PLAIN if bool(value) == is_truthy(value) else ANY
