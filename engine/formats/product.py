"""Who wrote the finding, as formats name the producing product (OCSF metadata.product, the CEF
header, ASFF ProductFields, ECS observer)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

NAME = "trailwarden"
VENDOR = "trailwarden"


@cache
def product_version() -> str:
    """The installed distribution's version (read once: it cannot change while running)."""
    try:
        return version("trailwarden")
    except PackageNotFoundError:  # a bare checkout on sys.path, not installed
        return "0+unknown"
