"""Formats by name: `--format ocsf` looks a class up in `FORMATS` (an `engine.registry.PluginRegistry`
over this package's modules) and builds it once with its options; a meta-test walks every entry."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from engine.errors import UsageError
from engine.formats.base import Format
from engine.registry import PluginRegistry

F = TypeVar("F", bound=type[Format])

FORMATS: PluginRegistry[type[Format]] = PluginRegistry("format", "engine.formats")


def register_format(name: str) -> Callable[[F], F]:
    """Class decorator: make the format available as `name`."""

    def wrap(cls: F) -> F:
        cls.name = name
        FORMATS.add(name, cls)
        return cls

    return wrap


def format_names() -> list[str]:
    return FORMATS.names()


def get_format(name: str, **options: Any) -> Format:
    """The format called `name`, configured with `options` (keyword options of its `__init__`)."""
    cls = FORMATS.get(name)
    _check_options(cls, options)
    return cls(**options)


def _check_options(cls: type[Format], options: dict[str, Any]) -> None:
    """Say which options a format takes instead of letting a TypeError escape from `__init__`."""
    signature = inspect.signature(cls.__init__)
    accepted = [p for p in signature.parameters if p != "self"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "no options"
        names = ", ".join(repr(u) for u in unknown)
        raise UsageError(f"format {cls.name!r} has no option {names}", hint=f"it takes: {takes}")
