"""Rules for the tasks: the driver loads and checks the rules as `scan` does, then ships the text
of every rule file it read (bundled packs included) with the selection, so executors run exactly
the driver's rule set without needing the user's rule files or the same bundled version on disk.

Compiled rules do not pickle (their conditions are generated functions), and compiling the
bundled packs takes a second or two, so each Python worker compiles a plan once and keeps it:
Spark reuses Python workers between tasks (`spark.python.worker.reuse`, on by default)."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import structlog

from engine.detection.build import load_ruleset
from engine.detection.compiled_rule import CompiledRule
from engine.detection.stateful.members import with_members
from engine.errors import RuleError
from engine.resources import bundled_rules_dir
from engine.rules.loader import rule_files

log = structlog.get_logger("trailwarden.spark")


@dataclass(frozen=True, slots=True)
class RulePlan:
    """Rule files as (display name, text) in load order, and which of their rules run. Equal plans
    have equal digests; the digest alone is compared and hashed (it is the workers' cache key)."""

    digest: str
    files: tuple[tuple[str, str], ...] = field(compare=False)
    select: tuple[str, ...] = field(default=(), compare=False)
    exclude: tuple[str, ...] = field(default=(), compare=False)
    min_severity: str | None = field(default=None, compare=False)

    @property
    def size(self) -> int:
        return sum(len(text) for _, text in self.files)


def plan_rules(
    rule_paths: tuple[str, ...],
    *,
    bundled: bool,
    select: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    min_severity: str | None = None,
) -> RulePlan:
    """Read the files the driver's loader reads (in its order); missing paths were already
    reported by the driver's own load, so they are left out here."""
    sources: list[str | Path] = [bundled_rules_dir()] if bundled else []
    sources.extend(rule_paths)
    files: list[tuple[str, str]] = []
    for item in rule_files(sources):
        if isinstance(item, RuleError):
            continue
        path, display = item
        files.append((display, path.read_text(encoding="utf-8")))
    digest = hashlib.sha256()
    for part in (
        *[p for f in files for p in f],
        "\x1e",
        *select,
        "\x1e",
        *exclude,
        "\x1e",
        min_severity or "",
    ):
        digest.update(part.encode("utf-8") + b"\x1f")
    return RulePlan(digest.hexdigest(), tuple(files), select, exclude, min_severity)


def compiled_rules(plan: RulePlan) -> list[CompiledRule]:
    """The plan's runnable rules, compiled once per worker process."""
    return _compile(plan)


def compile_count() -> int:
    """How many plans this process compiled (the cache's misses): the tests check reuse with it."""
    return _compile.cache_info().misses


@lru_cache(maxsize=4)
def _compile(plan: RulePlan) -> list[CompiledRule]:
    with tempfile.TemporaryDirectory(prefix="trailwarden-rules-") as folder:
        # Numbered names keep the driver's load order (the loader walks a folder sorted).
        for i, (display, text) in enumerate(plan.files):
            Path(folder, f"{i:05d}-{Path(display).name}").write_text(text, encoding="utf-8")
        ruleset = load_ruleset([folder], bundled=False)
    if ruleset.errors:
        # The driver ran with --skip-invalid-rules: the same rules fail here, the others run.
        log.info("rule files with errors left out, as on the driver", errors=len(ruleset.errors))
    rules = with_members(ruleset.selected(plan.select, plan.exclude, plan.min_severity), ruleset.rules)
    log.debug("rules compiled for this worker", rules=len(rules), digest=plan.digest[:12])
    return rules
