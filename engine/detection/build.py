"""Pass three of rule loading: semantics. Compile every expression of every rule (condition,
exceptions, output, context, stateful keys), resolve lists and macros, apply overrides and filters.
Problems are collected per rule with their position, and a rule that fails is left out — it never
takes the others down; callers decide whether any error stops the run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.detection.compiled_rule import INSIGHT, CompiledRule, MatchCheck, Suppressor
from engine.detection.conditions import ConditionCompiler, Predicate
from engine.detection.ruleset import RuleSet
from engine.detection.stateful.spec import compile_stateful
from engine.detection.template import compile_template
from engine.errors import RuleError
from engine.rules.loader import ParsedRules, parse_rule_files
from engine.rules.model import ExceptionClause, Filter, Override, Rule
from engine.rules.selectors import selects_any
from engine.rules.yaml_source import Document
from engine.sigma.loading import SigmaLoader


def load_ruleset(paths: Sequence[str | Path] = (), *, bundled: bool = True) -> RuleSet:
    """Read, validate and compile rule files (and the bundled packs unless `bundled=False`).

    Never raises for a bad rule: the result's `errors` lists every problem with its position.
    Sigma documents among the files are read as Sigma rules (engine.sigma)."""
    return compile_ruleset(parse_rule_files(paths, bundled=bundled, translators=[SigmaLoader()]))


def compile_ruleset(parsed: ParsedRules) -> RuleSet:
    lists = {name: value.values for name, value in parsed.lists.items()}
    compiler = ConditionCompiler(lists, parsed.macros)
    errors = list(parsed.errors)
    warnings = list(parsed.warnings)
    _check_macros(parsed, compiler, errors)
    filters = _compile_filters(parsed.filters, compiler, errors)
    known_ids = {rule.id for rule in parsed.rules}
    compiled: list[CompiledRule] = []
    for rule in parsed.rules:
        overrides = [o for o in parsed.overrides if o.rule == rule.id]
        try:
            compiled.append(_compile_rule(rule, overrides, filters, compiler))
        except RuleError as exc:
            errors.append(exc)
    for override in parsed.overrides:
        if override.rule not in known_ids:
            warnings.append(
                RuleError(
                    f"override names rule {override.rule!r}, which is not loaded",
                    override.location,
                    "check the id (trailwarden rules list), or drop the override",
                )
            )
    for flt, _ in filters:
        if not any(selects_any(flt.applies_to, r.id, r.tags) for r in parsed.rules):
            warnings.append(RuleError(f"filter {flt.name!r} applies to no loaded rule", flt.location))
    _check_correlations(parsed.rules, known_ids, errors)
    return RuleSet(compiled, parsed, errors, warnings)


def _check_macros(parsed: ParsedRules, compiler: ConditionCompiler, errors: list[RuleError]) -> None:
    """Compile every macro, used or not, so a broken macro is reported where it is written."""
    for macro in parsed.macros.values():
        try:
            compiler.predicate({"macro": macro.name}, macro.doc, ())
        except RuleError as exc:
            errors.append(exc)


def _compile_filters(
    filters: Sequence[Filter], compiler: ConditionCompiler, errors: list[RuleError]
) -> list[tuple[Filter, Predicate]]:
    out = []
    for flt in filters:
        try:
            out.append((flt, compiler.predicate(flt.condition, flt.doc, ("condition",))))
        except RuleError as exc:
            errors.append(exc)
    return out


def _compile_rule(
    rule: Rule,
    overrides: Sequence[Override],
    filters: Sequence[tuple[Filter, Predicate]],
    compiler: ConditionCompiler,
) -> CompiledRule:
    doc = rule.doc
    sources, names, insight, checks = _match_table(rule.match)
    if rule.condition is not None:
        predicate = compiler.predicate(rule.condition, doc, ("condition",))
    else:
        predicate = _always  # correlations: their members' conditions decide
    suppressors = [_suppressor(e, doc, compiler) for e in rule.exceptions]
    severity = rule.severity
    tags = list(rule.tags)
    enabled = rule.enabled
    for override in overrides:
        suppressors.extend(
            _suppressor(e, override.doc, compiler, prefix="override") for e in override.exceptions
        )
        severity = override.severity or severity
        tags.extend(t for t in override.tags if t not in tags)
        if override.disable is not None:
            enabled = not override.disable
    for flt, holds in filters:
        if selects_any(flt.applies_to, rule.id, tags):
            suppressors.append(Suppressor(f"filter {flt.name}", holds))
    output = rule.output or rule.title
    render = compile_template(output, compiler.search, doc, ("output",) if rule.output else ("title",))
    context = tuple((key, compiler.search(expr, doc, ("context", key))) for key, expr in rule.context.items())
    stateful = compile_stateful(rule, compiler)
    return CompiledRule(
        rule=rule,
        severity=severity,
        tags=tuple(tags),
        sources=sources,
        names=names,
        insight=insight,
        checks=checks,
        predicate=predicate,
        suppressors=tuple(suppressors),
        render_title=render,
        context=context,
        enabled=enabled,
        stateful=stateful,
    )


def _always(event: Any) -> bool:
    return True


def _match_table(
    match: dict[str, tuple[Any, ...]],
) -> tuple[frozenset[str] | None, frozenset[str] | None, bool, tuple[MatchCheck, ...]]:
    """Split `match` into the indexed keys (eventSource, eventName, eventType) and per-event checks."""
    sources = frozenset(map(str, match["eventSource"])) if "eventSource" in match else None
    names = frozenset(map(str, match["eventName"])) if "eventName" in match else None
    event_types = match.get("eventType", ())
    insight = INSIGHT in event_types
    checks = tuple(
        (tuple(key.split(".")), values)
        for key, values in match.items()
        if key not in ("eventSource", "eventName") and not (key == "eventType" and event_types == (INSIGHT,))
    )
    return sources, names, insight, checks


def _suppressor(
    clause: ExceptionClause, doc: Document, compiler: ConditionCompiler, prefix: str = "exception"
) -> Suppressor:
    return Suppressor(f"{prefix} {clause.name}", compiler.predicate(clause.condition, doc, clause.where))


def _check_correlations(rules: Sequence[Rule], known_ids: set[str], errors: list[RuleError]) -> None:
    correlations = {rule.id for rule in rules if rule.correlation}
    for rule in rules:
        if not rule.correlation:
            continue
        for i, member in enumerate(rule.correlation.get("rules", ())):
            if member not in known_ids:
                errors.append(
                    RuleError(f"correlation refers to unknown rule {member!r}", rule.doc.locate(("rules", i)))
                )
            elif member in correlations:
                errors.append(
                    RuleError(
                        f"correlation refers to another correlation, {member!r}",
                        rule.doc.locate(("rules", i)),
                        "refer to the rules that correlation joins instead",
                    )
                )
