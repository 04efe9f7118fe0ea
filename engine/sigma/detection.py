"""A Sigma detection (its named selections and its condition, as pySigma parsed them) as
trailwarden's condition tree, with the index pins it allows and the fields its context shows.

The condition's parse tree is walked as pySigma built it — `and`, `or`, `not`, identifiers,
`1 of`/`all of` selectors — so each selection keeps its name for `explain`, and each leaf keeps
the place in the Sigma file it came from, for errors that point at the line a writer must fix."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionIdentifier,
    ConditionNOT,
    ConditionOR,
    ConditionSelector,
)
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaDetections

from engine.rules.yaml_source import PathKey
from engine.sigma.values import INDEXED, Leaf, Unsupported, field_path, item_leaf

MAX_TREE_DEPTH = 32  # deeper Sigma conditions are refused: no real rule nests so, a hostile one might


class LocatedUnsupported(Unsupported):
    def __init__(self, message: str, where: PathKey) -> None:
        super().__init__(message)
        self.where = where


@dataclass(slots=True)
class Group:
    op: str  # all | any
    children: list[Node]
    where: PathKey
    label: str | None = None  # the selection's name, when this group is one


@dataclass(slots=True)
class Negation:
    child: Node
    where: PathKey


@dataclass(slots=True)
class Placed:
    leaf: Leaf
    where: PathKey


Node = Group | Negation | Placed


@dataclass(slots=True)
class Translation:
    """What a Sigma detection becomes: `match`, `condition`, `context`, and where each piece of
    the condition was written (native path in the condition -> Sigma path in the document)."""

    match: dict[str, list[str]]
    condition: Any
    context: dict[str, str]
    places: dict[PathKey, PathKey] = field(default_factory=dict)


def translate(
    detections: SigmaDetections, raw: Mapping[str, Any], *, pin: bool = True, root: PathKey = ("detection",)
) -> Translation:
    """The whole detection of a rule (or of a filter, `pin=False`: a filter has no index pins, so
    no leaf may be dropped); raises LocatedUnsupported for what cannot be translated."""
    at: PathKey = (*root, "condition")
    trees = [_condition(c.parse(False), detections, raw, at, 0, root) for c in detections.parsed_condition]
    tree: Node = trees[0] if len(trees) == 1 else Group("any", list(trees), at)
    pins = _pins(tree) if pin else {}
    match = {key: sorted(values) for key, values in pins.items()}
    tree = _strip(tree, pins) or Placed(Leaf("`true`", None), at)
    places: dict[PathKey, PathKey] = {}
    condition = _native(tree, ("condition",), places)
    context = {name: field_path(name) for name in _positive_fields(tree) if name not in INDEXED}
    return Translation(match, condition, context, places)


def _condition(
    item: object,
    detections: SigmaDetections,
    raw: Mapping[str, Any],
    where: PathKey,
    depth: int,
    root: PathKey,
) -> Node:
    if depth > MAX_TREE_DEPTH:
        raise LocatedUnsupported(f"the condition nests deeper than {MAX_TREE_DEPTH} levels", where)
    if isinstance(item, ConditionIdentifier):
        return _named(item.identifier, detections, raw, depth, root)
    if isinstance(item, ConditionSelector):
        names = _selected(item.pattern, detections)
        if not names:
            raise LocatedUnsupported(f"'{item.pattern}' names no selection of this rule", where)
        op = "any" if item.cond_class is ConditionOR else "all"
        return Group(op, [_named(n, detections, raw, depth + 1, root) for n in names], where)
    if isinstance(item, ConditionNOT):
        return Negation(_condition(item.args[0], detections, raw, where, depth + 1, root), where)
    if isinstance(item, ConditionAND | ConditionOR):
        op = "all" if isinstance(item, ConditionAND) else "any"
        return Group(op, [_condition(a, detections, raw, where, depth + 1, root) for a in item.args], where)
    raise LocatedUnsupported(f"condition element {type(item).__name__} is not supported", where)


def _selected(pattern: str, detections: SigmaDetections) -> list[str]:
    names = list(detections.detections)
    if pattern == "them":
        return [n for n in names if not n.startswith("_")]
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]


def _named(name: str, detections: SigmaDetections, raw: Mapping[str, Any], depth: int, root: PathKey) -> Node:
    where: PathKey = (*root, name)
    detection = detections.detections.get(name)
    if detection is None:
        raise LocatedUnsupported(
            f"the condition names {name!r}, which the detection does not define", (*root, "condition")
        )
    node = _detection(detection, raw.get(name), where, depth + 1)
    if isinstance(node, Group):
        node.label = name
    return node


def _detection(detection: SigmaDetection, raw: Any, where: PathKey, depth: int) -> Node:
    if depth > MAX_TREE_DEPTH:
        raise LocatedUnsupported(f"the detection nests deeper than {MAX_TREE_DEPTH} levels", where)
    op = "all" if detection.item_linking is ConditionAND else "any"
    children: list[Node] = []
    for index, item in enumerate(detection.detection_items):
        place = _item_place(raw, index, item, where)
        if isinstance(item, SigmaDetection):
            sub_raw = raw[index] if isinstance(raw, list) and index < len(raw) else None
            children.append(_detection(item, sub_raw, place, depth + 1))
            continue
        try:
            children.append(Placed(item_leaf(item), place))
        except Unsupported as exc:
            raise LocatedUnsupported(str(exc), place) from exc
    if not children:
        raise LocatedUnsupported("an empty selection", where)
    return children[0] if len(children) == 1 else Group(op, children, where)


def _item_place(raw: Any, index: int, item: SigmaDetectionItem | SigmaDetection, where: PathKey) -> PathKey:
    """Where an item was written: its key in a mapping, its index in a list."""
    if isinstance(raw, list):
        return (*where, index)
    if isinstance(raw, dict) and isinstance(item, SigmaDetectionItem):
        for key in raw:
            if str(key).split("|")[0] == (item.field or ""):
                return (*where, key)
    return where


def _pins(node: Node) -> dict[str, frozenset[str]]:
    """eventSource/eventName values every match must have: from a leaf's equality, shared by an
    `and` (any child's pin holds) and by an `or` (only when every branch pins, as the union)."""
    if isinstance(node, Placed):
        return {node.leaf.pin[0]: node.leaf.pin[1]} if node.leaf.pin else {}
    if isinstance(node, Negation):
        return {}
    found = [_pins(child) for child in node.children]
    out: dict[str, frozenset[str]] = {}
    if node.op == "all":
        for pins in found:
            for key, values in pins.items():
                out[key] = out[key] & values if key in out else values
    else:
        for key in INDEXED:
            if found and all(key in pins for pins in found):
                out[key] = frozenset().union(*(pins[key] for pins in found))
    return out


def _strip(node: Node, pins: dict[str, frozenset[str]]) -> Node | None:
    """Drop the leaves the index pins already decide: an equality on a pinned field with exactly
    the pinned values, along the top-level `and` — where the pin alone implies it holds."""
    if isinstance(node, Placed):
        pin = node.leaf.pin
        return None if pin and pins.get(pin[0]) == pin[1] else node
    if isinstance(node, Group) and node.op == "all":
        kept = [c for c in (_strip(child, pins) for child in node.children) if c is not None]
        if not kept:
            return None
        if len(kept) == 1 and node.label is None:
            return kept[0]
        node.children = kept
        return node
    return node


def _native(node: Node, path: PathKey, places: dict[PathKey, PathKey]) -> Any:
    places[path] = node.where
    if isinstance(node, Placed):
        return node.leaf.text
    if isinstance(node, Negation):
        return {"not": _native(node.child, (*path, "not"), places)}
    if len(node.children) == 1:
        return _native(node.children[0], path, places)
    return {node.op: [_native(child, (*path, node.op, i), places) for i, child in enumerate(node.children)]}


def _positive_fields(node: Node) -> Iterator[str]:
    """Fields the selections name outside any `not`, in the order written (once each)."""
    seen: dict[str, None] = {}

    def walk(n: Node) -> None:
        if isinstance(n, Placed):
            if n.leaf.field is not None:
                seen.setdefault(n.leaf.field, None)
        elif isinstance(n, Group):
            for child in n.children:
                walk(child)

    walk(node)
    yield from seen
