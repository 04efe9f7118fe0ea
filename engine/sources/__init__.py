"""Sources: where bytes come from. Each kind registers for a URL scheme and yields Blobs (or Skips)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.decoding.records import Skip
from engine.errors import UsageError
from engine.sources.blob import Blob


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """What every source may need to know; built once from the command line."""

    since: datetime | None = None
    until: datetime | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    profile: str | None = None
    region: str | None = None
    follow: bool = False
    state_path: str | None = None
    lookup_attribute: str | None = None  # "AttributeKey=Value" for cloudtrail-api://
    poll_seconds: float | None = None  # follow mode: pause between polls (None: each source's default)


SourceOpener = Callable[[str, SourceOptions], Iterator[Blob | Skip]]

_REGISTRY: dict[str, SourceOpener] = {}


def register_source(scheme: str) -> Callable[[SourceOpener], SourceOpener]:
    """Register the opener for `scheme://…` specs (cloud-custodian's registry habit)."""

    def wrap(fn: SourceOpener) -> SourceOpener:
        _REGISTRY[scheme] = fn
        return fn

    return wrap


def registered_schemes() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def open_source(spec: str, options: SourceOptions) -> Iterator[Blob | Skip]:
    """Yield the blobs of one SOURCE argument: a path, '-', or `scheme://…`."""
    from engine.sources import securitylake  # a lake is claimed before its scheme or path is

    if securitylake.claims(spec):
        return securitylake.open_lake(spec, options)
    _load_builtin()
    scheme = spec.split("://", 1)[0] if "://" in spec else "file"
    opener = _REGISTRY.get(scheme)
    if opener is None:
        known = ", ".join(f"{s}://" for s in sorted(_REGISTRY))
        raise UsageError(f"unknown source {spec!r}", hint=f"use a local path, '-', or one of {known}")
    return opener(spec, options)


def open_sources(specs: Sequence[str], options: SourceOptions) -> Iterator[Blob | Skip]:
    for spec in specs:
        yield from open_source(spec, options)


def _load_builtin() -> None:
    """Import the built-in source modules so their @register_source decorators run."""
    import importlib

    for name in ("local", "s3", "sqs", "cloudtrail_api"):
        importlib.import_module(f"engine.sources.{name}")
