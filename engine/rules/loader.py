"""Read rule files into model objects, in the passes cloud-custodian taught us: YAML structure,
JSON Schema, then semantics (done by `engine.detection.build`). Every problem is collected with
its file and position, so `validate` can list them all; one bad rule never hides the others."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Location, RuleError
from engine.resources import bundled_rules_dir
from engine.rules.model import ExceptionClause, Filter, Macro, Override, Rule, RuleTest, ValueList
from engine.rules.schema_check import schema_errors
from engine.rules.yaml_source import Document, read_documents
from engine.sigma.loading import SigmaLoader, passed_over

RULE_SUFFIXES = (".yml", ".yaml")


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
    not_cloudtrail: list[str] = field(default_factory=list)  # Sigma rules for another log source
    sigma_sources: dict[str, Document] = field(default_factory=dict)  # Sigma rule/filter id -> as written


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


def parse_rule_files(paths: Sequence[str | Path], *, bundled: bool = True) -> ParsedRules:
    parsed = ParsedRules()
    sources: list[str | Path] = [bundled_rules_dir()] if bundled else []
    sources.extend(paths)
    seen_ids: dict[str, Location] = {}
    sigma = SigmaLoader()
    parsed.passed_over.extend(passed_over(paths))
    for item in rule_files(sources):
        if isinstance(item, RuleError):
            parsed.errors.append(item)
            continue
        path, display = item
        parsed.files.append(display)
        try:
            for doc in read_documents(path, display):
                _add_document(parsed, doc, seen_ids, sigma)
        except RuleError as exc:
            parsed.errors.append(exc)
    _add_sigma(parsed, sigma, seen_ids)
    return parsed


def _add_sigma(parsed: ParsedRules, sigma: SigmaLoader, seen_ids: dict[str, Location]) -> None:
    """Sigma documents, once all files are read: correlations and filters may name rules (by id,
    name or title) from any file, and a referenced rule stops making findings of its own unless a
    correlation says `generate: true`."""
    parsed.errors.extend(sigma.errors)
    parsed.warnings.extend(sigma.warnings)
    parsed.not_cloudtrail.extend(sigma.not_cloudtrail)
    for what, places in (
        ("Sigma rule(s) for another log source than CloudTrail were skipped", parsed.not_cloudtrail),
        ("file(s) under the rule folders are not YAML and were passed over", parsed.passed_over),
    ):
        if places:
            shown = ", ".join(places[:3]) + (" …" if len(places) > 3 else "")
            parsed.warnings.append(RuleError(f"note: {len(places)} {what}: {shown}", Location(places[0])))
    quiet = sigma.resolve()
    parsed.errors.extend(sigma.resolve_errors)
    parsed.warnings.extend(sigma.resolve_warnings)
    for native in sigma.rules():
        data = native.data
        if data["id"] in seen_ids:
            parsed.errors.append(
                RuleError(
                    f"duplicate rule id {data['id']!r}, first defined at {seen_ids[data['id']]}",
                    native.doc.locate(("id",)),
                    "rule ids must be unique across all loaded rule files",
                )
            )
            continue
        seen_ids[data["id"]] = native.doc.locate(("id",))
        if data["id"] in quiet and data.get("kind") != "correlation":
            data["generate"] = False
        parsed.rules.append(_rule(data, native.doc, native.doc.locate(), data.get("kind", "rule")))
        parsed.sigma_sources[data["id"]] = native.source
    for native in sigma.filters():
        data = native.data
        parsed.filters.append(
            Filter(
                data["name"], tuple(data["applies_to"]), data["condition"], native.doc.locate(), native.doc
            )
        )
        parsed.sigma_sources[data["name"]] = native.source


def _add_document(
    parsed: ParsedRules, doc: Document, seen_ids: dict[str, Location], sigma: SigmaLoader | None = None
) -> None:
    if sigma is not None and sigma.claims(doc):  # Sigma documents have their own shape and checks
        sigma.add(doc)
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
        parsed.rules.append(_rule(data, doc, location, kind))
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


def _rule(data: dict[str, Any], doc: Document, location: Location, kind: str) -> Rule:
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
