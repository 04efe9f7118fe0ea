"""The architecture as the code shows it: no package of `engine` imports another in a circle, no
module imports another in a circle (imports under TYPE_CHECKING aside), and `engine`'s `__all__`
is the supported API, pinned."""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import engine
from tests.helpers import REPO

ENGINE = REPO / "engine"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in ENGINE.rglob("*.py") if "_bundled" not in p.parts}


def _imports(name: str, path: Path) -> set[str]:
    """engine modules `name` imports, at any depth of its code, except under `if TYPE_CHECKING:`."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in child.names:
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def _package(name: str) -> str:
    """A subpackage stands for all its modules (engine.sinks.http → engine.sinks); a module at
    the root of `engine` stands for itself."""
    parts = name.split(".")
    if len(parts) > 2:
        return ".".join(parts[:2])
    return name


def test_no_module_imports_another_in_a_circle() -> None:
    assert _cycles(GRAPH) == []


def test_no_package_imports_another_in_a_circle() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for name, deps in GRAPH.items():
        packages[_package(name)].update(_package(d) for d in deps if _package(d) != _package(name))
    assert _cycles(packages) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a planted circle is found."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_shared_nouns_import_nothing_of_engine() -> None:
    assert GRAPH["engine.types"] == set()


def test_the_public_api_is_pinned_and_every_name_resolves() -> None:
    assert engine.__all__ == [
        "ConfigError",
        "DecodeError",
        "Finding",
        "RuleError",
        "RuleSet",
        "ScanConfig",
        "ScanReport",
        "Scanner",
        "SinkError",
        "SourceError",
        "TrailwardenError",
        "UsageError",
        "load_rules",
        "run_blobs",
        "run_scan",
    ]
    for name in engine.__all__:
        assert getattr(engine, name) is not None


def test_a_scanner_is_built_only_in_engine_run() -> None:
    """The composition root: `Scanner(` is called in engine/run.py and nowhere else in engine/."""
    callers = sorted(
        name
        for name, path in MODULES.items()
        if "Scanner(" in path.read_text(encoding="utf-8").replace("class Scanner(", "")
    )
    assert callers == ["engine.run"]
    importlib.import_module("engine.run")
