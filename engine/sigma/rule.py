"""A parsed Sigma rule, correlation or filter as the native document trailwarden would have read:
the same keys (`id`, `severity`, `match`, `condition`, …), so the loader builds it like any rule,
and `sigma convert` writes it out. Each native key is placed at the Sigma line it came from."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sigma.correlations import SigmaCorrelationCondition, SigmaCorrelationRule
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule, SigmaRuleBase

from engine.errors import RuleError
from engine.rules.yaml_source import Document, PathKey
from engine.sigma.detection import LocatedUnsupported, translate
from engine.sigma.values import Unsupported, field_path

SEVERITY = {"informational": "info", "low": "low", "medium": "medium", "high": "high", "critical": "critical"}
STATUS = {"unsupported": "experimental"}  # Sigma's extra status; the others are trailwarden's too
CORRELATION_TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")
_COMPARISONS = {"GT": "gt", "GTE": "gte", "LT": "lt", "LTE": "lte", "EQ": "eq", "NEQ": "neq"}

# Where each native key of a translated rule was written in the Sigma document.
_HEADER_PLACES: dict[str, PathKey] = {
    "id": ("id",),
    "title": ("title",),
    "description": ("description",),
    "severity": ("level",),
    "status": ("status",),
    "author": ("author",),
    "tags": ("tags",),
    "references": ("references",),
    "falsepositives": ("falsepositives",),
    "match": ("detection",),
    "context": ("detection",),
    "generate": ("correlation", "generate"),
    "type": ("correlation", "type"),
    "rules": ("correlation", "rules"),
    "group-by": ("correlation", "group-by"),
    "timespan": ("correlation", "timespan"),
    "applies_to": ("filter", "rules"),
}


@dataclass(slots=True)
class Native:
    """A Sigma document translated: its native data, as a Document placed on the Sigma lines."""

    data: dict[str, Any]
    doc: Document
    kind: str  # rule | correlation | filter
    source: Document  # the Sigma document as written
    references: list[str] = field(default_factory=list)  # correlation and filter: rules as written
    name: str | None = None  # the Sigma `name`, which correlations may refer to
    generate: bool = False  # correlation: do the rules it joins make findings of their own too?
    warnings: list[RuleError] = field(default_factory=list)


def rule_id(parsed: SigmaRuleBase, doc: Document) -> tuple[str, RuleError | None]:
    """The Sigma id in lower case; without one, a stable id from the file and the title."""
    if parsed.id is not None:
        return str(parsed.id).lower(), None
    digest = hashlib.sha256(f"{doc.file}\0{parsed.title}".encode()).hexdigest()[:16]
    made = f"sigma-{digest}"
    return made, RuleError(
        f"Sigma rule {parsed.title!r} has no id; it runs as {made}",
        doc.locate(("title",)),
        "give it an id (a UUID) so findings, overrides and filters can name it",
    )


def _tags(parsed: SigmaRuleBase) -> list[str]:
    """Tags as written, in lower case, plus the `-`/`_` twin of ATT&CK names (Sigma renamed
    `privilege_escalation` to `privilege-escalation`; selectors written either way still work)."""
    out: dict[str, None] = {}
    for tag in parsed.tags:
        text = str(tag).lower().replace(" ", "_")
        out.setdefault(text, None)
        if text.startswith("attack.") and ("-" in text or "_" in text):
            twin = "attack." + (text[7:].replace("-", "_") if "-" in text else text[7:].replace("_", "-"))
            out.setdefault(twin, None)
    return list(out)


def _header(parsed: SigmaRuleBase, doc: Document, ident: str) -> dict[str, Any]:
    level = parsed.level.name.lower() if parsed.level is not None else "medium"
    status = parsed.status.name.lower() if parsed.status is not None else "experimental"
    data: dict[str, Any] = {
        "id": ident,
        "title": (parsed.title or ident)[:256],
        "description": (parsed.description or parsed.title or ident).strip() or ident,
        "severity": SEVERITY.get(level, "medium"),
        "status": STATUS.get(status, status),
    }
    if parsed.author:
        data["author"] = str(parsed.author)
    tags = _tags(parsed)
    if tags:
        data["tags"] = tags
    if parsed.references:
        data["references"] = [str(r) for r in parsed.references]
    if parsed.falsepositives:
        data["falsepositives"] = [str(f) for f in parsed.falsepositives]
    return data


def _placed(data: dict[str, Any], doc: Document, places: Mapping[PathKey, PathKey]) -> Document:
    """The Sigma document as written (so `rules show` prints it), with the native paths of its
    translation placed too: an error in compiling `condition.all.1` points at the Sigma line."""
    positions = dict(doc.positions)
    for key in data:
        sigma_path = _HEADER_PLACES.get(key)
        if sigma_path is not None:
            positions.setdefault((key,), _position(doc, sigma_path))
    for native_path, sigma_path in places.items():
        positions.setdefault(native_path, _position(doc, sigma_path))
    return Document(doc.data, doc.file, doc.index, positions)


def _position(doc: Document, path: PathKey) -> tuple[int, int]:
    where = doc.locate(path)
    return (where.line or 1, where.col or 1)


def _unsupported(exc: Unsupported, doc: Document) -> RuleError:
    where = exc.where if isinstance(exc, LocatedUnsupported) else ("detection",)
    return RuleError(
        f"Sigma: {exc}",
        doc.locate(where),
        "this construct cannot run with Sigma's meaning; see docs/sigma.md",
    )


def native_rule(parsed: SigmaRule, doc: Document) -> Native:
    ident, warning = rule_id(parsed, doc)
    data = _header(parsed, doc, ident)
    try:
        translation = translate(parsed.detection, doc.data.get("detection", {}))
    except Unsupported as exc:
        raise _unsupported(exc, doc) from exc
    except Exception as exc:  # pySigma parses the condition lazily, here: its errors are the rule's
        from engine.sigma.document import located

        raise located(exc, doc) from exc
    if translation.match:
        data["match"] = {k: v[0] if len(v) == 1 else v for k, v in translation.match.items()}
    data["condition"] = translation.condition
    if translation.context:
        data["context"] = translation.context
    native = Native(data, _placed(data, doc, translation.places), "rule", doc, name=parsed.name)
    if warning:
        native.warnings.append(warning)
    return native


def native_correlation(parsed: SigmaCorrelationRule, doc: Document) -> Native:
    ident, warning = rule_id(parsed, doc)
    data = _header(parsed, doc, ident)
    data["kind"] = "correlation"
    kind = str(parsed.type.name).lower()
    if kind not in CORRELATION_TYPES:
        raise RuleError(
            f"Sigma correlation type {kind!r} is not supported yet",
            doc.locate(("correlation", "type")),
            f"trailwarden runs {', '.join(CORRELATION_TYPES)}",
        )
    condition = parsed.condition
    if not isinstance(condition, SigmaCorrelationCondition):
        raise RuleError(
            "extended (boolean) correlation conditions are not supported",
            doc.locate(("correlation", "condition")),
            "use a temporal correlation with a count condition",
        )
    aliases = {
        name: [alias.mapping[ref] for ref in alias.mapping] for name, alias in parsed.aliases.aliases.items()
    }
    data.update(
        {
            "type": kind,
            "rules": [ref.reference for ref in parsed.rules or ()],
            "timespan": _duration(parsed.timespan.seconds),
        }
    )
    if parsed.group_by:
        data["group-by"] = [_aliased(name, aliases) for name in parsed.group_by]
    raw_condition = doc.data.get("correlation", {}).get("condition")
    if kind in ("event_count", "value_count") or raw_condition:
        native_condition: dict[str, Any] = {_COMPARISONS[condition.op.name]: _integer(condition.count, doc)}
        if condition.fieldref:
            fields = condition.fieldref if isinstance(condition.fieldref, list) else [condition.fieldref]
            if len(fields) != 1:
                raise RuleError(
                    "a value_count counts the values of one field",
                    doc.locate(("correlation", "condition", "field")),
                )
            native_condition["field"] = _aliased(fields[0], aliases)
        data["condition"] = native_condition
    places: dict[PathKey, PathKey] = {("condition",): ("correlation", "condition")}
    native = Native(data, _placed(data, doc, places), "correlation", doc, name=parsed.name)
    native.references = list(data["rules"])
    native.generate = bool(parsed.generate)
    if warning:
        native.warnings.append(warning)
    return native


def _aliased(name: str, aliases: Mapping[str, list[str]]) -> str:
    """A group-by field: an alias becomes the first present of the fields it stands for, in order."""
    fields = aliases.get(name)
    if not fields:
        return field_path(name)
    return " || ".join(dict.fromkeys(field_path(f) for f in fields))


def _integer(value: float, doc: Document) -> int:
    if int(value) != value:
        raise RuleError(
            "a correlation condition counts: use a whole number", doc.locate(("correlation", "condition"))
        )
    return int(value)


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def native_filter(parsed: SigmaFilter, doc: Document) -> Native:
    """A Sigma filter: its condition must hold for a rule to match, so the native filter (which
    suppresses when its condition holds) is its negation."""
    ident, _ = rule_id(parsed, doc)
    raw = {k: v for k, v in doc.data.get("filter", {}).items() if k not in ("rules", "condition")}
    try:
        translation = translate(parsed.filter, raw, pin=False, root=("filter",))
    except Unsupported as exc:
        raise _unsupported(exc, doc) from exc
    except Exception as exc:
        from engine.sigma.document import located

        raise located(exc, doc) from exc
    rules = parsed.filter.rules
    references = ["*"] if isinstance(rules, str) else [ref.reference for ref in rules]
    data: dict[str, Any] = {
        "kind": "filter",
        "name": ident,
        "description": parsed.title,
        "applies_to": references,
        "condition": {"not": translation.condition},
    }
    places = {("condition", "not", *path[1:]): where for path, where in translation.places.items()}
    native = Native(data, _placed(data, doc, places), "filter", doc, references=references, name=parsed.name)
    return native
