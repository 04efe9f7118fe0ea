"""One registry class for every kind of plug-in (cloud-custodian's `c7n/registry.py` habit):
formats, sinks, sources and condition functions each have one `PluginRegistry` instance, and
help texts, allow-lists, error hints and the README's tables are read from it.

Plug-ins register themselves with a decorator in the module that defines them. A registry that
names a `package` imports every module of that package the first time it is asked anything, so
nobody keeps a list of built-in modules by hand: a new module with a decorator is registered."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from engine.errors import UsageError

T = TypeVar("T")


class PluginRegistry(Generic[T]):
    """Named plug-ins of one kind: `kind` is what messages call them ("format", "sink URL scheme")."""

    def __init__(self, kind: str, package: str | None = None) -> None:
        self.kind = kind
        self.package = package
        self._entries: dict[str, T] = {}
        self._loaded = package is None
        self.unavailable: dict[str, str] = {}  # module → the optional dependency it lacks

    def register(self, *names: str) -> Callable[[T], T]:
        """Decorator: make the plug-in available under each of `names`."""

        def wrap(plugin: T) -> T:
            for name in names:
                self.add(name, plugin)
            return plugin

        return wrap

    def add(self, name: str, plugin: T) -> None:
        existing = self._entries.get(name)
        if existing is not None and existing is not plugin:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = plugin

    def get(self, name: str) -> T:
        """The plug-in called `name`; a UsageError naming the known ones (and the nearest) if none."""
        self._load()
        found = self._entries.get(name)
        if found is None:
            raise UsageError(f"unknown {self.kind} {name!r}", hint=self.hint(name))
        return found

    def find(self, name: str) -> T | None:
        self._load()
        return self._entries.get(name)

    def hint(self, name: str = "", shown: str = "{}") -> str:
        """'did you mean …?' when a name is close, then every known name (each written as `shown`
        says: "{}://" for URL schemes)."""
        known = self.names()
        close = difflib.get_close_matches(name, known, n=1) if name else []
        listing = f"use one of {', '.join(shown.format(k) for k in known)}"
        for module, missing in sorted(self.unavailable.items()):
            listing += f"; {module} is not available: it needs {missing!r} (install the extra that brings it)"
        return f"did you mean {shown.format(close[0])!r}? ({listing})" if close else listing

    def names(self) -> list[str]:
        self._load()
        return sorted(self._entries)

    def items(self) -> Iterator[tuple[str, T]]:
        self._load()
        for name in sorted(self._entries):
            yield name, self._entries[name]

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def _load(self) -> None:
        """Import the package's modules once, so that their decorators run. A module whose
        optional dependency is not installed (an extra such as `[securitylake]`) registers nothing
        and is named in the hint; any other import error is a bug and is raised."""
        if self._loaded or self.package is None:
            return
        self._loaded = True
        package = importlib.import_module(self.package)
        for module in pkgutil.iter_modules(package.__path__):
            name = f"{self.package}.{module.name}"
            try:
                importlib.import_module(name)
            except ImportError as exc:
                if exc.name is None or exc.name.split(".")[0] == "engine":
                    raise
                self.unavailable[name] = exc.name
