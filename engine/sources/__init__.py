"""Sources: where bytes come from. Each kind registers for a URL scheme and yields Blobs (or Skips)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.errors import UsageError
from engine.registry import PluginRegistry
from engine.types import Blob, Skip


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

SOURCES: PluginRegistry[SourceOpener] = PluginRegistry("source", "engine.sources")


def register_source(scheme: str) -> Callable[[SourceOpener], SourceOpener]:
    """Register the opener for `scheme://…` specs ("file" for local paths and '-')."""
    return SOURCES.register(scheme)


def registered_schemes() -> list[str]:
    return SOURCES.names()


def open_source(spec: str, options: SourceOptions) -> Iterator[Blob | Skip]:
    """Yield the blobs of one SOURCE argument: a path, '-', or `scheme://…`."""
    # A Security Lake is claimed before its scheme or path is; imported by name, as the registry
    # imports every source module, since the lake source imports this package.
    lake = importlib.import_module("engine.sources.securitylake")
    if lake.claims(spec):
        return lake.open_lake(spec, options)  # type: ignore[no-any-return]
    scheme = spec.split("://", 1)[0] if "://" in spec else "file"
    opener = SOURCES.find(scheme)
    if opener is None:
        raise UsageError(
            f"unknown source {spec!r}",
            hint=f"a local path, '-', or a known scheme: {SOURCES.hint(scheme, '{}://')}",
        )
    return opener(spec, options)


def open_sources(specs: Sequence[str], options: SourceOptions) -> Iterator[Blob | Skip]:
    for spec in specs:
        yield from open_source(spec, options)
