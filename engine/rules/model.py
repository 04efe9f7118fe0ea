"""What a rule file holds once read and checked: plain, immutable descriptions of rules and of the
pieces users tune them with. Compiling them into something that runs is `engine.detection`'s job."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import Location
from engine.rules.yaml_source import Document

# A condition as written: a JMESPath string, or {"all": [...]}, {"any": [...]}, {"not": …}, {"macro": name}.
ConditionTree = Any


@dataclass(frozen=True, slots=True)
class ExceptionClause:
    name: str
    condition: ConditionTree
    where: tuple[str | int, ...]  # path of this exception's condition in its document


@dataclass(frozen=True, slots=True)
class RuleTest:
    name: str
    expect_match: bool
    events: tuple[dict[str, Any], ...]
    findings: int | None
    location: Location


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    description: str
    severity: str
    status: str
    tags: tuple[str, ...]
    references: tuple[str, ...]
    falsepositives: tuple[str, ...]
    match: dict[str, tuple[Any, ...]]
    condition: ConditionTree
    exceptions: tuple[ExceptionClause, ...]
    output: str | None
    context: dict[str, str]
    tests: tuple[RuleTest, ...]
    enabled: bool
    generate: bool
    dedup: dict[str, Any] | None
    threshold: dict[str, Any] | None
    location: Location
    doc: Document = field(repr=False, compare=False)
    kind: str = "rule"
    correlation: dict[str, Any] | None = None  # for kind == "correlation": type, rules, group-by, …

    @property
    def source_file(self) -> str:
        return self.location.path


@dataclass(frozen=True, slots=True)
class ValueList:
    name: str
    values: tuple[Any, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class Macro:
    name: str
    condition: ConditionTree
    location: Location
    doc: Document = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Override:
    rule: str
    disable: bool | None
    severity: str | None
    tags: tuple[str, ...]
    exceptions: tuple[ExceptionClause, ...]
    location: Location
    doc: Document = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Filter:
    name: str
    applies_to: tuple[str, ...]
    condition: ConditionTree
    location: Location
    doc: Document = field(repr=False, compare=False)
