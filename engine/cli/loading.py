"""Load rules for a command and report rule problems the same way everywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from engine.config import ScanConfig
from engine.detection.build import load_ruleset
from engine.detection.ruleset import RuleSet
from engine.errors import RuleError, UsageError


def print_problem(problem: RuleError, label: str = "error") -> None:
    click.echo(f"{problem.location or '?'}: {label}: {problem.message}", err=True)
    if problem.hint:
        click.echo(f"    hint: {problem.hint}", err=True)


def load_or_exit(rule_paths: Sequence[str], no_bundled: bool, *, allow_errors: bool = False) -> RuleSet:
    """Load rules; on any error print them all and exit 2 — unless `allow_errors` (scan
    --skip-invalid-rules), when the valid rules run and the invalid ones are reported."""
    ruleset = load_ruleset(rule_paths, bundled=not no_bundled)
    for warning in ruleset.warnings:
        print_problem(warning, "warning")
    for error in ruleset.errors:
        print_problem(error)
    if ruleset.errors and not allow_errors:
        click.echo(
            f"{len(ruleset.errors)} problem(s) in the rules; nothing was scanned. "
            "Run `trailwarden validate` for the full list.",
            err=True,
        )
        raise SystemExit(2)
    if not ruleset.rules:
        click.echo("no rules loaded: give --rules PATH, or drop --no-bundled", err=True)
        raise SystemExit(2)
    return ruleset


def config_or_exit(params: Mapping[str, Any], **overrides: Any) -> ScanConfig:
    """The command's options as a ScanConfig; a value that cannot be used is a usage error (exit 2)
    naming its flag."""
    try:
        return ScanConfig.from_cli({**params, **overrides})
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
