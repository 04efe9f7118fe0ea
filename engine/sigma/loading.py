"""Sigma documents among the rule files: which are Sigma, which are for CloudTrail, which are the
same rule shipped twice, and — once every file is read — which rules the correlations and
filters name. The loader (`engine.rules.loader`) hands each Sigma document here and takes back
native rule documents."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from engine.errors import Location, RuleError
from engine.rules.loader import ParsedRules, rule_from
from engine.rules.model import Filter
from engine.rules.yaml_source import Document
from engine.sigma.aggregation import split_aggregation
from engine.sigma.document import for_cloudtrail, is_sigma, parse, sigma_kind
from engine.sigma.rule import Native, native_correlation, native_filter, native_rule


@dataclass(slots=True)
class _Seen:
    fingerprint: bytes
    location: Location


@dataclass(slots=True)
class SigmaLoader:
    natives: list[Native] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    warnings: list[RuleError] = field(default_factory=list)
    not_cloudtrail: list[str] = field(default_factory=list)
    resolve_errors: list[RuleError] = field(default_factory=list)
    resolve_warnings: list[RuleError] = field(default_factory=list)
    _seen: dict[str, _Seen] = field(default_factory=dict)

    def claims(self, doc: Document) -> bool:
        return is_sigma(doc.data)

    def add(self, doc: Document) -> None:
        if not for_cloudtrail(doc.data):
            self.not_cloudtrail.append(str(doc.locate()))
            return
        try:
            prepared, threshold = split_aggregation(doc)
            parsed = parse(doc, prepared)
            kind = sigma_kind(doc.data)
            if kind == "correlation":
                native = native_correlation(parsed, doc)  # type: ignore[arg-type]
            elif kind == "filter":
                native = native_filter(parsed, doc)  # type: ignore[arg-type]
            else:
                native = native_rule(parsed, doc)  # type: ignore[arg-type]
                if threshold is not None:
                    native.data["threshold"] = threshold
                    native.doc.positions.setdefault(
                        ("threshold",), native.doc.positions.get(("detection", "condition"), (1, 1))
                    )
                    native.warnings.append(
                        RuleError(
                            f"note: the deprecated aggregation runs as a threshold: {threshold['count']} matching "
                            f"event(s) within {threshold['window']}"
                            + (f" per {', '.join(threshold['group_by'])}" if "group_by" in threshold else ""),
                            doc.locate(("detection", "condition")),
                            "write it as a Sigma correlation, the current form",
                        )
                    )
        except RuleError as exc:
            self.errors.append(exc)
            return
        ident = str(native.data.get("id") or native.data.get("name"))
        fingerprint = orjson.dumps(doc.data, option=orjson.OPT_SORT_KEYS, default=str)
        first = self._seen.get(ident)
        if first is not None:
            if first.fingerprint == fingerprint:
                self.warnings.append(
                    RuleError(
                        f"note: Sigma rule {ident} is also in {first.location.path}, identically; loaded once",
                        doc.locate(("id",)),
                    )
                )
            else:
                self.errors.append(
                    RuleError(
                        f"two different Sigma rules have the id {ident}: here and at {first.location}",
                        doc.locate(("id",)),
                        "give one of them a new id (a fresh UUID), or remove the older copy",
                    )
                )
            return
        self._seen[ident] = _Seen(fingerprint, doc.locate(("id",)))
        self.warnings.extend(native.warnings)
        self.natives.append(native)

    def finish(self, parsed: ParsedRules, seen_ids: dict[str, Location]) -> None:
        """Once every file is read: resolve what correlations and filters name, and hand the
        translated rules and filters to the loader (a rule only correlations join makes no findings
        of its own unless one says `generate: true`)."""
        parsed.errors.extend(self.errors)
        parsed.warnings.extend(self.warnings)
        parsed.not_cloudtrail.extend(self.not_cloudtrail)
        for what, places in (
            ("Sigma rule(s) for another log source than CloudTrail were skipped", parsed.not_cloudtrail),
            ("file(s) under the rule folders are not YAML and were passed over", parsed.passed_over),
        ):
            if places:
                shown = ", ".join(places[:3]) + (" …" if len(places) > 3 else "")
                parsed.warnings.append(RuleError(f"note: {len(places)} {what}: {shown}", Location(places[0])))
        quiet = self.resolve()
        parsed.errors.extend(self.resolve_errors)
        parsed.warnings.extend(self.resolve_warnings)
        for native in self.rules():
            data = native.data
            where = native.doc.locate(("id",))
            if data["id"] in seen_ids:
                parsed.errors.append(
                    RuleError(
                        f"duplicate rule id {data['id']!r}, first defined at {seen_ids[data['id']]}",
                        where,
                        "rule ids must be unique across all loaded rule files",
                    )
                )
                continue
            seen_ids[data["id"]] = where
            if data["id"] in quiet and data.get("kind") != "correlation":
                data["generate"] = False
            parsed.rules.append(rule_from(data, native.doc, native.doc.locate(), data.get("kind", "rule")))
            parsed.translated[data["id"]] = data
        for native in self.filters():
            data = native.data
            location = native.doc.locate()
            parsed.filters.append(
                Filter(data["name"], tuple(data["applies_to"]), data["condition"], location, native.doc)
            )
            parsed.translated[data["name"]] = data

    def rules(self) -> list[Native]:
        return [n for n in self.natives if n.kind in ("rule", "correlation")]

    def filters(self) -> list[Native]:
        return [n for n in self.natives if n.kind == "filter"]

    def resolve(self) -> set[str]:
        """Point correlations and filters at rule ids; return the ids that only feed correlations
        (Sigma's `generate: false`, the default) and so make no findings of their own."""
        by_id: dict[str, str] = {}
        by_name: dict[str, str] = {}
        by_title: dict[str, list[str]] = {}
        for native in self.rules():
            ident = native.data["id"]
            by_id[ident] = ident
            if native.name:
                by_name[native.name] = ident
            by_title.setdefault(native.data["title"], []).append(ident)
        quiet: set[str] = set()
        loud: set[str] = set()
        kept: list[Native] = []
        for native in self.natives:
            if native.kind == "rule":
                kept.append(native)
                continue
            resolved: list[str] = []
            ok = True
            for index, reference in enumerate(native.references):
                if reference == "*" and native.kind == "filter":
                    resolved.extend(n.data["id"] for n in self.rules() if n.kind == "rule")
                    continue
                found = self._find(reference, by_id, by_name, by_title, native, index)
                if found is None:
                    ok = False
                    continue
                resolved.append(found)
            if not ok:
                continue
            if native.kind == "correlation":
                native.data["rules"] = resolved
                (loud if native.generate else quiet).update(resolved)
            else:
                native.data["applies_to"] = resolved or ["-none-"]
            kept.append(native)
        self.natives = kept
        return quiet - loud

    def _find(
        self,
        reference: str,
        by_id: dict[str, str],
        by_name: dict[str, str],
        by_title: dict[str, list[str]],
        native: Native,
        index: int,
    ) -> str | None:
        where = native.source.locate((native.kind, "rules", index))
        text = str(reference)
        if text.lower() in by_id:
            return by_id[text.lower()]
        if text in by_name:
            return by_name[text]
        titled = by_title.get(text, [])
        if len(titled) > 1:
            self.resolve_warnings.append(
                RuleError(f"the title {text!r} names {len(titled)} rules; using {titled[0]}", where)
            )
        if titled:
            return titled[0]
        self.resolve_errors.append(
            RuleError(
                f"Sigma {native.kind} refers to rule {text!r}, which is not loaded",
                where,
                "refer to a loaded rule by its id, name or title (trailwarden rules list shows them)",
            )
        )
        return None
