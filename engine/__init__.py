"""trailwarden: a detection engine for AWS CloudTrail.

The supported API (README, "Using trailwarden from Python"):

    from engine import ScanConfig, run_scan
    report = run_scan(ScanConfig(sources=("fixtures/AWSLogs/",), output="findings.jsonl"))

Names are imported when first used, so `import engine.…` of one module stays cheap."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
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

_WHERE = {
    "ConfigError": "engine.config",
    "ScanConfig": "engine.config",
    "ScanReport": "engine.report",
    "Scanner": "engine.pipeline",
    "Finding": "engine.types",
    "RuleSet": "engine.detection.ruleset",
    "load_rules": "engine.run",
    "run_blobs": "engine.run",
    "run_scan": "engine.run",
    "TrailwardenError": "engine.errors",
    "RuleError": "engine.errors",
    "UsageError": "engine.errors",
    "DecodeError": "engine.errors",
    "SourceError": "engine.errors",
    "SinkError": "engine.errors",
}

if TYPE_CHECKING:
    from engine.config import ConfigError, ScanConfig
    from engine.detection.ruleset import RuleSet
    from engine.errors import DecodeError, RuleError, SinkError, SourceError, TrailwardenError, UsageError
    from engine.pipeline import Scanner
    from engine.report import ScanReport
    from engine.run import load_rules, run_blobs, run_scan
    from engine.types import Finding


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
