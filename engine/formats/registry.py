"""Formats by name (cloud-custodian's registry habit): `--format ocsf` looks a class up here and
builds it once with its options; a meta-test walks every entry."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from engine.errors import UsageError
from engine.formats.base import Format

F = TypeVar("F", bound=type[Format])

_REGISTRY: dict[str, type[Format]] = {}
_BUILTIN = ("native", "ocsf", "ecs", "asff", "cef", "hec")


def register_format(name: str) -> Callable[[F], F]:
    """Class decorator: make the format available as `name`."""

    def wrap(cls: F) -> F:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def format_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def get_format(name: str, **options: Any) -> Format:
    """The format called `name`, configured with `options` (keyword options of its `__init__`)."""
    _load_builtin()
    cls = _REGISTRY.get(name)
    if cls is None:
        raise UsageError(f"unknown format {name!r}", hint=f"use one of {', '.join(format_names())}")
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


def _load_builtin() -> None:
    """Import the built-in format modules so their @register_format decorators run."""
    for module in _BUILTIN:
        importlib.import_module(f"engine.formats.{module}")
