"""Read rule files into model objects, in the passes cloud-custodian taught us: YAML structure,
JSON Schema, then semantics (done by `engine.detection.build`). Every problem is collected with
its file and position, so `validate` can list them all; one bad rule never hides the others."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.errors import Location, RuleError
from engine.resources import bundled_rules_dir
from engine.rules.model import ExceptionClause, Filter, Macro, Override, Rule, RuleTest, ValueList
from engine.rules.schema_check import schema_errors
from engine.rules.yaml_source import Document, read_documents

RULE_SUFFIXES = (".yml", ".yaml")


class Translator(Protocol):
    """Rules written in another language (Sigma: `engine.sigma.loading`). It claims its documents
    as files are read, and once every file is read adds what they define to the parsed rules —
    native rules built with `rule_from`, filters, errors and notes — so rules in one file may name
    rules in another."""

    def claims(self, doc: Document) -> bool: ...

    def add(self, doc: Document) -> None: ...

    def finish(self, parsed: ParsedRules, seen_ids: dict[str, Location]) -> None: ...


@dataclass(slots=True)
class ParsedRules:
    """Everything the rule files define, before compiling, plus the problems found so far."""

    rules: list[Rule] = field(default_factory=list)
    lists: dict[str, ValueList] = field(default_factory=dict)
    macros: dict[str, Macro] = field(default_factory=dict)
    overrides: list[Override] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    warnings: list[RuleError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)  # files under a rules folder that are not YAML
    not_cloudtrail: list[str] = field(default_factory=list)  # translated rules for another log source
    translated: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> native form of a Sigma rule


def rule_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str] | RuleError]:
    """Each YAML file named, or found under a named folder (recursively, sorted), with its display
    name — once, however often it is named (`validate rules/` also names the bundled packs)."""
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
        elif path.is_file():
            found = [path]
        else:
            yield RuleError("no such rule file or folder", Location(str(raw)), "check the --rules path")
            continue
        for file in found:
            real = file.resolve()
            if real not in seen:
                seen.add(real)
                yield file, _display(file)


def _display(path: Path) -> str:
    """Paths relative to the working folder when possible: shorter messages, same meaning."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parse_rule_files(
    paths: Sequence[str | Path], *, bundled: bool = True, translators: Sequence[Translator] = ()
) -> ParsedRules:
    parsed = ParsedRules()
    sources: list[str | Path] = [bundled_rules_dir()] if bundled else []
    sources.extend(paths)
    seen_ids: dict[str, Location] = {}
    parsed.passed_over.extend(passed_over(paths))
    for item in rule_files(sources):
        if isinstance(item, RuleError):
            parsed.errors.append(item)
            continue
        path, display = item
        parsed.files.append(display)
        try:
            for doc in read_documents(path, display):
                _add_document(parsed, doc, seen_ids, translators)
        except RuleError as exc:
            parsed.errors.append(exc)
    for translator in translators:
        translator.finish(parsed, seen_ids)
    return parsed


def passed_over(sources: Iterable[str | Path]) -> Iterator[str]:
    """Files under a rules folder that are not YAML (README.md, LICENSE, …): not rules, not errors."""
    for raw in sources:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in file.relative_to(path).parts)
                if file.is_file() and file.suffix not in RULE_SUFFIXES and not hidden:
                    yield str(file)


def _add_document(
    parsed: ParsedRules, doc: Document, seen_ids: dict[str, Location], translators: Sequence[Translator] = ()
) -> None:
    for translator in translators:
        if translator.claims(doc):  # a Sigma document: its own shape, its own checks
            translator.add(doc)
            return
    problems = list(schema_errors(doc))
    if problems:
        parsed.errors.extend(problems)
        return
    data: dict[str, Any] = doc.data
    kind = data.get("kind", "rule")
    location = doc.locate()
    if kind in ("rule", "correlation"):
        first = seen_ids.get(data["id"])
        if first is not None:
            parsed.errors.append(
                RuleError(
                    f"duplicate rule id {data['id']!r}, first defined at {first}",
                    doc.locate(("id",)),
                    "rule ids must be unique across all loaded rule files; use an override to tune a rule",
                )
            )
            return
        seen_ids[data["id"]] = doc.locate(("id",))
        parsed.rules.append(rule_from(data, doc, location, kind))
    elif kind == "list":
        _add_named(
            parsed.lists,
            parsed.errors,
            data["name"],
            ValueList(data["name"], tuple(data["values"]), location),
            doc,
            "list",
        )
    elif kind == "macro":
        _add_named(
            parsed.macros,
            parsed.errors,
            data["name"],
            Macro(data["name"], data["condition"], location, doc),
            doc,
            "macro",
        )
    elif kind == "override":
        parsed.overrides.append(
            Override(
                rule=data["rule"],
                disable=data.get("disable"),
                severity=data.get("severity"),
                tags=tuple(data.get("tags", ())),
                exceptions=_exceptions(data.get("exceptions", ()), ()),
                location=location,
                doc=doc,
            )
        )
    elif kind == "filter":
        parsed.filters.append(
            Filter(data["name"], tuple(data["applies_to"]), data["condition"], location, doc)
        )


def _add_named(
    table: dict[str, Any], errors: list[RuleError], name: str, value: Any, doc: Document, what: str
) -> None:
    if name in table:
        errors.append(
            RuleError(
                f"duplicate {what} name {name!r}, first defined at {table[name].location}",
                doc.locate(("name",)),
            )
        )
        return
    table[name] = value


def _exceptions(raw: Iterable[dict[str, Any]], base: tuple[str | int, ...]) -> tuple[ExceptionClause, ...]:
    return tuple(
        ExceptionClause(item["name"], item["condition"], (*base, i, "condition"))
        for i, item in enumerate(raw)
    )


def rule_from(data: dict[str, Any], doc: Document, location: Location, kind: str) -> Rule:
    """A Rule from a native rule document's data (already checked against the schema)."""
    match = {
        key: tuple(value) if isinstance(value, list) else (value,)
        for key, value in data.get("match", {}).items()
    }
    correlation: dict[str, Any] | None = None
    if kind == "correlation":
        correlation = {
            k: data[k] for k in ("type", "rules", "group-by", "timespan", "condition") if k in data
        }
    return Rule(
        id=data["id"],
        title=data["title"],
        description=data["description"].strip(),
        severity=data["severity"],
        status=data.get("status", "stable"),
        tags=tuple(data.get("tags", ())),
        references=tuple(data.get("references", ())),
        falsepositives=tuple(data.get("falsepositives", ())),
        match=match,
        condition=data.get("condition") if kind == "rule" else None,  # a correlation's is in `correlation`
        exceptions=_exceptions(data.get("exceptions", ()), ("exceptions",)),
        output=data.get("output"),
        context=dict(data.get("context", {})),
        tests=tuple(_tests(data.get("tests", ()), doc)),
        enabled=data.get("enabled", True),
        generate=data.get("generate", True),
        dedup=data.get("dedup"),
        threshold=data.get("threshold"),
        location=location,
        doc=doc,
        kind=kind,
        correlation=correlation,
    )


def _tests(raw: Iterable[dict[str, Any]], doc: Document) -> Iterator[RuleTest]:
    for i, item in enumerate(raw):
        events = tuple(item["events"]) if "events" in item else (item["event"],)
        yield RuleTest(
            name=item["name"],
            expect_match=item["expect"] == "match",
            events=events,
            findings=item.get("findings"),
            location=doc.locate(("tests", i)),
        )
