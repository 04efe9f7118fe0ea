"""`trailwarden explain`: why a rule did or did not match an event, part by part.

It walks the rule as written (match table, condition tree with macros opened, exceptions,
filters) and evaluates each piece on the event, so a detection writer sees which leaf decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.conditions.compiler import is_truthy
from engine.detection.compiled_rule import INSIGHT, CompiledRule, lookup
from engine.detection.conditions import ConditionCompiler
from engine.detection.ruleset import RuleSet
from engine.detection.template import render_value
from engine.rules.yaml_source import Document, PathKey
from engine.text import printable


@dataclass(slots=True)
class Explanation:
    matched: bool
    lines: list[str] = field(default_factory=list)


def explain(ruleset: RuleSet, rule: CompiledRule, event: dict[str, Any]) -> Explanation:
    lists = {name: value.values for name, value in ruleset.parsed.lists.items()}
    compiler = ConditionCompiler(lists, ruleset.parsed.macros)
    out = Explanation(matched=False)
    add = out.lines.append
    add(f"rule {rule.id} ({rule.rule.location}): {rule.rule.title}")
    is_insight = event.get("eventType") == INSIGHT
    index_ok = rule.insight == is_insight
    add(
        _mark(index_ok)
        + f" event type {event.get('eventType')!r}: rule {'wants' if rule.insight else 'skips'} Insights events"
    )
    for label, pinned, value in (
        ("eventSource", rule.sources, event.get("eventSource")),
        ("eventName", rule.names, event.get("eventName")),
    ):
        if pinned is not None:
            ok = isinstance(value, str) and value in pinned  # a list or an object equals no value
            index_ok = index_ok and ok
            add(_mark(ok) + f" match {label}: {value!r} in {sorted(pinned)}")
    for path, allowed in rule.checks:
        value = lookup(event, path)
        ok = value in allowed
        index_ok = index_ok and ok
        add(_mark(ok) + f" match {'.'.join(path)}: {value!r} in {list(allowed)}")
    if rule.rule.condition is not None:
        add("condition:")
        holds = _tree(rule.rule.condition, compiler, rule.rule.doc, ("condition",), event, out, depth=1)
    else:
        holds = True
    suppressed = None
    for suppressor in rule.suppressors:
        try:
            active = suppressor.holds(event)
        except Exception as exc:  # shown, not raised: explain is for finding such errors
            add(f"  ! {suppressor.name}: raised {type(exc).__name__}: {exc}")
            continue
        add(("  suppressed by " if active else "  not suppressed by ") + suppressor.name)
        if active and suppressed is None:
            suppressed = suppressor.name
    out.matched = bool(index_ok and holds and suppressed is None and rule.enabled)
    if not rule.enabled:
        add("rule is disabled (by an override or enabled: false)")
    if out.matched:
        verdict = f"MATCH: {rule.render_title(event)}"
    elif suppressed:
        verdict = f"NO MATCH: suppressed by {suppressed}"
    else:
        verdict = "NO MATCH"
    add(verdict)
    # event values and rule text reach a terminal: shown, never obeyed (ANSI escapes, line breaks)
    out.lines = [printable(line) for line in out.lines]
    return out


def _tree(
    tree: Any,
    compiler: ConditionCompiler,
    doc: Document,
    path: PathKey,
    event: Any,
    out: Explanation,
    depth: int,
) -> bool:
    pad = "  " * depth
    if isinstance(tree, str):
        search = compiler.search(tree, doc, path)
        try:
            value = search(event)
        except Exception as exc:
            out.lines.append(f"{pad}✗ {tree}  → raised {type(exc).__name__}: {exc} (counts as no match)")
            return False
        ok = is_truthy(value)
        out.lines.append(f"{pad}{_mark(ok)} {tree}  → {render_value(value)}")
        return ok
    ((op, arg),) = tree.items()
    if op == "macro":
        macro = compiler.macros[str(arg)]
        out.lines.append(f"{pad}macro {arg}:")
        return _tree(macro.condition, compiler, macro.doc, ("condition",), event, out, depth + 1)
    if op == "not":
        out.lines.append(f"{pad}not:")
        return not _tree(arg, compiler, doc, (*path, "not"), event, out, depth + 1)
    out.lines.append(f"{pad}{op}:")
    results = [_tree(sub, compiler, doc, (*path, op, i), event, out, depth + 1) for i, sub in enumerate(arg)]
    return all(results) if op == "all" else any(results)


def _mark(ok: bool) -> str:
    return "  ✓" if ok else "  ✗"
