"""A safe YAML reader that remembers where every value came from.

pyyaml's safe loader forgets positions once it builds Python objects; `validate` must say
`rules/eks/root.yml:12:14: …`, so we compose the node tree ourselves and keep a map from each
value's path in the document to its line and column. It also refuses what would hang or exhaust
the process: huge files, alias bombs ("billion laughs"), absurd nesting, duplicate keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.errors import Location, RuleError

# libyaml's parser when pyyaml was built with it: ten times faster on a rule pack, same marks.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

PathKey = tuple[str | int, ...]


@dataclass(slots=True)
class Document:
    """One YAML document: its data, and the position of every value in it."""

    data: Any
    file: str
    index: int
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey = ()) -> Location:
        """The position of the value at `path`, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, col = self.positions.get(probe, (1, 1))
        return Location(self.file, line, col)


class _Builder:
    """Turn composed nodes into plain data, counting nodes so aliases cannot multiply without end."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes = 0
        self.scalars = yaml.constructor.SafeConstructor()
        self.written: dict[yaml.MappingNode, int] = {}  # mapping node -> pairs written in it (not merged)

    def build(self, node: yaml.Node, path: PathKey, positions: dict[PathKey, tuple[int, int]]) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._error(node, f"more than {MAX_NODES:,} values (an alias bomb?)", "split the file")
        if len(path) > MAX_DEPTH:
            raise self._error(node, f"nested deeper than {MAX_DEPTH} levels", "flatten the document")
        positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, positions)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), positions) for i, item in enumerate(node.value)]
        return self.scalars.construct_object(node, deep=True)

    def _mapping(
        self, node: yaml.MappingNode, path: PathKey, positions: dict[PathKey, tuple[int, int]]
    ) -> dict[str, Any]:
        # An alias builds its node again, already flattened: count the written pairs on first sight.
        # Keyed by the node itself, not id(node): a node kept as a key is never freed, so its id
        # is never reused by a later document's node (which made false "duplicate key" errors).
        written = self.written.setdefault(
            node, sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        )
        self.scalars.flatten_mapping(node)  # resolves YAML merge keys (<<) the way safe_load does
        merged = len(node.value) - written  # flatten_mapping puts the merged pairs first
        out: dict[str, Any] = {}
        own: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = self.scalars.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if index >= merged:  # a key written here may override a merged one, but not itself
                if key in own:
                    raise self._error(key_node, f"duplicate key {key!r}", "each key may appear once")
                own.add(key)
            out[key] = self.build(value_node, (*path, key), positions)
        return out

    def _error(self, node: yaml.Node, message: str, hint: str) -> RuleError:
        mark = node.start_mark
        return RuleError(message, Location(self.file, mark.line + 1, mark.column + 1), hint)


def read_documents(path: Path, display: str | None = None) -> Iterator[Document]:
    """Yield each YAML document in `path`; raise RuleError (with position) when the file is unusable."""
    name = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RuleError(f"cannot read: {exc.strerror}", Location(name)) from exc
    if size > MAX_FILE_BYTES:
        raise RuleError(
            f"rule file is {size / 1e6:.1f} MB, over the {MAX_FILE_BYTES // 2**20} MiB limit",
            Location(name),
            "split it into smaller files",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read as UTF-8 text: {exc}", Location(name)) from exc
    yield from parse_documents(text, name)


def parse_documents(text: str, name: str) -> Iterator[Document]:
    builder = _Builder(name)
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_LOADER)):
            if node is None:
                continue
            positions: dict[PathKey, tuple[int, int]] = {}
            data = builder.build(node, (), positions)
            yield Document(data, name, index, positions)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        problem = exc.problem or exc.context or "invalid YAML"
        raise RuleError(f"invalid YAML: {problem}", where, "fix the YAML syntax") from exc
    except yaml.reader.ReaderError as exc:  # a character YAML refuses (a control character…), by offset
        line, column = _position(text, int(exc.position))
        character = exc.character if isinstance(exc.character, str) else chr(int(exc.character))
        problem = f"invalid YAML: character U+{ord(character):04X} is not allowed ({exc.reason})"
        raise RuleError(
            problem, Location(name, line, column), "remove the character or quote it as an escape"
        ) from exc
    except yaml.YAMLError as exc:
        raise RuleError(f"invalid YAML: {exc}", Location(name, 1, 1)) from exc


def _position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
